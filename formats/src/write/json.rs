//! JSON results, streamed row by row. The shape (documented for clients):
//!
//! ```json
//! {"metadata": [{"name": "ra", "datatype": "double", "arraysize": null, "xtype": null,
//!                "unit": "deg", "ucd": "pos.eq.ra", "utype": null, "description": "..."}],
//!  "infos": [{"name": "standardID", "value": "ivo://ivoa.net/std/TAP"}],
//!  "data": [[10.5, "M 31", null, [1.0, 2.0]], ...],
//!  "status": "OK", "overflow": false, "message": null}
//! ```
//! `status` is `OK`, `OVERFLOW` or `ERROR` and comes last because it is known last; `message` explains an
//! overflow or an error. Numbers are shortest round-trip; NaN and infinities are `null` (JSON has neither);
//! array columns (points, polygons...) are JSON arrays; booleans are `true`/`false`.

use super::{End, ResultMeta, ResultWriter, Table};
use crate::cell::{self, Rendered, TextStyle};
use crate::out::Out;
use crate::{Field, Value, WriteError};
use std::io::Write;

/// A streaming JSON writer.
pub struct JsonWriter<W: Write> {
    out: Out<W>,
    table: Table,
}

impl<W: Write> JsonWriter<W> {
    /// A JSON writer into `out`.
    pub fn new(out: W) -> Self {
        JsonWriter {
            out: Out::new(out),
            table: Table::default(),
        }
    }
}

/// Appends a JSON string literal.
pub(crate) fn push_json_string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[from..i]);
        if esc.is_empty() {
            buf.extend_from_slice(format!("\\u{:04x}", b).as_bytes());
        } else {
            buf.extend_from_slice(esc);
        }
        from = i + 1;
    }
    buf.extend_from_slice(&bytes[from..]);
    buf.push(b'"');
}

fn push_opt(buf: &mut Vec<u8>, key: &str, v: Option<&str>) {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(b"\":");
    match v {
        Some(s) => push_json_string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

impl<W: Write> ResultWriter for JsonWriter<W> {
    fn begin(&mut self, meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError> {
        self.table.begin(fields)?;
        let b = &mut self.out.buf;
        b.extend_from_slice(b"{\"metadata\":[");
        for (i, (f, t)) in fields.iter().zip(&self.table.types).enumerate() {
            if i > 0 {
                b.extend_from_slice(b",\n");
            }
            b.extend_from_slice(b"{\"name\":");
            push_json_string(b, &f.name);
            push_opt(b, "datatype", Some(t.datatype.name()));
            push_opt(b, "arraysize", t.arraysize_text().as_deref());
            push_opt(b, "xtype", f.xtype.as_deref());
            push_opt(b, "unit", f.unit.as_deref());
            push_opt(b, "ucd", f.ucd.as_deref());
            push_opt(b, "utype", f.utype.as_deref());
            push_opt(b, "description", f.description.as_deref());
            b.push(b'}');
        }
        b.extend_from_slice(b"],\n\"infos\":[");
        let infos = meta.infos.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let warnings = meta.warnings.iter().map(|w| ("WARNING", w.as_str()));
        for (i, (name, value)) in infos.chain(warnings).enumerate() {
            if i > 0 {
                b.push(b',');
            }
            b.extend_from_slice(b"{\"name\":");
            push_json_string(b, name);
            push_opt(b, "value", Some(value));
            b.push(b'}');
        }
        b.extend_from_slice(b"],\n\"data\":[\n");
        self.out.maybe_flush()?;
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        let n = self.table.row(row)?;
        let start = self.out.buf.len();
        let b = &mut self.out.buf;
        if n > 1 {
            b.extend_from_slice(b",\n");
        }
        b.push(b'[');
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            match cell::render(b, &self.table.types[i], v, &TextStyle::JSON) {
                Ok(Rendered::Done) => {}
                Ok(Rendered::Null) => b.extend_from_slice(b"null"),
                Ok(Rendered::Text(s)) => push_json_string(b, &s),
                Err(m) => {
                    self.out.buf.truncate(start);
                    return Err(self.table.value_error(n, i, m));
                }
            }
        }
        b.push(b']');
        self.table.row_done();
        self.out.maybe_flush()?;
        Ok(())
    }

    fn finish(&mut self, end: End) -> Result<(), WriteError> {
        self.table.finish()?;
        let b = &mut self.out.buf;
        let (status, overflow, message) = match &end {
            End::Ok => ("OK", false, None),
            End::Overflow => (
                "OVERFLOW",
                true,
                Some("the result was truncated at MAXREC rows"),
            ),
            End::Error(m) => ("ERROR", false, Some(m.as_str())),
        };
        b.extend_from_slice(b"\n],\n\"status\":");
        push_json_string(b, status);
        b.extend_from_slice(if overflow {
            b",\"overflow\":true"
        } else {
            b",\"overflow\":false"
        });
        push_opt(b, "message", message);
        b.extend_from_slice(b"}\n");
        self.out.flush_all()?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_and_controls() {
        let mut b = Vec::new();
        push_json_string(&mut b, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(b).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }
}
