//! CSV (RFC 4180, with a header line: `text/csv;header=present`) and TSV (`text/tab-separated-values`).
//!
//! Neither format has a place for a query status: a result cut by MAXREC or failed after streaming started
//! looks complete. TAP clients wanting the status must ask for VOTable; the HTTP layer should end a failed
//! stream abnormally (it does not close the chunked body cleanly), which is the only signal a CSV reader gets.

use super::{End, ResultMeta, ResultWriter, Table};
use crate::cell::{self, Rendered, TextStyle};
use crate::out::Out;
use crate::{Field, Value, WriteError};
use std::io::Write;

/// The two dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Csv,
    Tsv,
}

/// Shared by CSV and TSV: rows as delimited text.
struct Delimited<W: Write> {
    out: Out<W>,
    dialect: Dialect,
    table: Table,
}

/// A CSV writer: comma-separated, CRLF line ends, fields quoted when they contain `,`, `"`, CR, LF or leading
/// or trailing spaces. Null is an empty field, the empty string is `""`, NaN is empty, infinities are
/// `Infinity`/`-Infinity`, arrays are space-separated numbers (DALI form).
pub struct CsvWriter<W: Write>(Delimited<W>);

/// A TSV writer: tab-separated, LF line ends, tab/LF/CR/backslash in text written as `\t` `\n` `\r` `\\`.
pub struct TsvWriter<W: Write>(Delimited<W>);

impl<W: Write> CsvWriter<W> {
    /// A CSV writer into `out`.
    pub fn new(out: W) -> Self {
        CsvWriter(Delimited {
            out: Out::new(out),
            dialect: Dialect::Csv,
            table: Table::default(),
        })
    }
}

impl<W: Write> TsvWriter<W> {
    /// A TSV writer into `out`.
    pub fn new(out: W) -> Self {
        TsvWriter(Delimited {
            out: Out::new(out),
            dialect: Dialect::Tsv,
            table: Table::default(),
        })
    }
}

/// Appends `s` as one CSV field.
pub(crate) fn push_csv_field(buf: &mut Vec<u8>, s: &str) {
    let needs_quotes = s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs_quotes {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    buf.push(b'"');
    for part in s.split('"').enumerate() {
        if part.0 > 0 {
            buf.extend_from_slice(b"\"\"");
        }
        buf.extend_from_slice(part.1.as_bytes());
    }
    buf.push(b'"');
}

/// Appends `s` as one TSV field.
pub(crate) fn push_tsv_field(buf: &mut Vec<u8>, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'\\'))
    {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for b in s.bytes() {
        match b {
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b => buf.push(b),
        }
    }
}

impl<W: Write> Delimited<W> {
    fn sep(&self) -> u8 {
        if self.dialect == Dialect::Csv {
            b','
        } else {
            b'\t'
        }
    }

    fn eol(&self) -> &'static [u8] {
        if self.dialect == Dialect::Csv {
            b"\r\n"
        } else {
            b"\n"
        }
    }

    fn field(&mut self, s: &str) {
        match self.dialect {
            Dialect::Csv => push_csv_field(&mut self.out.buf, s),
            Dialect::Tsv => push_tsv_field(&mut self.out.buf, s),
        }
    }

    fn begin(&mut self, fields: &[Field]) -> Result<(), WriteError> {
        self.table.begin(fields)?;
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.out.buf.push(self.sep());
            }
            self.field(&f.name);
        }
        let eol = self.eol();
        self.out.push(eol);
        self.out.maybe_flush()?;
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        let n = self.table.row(row)?;
        let start = self.out.buf.len();
        let sep = self.sep();
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                self.out.buf.push(sep);
            }
            match cell::render(&mut self.out.buf, &self.table.types[i], v, &TextStyle::CSV) {
                Ok(Rendered::Done | Rendered::Null) => {}
                Ok(Rendered::Text(s)) => self.field(&s),
                Err(m) => {
                    self.out.buf.truncate(start);
                    return Err(self.table.value_error(n, i, m));
                }
            }
        }
        let eol = self.eol();
        self.out.push(eol);
        self.table.row_done();
        self.out.maybe_flush()?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), WriteError> {
        self.table.finish()?;
        self.out.flush_all()?;
        Ok(())
    }
}

impl<W: Write> ResultWriter for CsvWriter<W> {
    fn begin(&mut self, _meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError> {
        self.0.begin(fields)
    }
    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        self.0.row(row)
    }
    fn finish(&mut self, _end: End) -> Result<(), WriteError> {
        self.0.finish()
    }
}

impl<W: Write> ResultWriter for TsvWriter<W> {
    fn begin(&mut self, _meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError> {
        self.0.begin(fields)
    }
    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        self.0.row(row)
    }
    fn finish(&mut self, _end: End) -> Result<(), WriteError> {
        self.0.finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn csv(s: &str) -> String {
        let mut b = Vec::new();
        push_csv_field(&mut b, s);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv(""), "\"\"");
        assert_eq!(csv(" pad"), "\" pad\"");
    }

    #[test]
    fn tsv_escapes_its_separators() {
        let mut b = Vec::new();
        push_tsv_field(&mut b, "a\tb\nc\\d");
        assert_eq!(String::from_utf8(b).unwrap(), "a\\tb\\nc\\\\d");
    }
}
