//! XML text that content cannot break: escaping for element text and attributes, characters that XML 1.0
//! forbids replaced, and `ID`s that are valid, unique NCNames.

use std::collections::HashSet;

/// The replacement for characters XML 1.0 cannot carry (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF):
/// `?` says "a character was here" without making the document invalid, and keeps ASCII text ASCII (VOTable
/// 1.4 `char` is ASCII; astropy warns on anything else).
const REPLACEMENT: &str = "?";

#[inline]
fn needs_work(b: u8, attr: bool) -> bool {
    matches!(b, b'&' | b'<' | b'>' | b'\r')
        || b < 0x20 && (attr || (b != b'\n' && b != b'\t'))
        || b == 0xEF
        || attr && b == b'"'
}

/// Appends `s` escaped for element content (`attr = false`) or a double-quoted attribute (`attr = true`).
/// In attributes, tab/LF/CR become character references so that attribute normalisation keeps them.
pub(crate) fn push_escaped(buf: &mut Vec<u8>, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| needs_work(*b, attr)) {
        buf.extend_from_slice(bytes);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => buf.extend_from_slice(b"&amp;"),
            '<' => buf.extend_from_slice(b"&lt;"),
            '>' => buf.extend_from_slice(b"&gt;"),
            '"' if attr => buf.extend_from_slice(b"&quot;"),
            '\r' => buf.extend_from_slice(b"&#13;"),
            '\n' if attr => buf.extend_from_slice(b"&#10;"),
            '\t' if attr => buf.extend_from_slice(b"&#9;"),
            '\n' | '\t' => buf.push(c as u8),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                buf.extend_from_slice(REPLACEMENT.as_bytes())
            }
            c => {
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

/// Element text.
pub(crate) fn push_text(buf: &mut Vec<u8>, s: &str) {
    push_escaped(buf, s, false)
}

/// ` name="value"` with the value escaped.
pub(crate) fn push_attr(buf: &mut Vec<u8>, name: &str, value: &str) {
    buf.push(b' ');
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"=\"");
    push_escaped(buf, value, true);
    buf.push(b'"');
}

fn ncname_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn ncname_char(c: char) -> bool {
    ncname_start(c)
        || c.is_ascii_digit()
        || c == '-'
        || c == '.'
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Gives out `ID`s: an NCName derived from each column name (other characters become `_`, a leading digit gets
/// a `_` prefix), made unique with `_2`, `_3`... suffixes.
#[derive(Debug, Default)]
pub(crate) struct IdMaker {
    used: HashSet<String>,
}

impl IdMaker {
    pub(crate) fn id_for(&mut self, name: &str) -> String {
        let mut base: String = name
            .chars()
            .map(|c| if ncname_char(c) { c } else { '_' })
            .collect();
        if !base.chars().next().is_some_and(ncname_start) {
            base.insert(0, '_');
        }
        let mut id = base.clone();
        let mut n = 2u64;
        while !self.used.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        id
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn esc(s: &str, attr: bool) -> String {
        let mut b = Vec::new();
        push_escaped(&mut b, s, attr);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(esc("a<b & c>d", false), "a&lt;b &amp; c&gt;d");
        assert_eq!(esc("say \"hi\"\n", true), "say &quot;hi&quot;&#10;");
        assert_eq!(esc("say \"hi\"\n", false), "say \"hi\"\n");
        assert_eq!(esc("bell\u{7}nul\u{0}", false), "bell?nul?");
        assert_eq!(esc("x\u{FFFF}é", false), "x?é");
        assert_eq!(esc("plain", true), "plain");
    }

    #[test]
    fn ids_are_unique_ncnames() {
        let mut m = IdMaker::default();
        assert_eq!(m.id_for("ra"), "ra");
        assert_eq!(m.id_for("ra"), "ra_2");
        assert_eq!(m.id_for("2mass id"), "_2mass_id");
        assert_eq!(m.id_for("a:b"), "a_b");
        assert_eq!(m.id_for(""), "_");
        assert_eq!(m.id_for("ra_2"), "ra_2_2");
    }
}
