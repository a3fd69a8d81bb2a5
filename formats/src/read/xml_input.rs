//! The XML side of the VOTable reader: a byte guard that bounds any one XML event, attribute lookup by local
//! name, and entity references.

use quick_xml::events::BytesStart;
use std::io::{self, BufRead};

/// Longest run of bytes between two `<` outside a STREAM: bounds any one XML event.
pub const MAX_TEXT_RUN: usize = 64 << 20;

/// Counts bytes since the last `<` and fails past [`MAX_TEXT_RUN`] (switched off inside a STREAM).
pub(crate) struct Guard<R> {
    pub inner: R,
    pub since_markup: usize,
    /// Off while a STREAM is decoded (base64 has no markup for megabytes).
    pub active: bool,
}

impl<R> Guard<R> {
    /// Switches the limit on or off; switching on starts a fresh count (the STREAM's `<` just ended it).
    pub(crate) fn set_active(&mut self, active: bool) {
        self.active = active;
        self.since_markup = 0;
    }
}

impl<R: BufRead> io::Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.active && self.since_markup > MAX_TEXT_RUN {
            return Err(io::Error::other(format!(
                "more than {MAX_TEXT_RUN} bytes without markup"
            )));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if !self.active {
            self.inner.consume(amt);
            return;
        }
        if let Ok(buf) = self.inner.fill_buf() {
            let seen = &buf[..amt.min(buf.len())];
            match seen.iter().rposition(|b| *b == b'<') {
                Some(i) => self.since_markup = seen.len() - i - 1,
                None => self.since_markup += seen.len(),
            }
        }
        self.inner.consume(amt);
    }
}

/// The value of attribute `name` (any prefix), normalised.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute: {err}"))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("bad attribute '{name}': {err}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Resolves an entity or character reference in text.
pub(crate) fn resolve_ref(name: &str) -> Result<char, String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(h) => u32::from_str_radix(h, 16).ok(),
            None => num.parse().ok(),
        };
        return code
            .and_then(char::from_u32)
            .ok_or_else(|| format!("bad character reference '&{name};'"));
    }
    Ok(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return Err(format!("unknown entity '&{name};'")),
    })
}
