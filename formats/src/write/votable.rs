//! VOTable 1.4 results (DALI 1.1 §4.4, TAP 1.1 §3.1): one `RESOURCE type="results"` with `QUERY_STATUS`
//! first, the service INFOs, the FIELDs, the DATA in TABLEDATA, BINARY or BINARY2, and, when the result was
//! cut or failed after streaming started, a second `QUERY_STATUS` after `</TABLE>` (the one pyvo reads).

use super::binary::{self, NullStyle};
use super::{End, ResultMeta, ResultWriter, Table};
use crate::cell::{self, Rendered, TextStyle};
use crate::datatype::{ColumnType, Datatype};
use crate::out::Out;
use crate::xml::{IdMaker, push_attr, push_text};
use crate::{Field, Value, WriteError};
use base64::Engine as _;
use std::io::Write;

/// The VOTable namespace: 1.4 documents use the 1.3 namespace (VOTable 1.4 §1).
pub const VOTABLE_NS: &str = "http://www.ivoa.net/xml/VOTable/v1.3";

/// How the table data is serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serialization {
    /// `<TABLEDATA>`: XML cells.
    Tabledata,
    /// `<BINARY><STREAM encoding="base64">`.
    Binary,
    /// `<BINARY2><STREAM encoding="base64">`, with a null bitmap per row.
    Binary2,
}

/// Raw bytes per base64 line: 57 bytes make 76 characters, the MIME line length.
const LINE_BYTES: usize = 57;
/// Raw bytes gathered before they are encoded, in whole lines.
const ENCODE_BLOCK: usize = LINE_BYTES * 64;

/// A streaming VOTable writer.
pub struct VotableWriter<W: Write> {
    out: Out<W>,
    serialization: Serialization,
    table: Table,
    /// Binary serialisations: raw bytes not yet base64-encoded (less than [`ENCODE_BLOCK`] between rows).
    raw: Vec<u8>,
}

impl<W: Write> VotableWriter<W> {
    /// A writer of `serialization` into `out`.
    pub fn new(out: W, serialization: Serialization) -> Self {
        VotableWriter {
            out: Out::new(out),
            serialization,
            table: Table::default(),
            raw: Vec::new(),
        }
    }

    fn header(&mut self, meta: &ResultMeta, fields: &[Field]) {
        let b = &mut self.out.buf;
        b.extend_from_slice(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VOTABLE version=\"1.4\"",
        );
        push_attr(b, "xmlns", VOTABLE_NS);
        push_attr(b, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
        push_attr(
            b,
            "xsi:schemaLocation",
            &format!("{VOTABLE_NS} http://www.ivoa.net/xml/VOTable/v1.3"),
        );
        b.extend_from_slice(
            b">\n<RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n",
        );
        for (name, value) in &meta.infos {
            info(b, name, value, None);
        }
        for w in &meta.warnings {
            info(b, "WARNING", w, None);
        }
        for l in &meta.links {
            b.extend_from_slice(b"<LINK");
            if let Some(r) = &l.content_role {
                push_attr(b, "content-role", r);
            }
            if let Some(t) = &l.title {
                push_attr(b, "title", t);
            }
            push_attr(b, "href", &l.href);
            b.extend_from_slice(b"/>\n");
        }
        b.extend_from_slice(b"<TABLE");
        if let Some(n) = &meta.table_name {
            push_attr(b, "name", n);
        }
        b.extend_from_slice(b">\n");
        if let Some(d) = &meta.table_description {
            b.extend_from_slice(b"<DESCRIPTION>");
            push_text(b, d);
            b.extend_from_slice(b"</DESCRIPTION>\n");
        }
        let mut ids = IdMaker::default();
        for (f, t) in fields.iter().zip(&self.table.types) {
            b.extend_from_slice(b"<FIELD");
            push_attr(b, "name", &f.name);
            push_attr(b, "ID", &ids.id_for(&f.name));
            push_attr(b, "datatype", t.datatype.name());
            if let Some(a) = t.arraysize_text() {
                push_attr(b, "arraysize", &a);
            }
            for (name, value) in [
                ("xtype", &f.xtype),
                ("unit", &f.unit),
                ("ucd", &f.ucd),
                ("utype", &f.utype),
            ] {
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    push_attr(b, name, v);
                }
            }
            let sentinel = match self.serialization {
                Serialization::Binary => binary::column_sentinel(t),
                _ => None,
            };
            let description = f.description.as_deref().filter(|d| !d.is_empty());
            if description.is_none() && sentinel.is_none() {
                b.extend_from_slice(b"/>\n");
                continue;
            }
            b.extend_from_slice(b">");
            if let Some(d) = description {
                b.extend_from_slice(b"<DESCRIPTION>");
                push_text(b, d);
                b.extend_from_slice(b"</DESCRIPTION>");
            }
            if let Some(s) = sentinel {
                b.extend_from_slice(b"<VALUES null=\"");
                b.extend_from_slice(itoa::Buffer::new().format(s).as_bytes());
                b.extend_from_slice(b"\"/>");
            }
            b.extend_from_slice(b"</FIELD>\n");
        }
        b.extend_from_slice(match self.serialization {
            Serialization::Tabledata => b"<DATA><TABLEDATA>\n".as_slice(),
            Serialization::Binary => b"<DATA><BINARY><STREAM encoding=\"base64\">\n".as_slice(),
            Serialization::Binary2 => b"<DATA><BINARY2><STREAM encoding=\"base64\">\n".as_slice(),
        });
    }

    fn tabledata_row(&mut self, row: &[Value], n: u64) -> Result<(), WriteError> {
        let start = self.out.buf.len();
        self.out.push(b"<TR>");
        for (i, (v, t)) in row.iter().zip(&self.table.types).enumerate() {
            let b = &mut self.out.buf;
            let cell_start = b.len();
            b.extend_from_slice(b"<TD>");
            match cell::render(b, t, v, &TextStyle::TABLEDATA) {
                Ok(Rendered::Done) => b.extend_from_slice(b"</TD>"),
                Ok(Rendered::Text(s)) => {
                    push_text(b, cut_to_arraysize(&s, t));
                    b.extend_from_slice(b"</TD>");
                }
                Ok(Rendered::Null) => {
                    b.truncate(cell_start);
                    b.extend_from_slice(b"<TD/>");
                }
                Err(m) => {
                    self.out.buf.truncate(start);
                    return Err(self.table.value_error(n, i, m));
                }
            }
        }
        self.out.push(b"</TR>\n");
        Ok(())
    }

    fn binary_row(&mut self, row: &[Value], n: u64) -> Result<(), WriteError> {
        let start = self.raw.len();
        let style = if self.serialization == Serialization::Binary2 {
            NullStyle::Binary2
        } else {
            NullStyle::Binary
        };
        let flags_at = self.raw.len();
        if style == NullStyle::Binary2 {
            self.raw.resize(flags_at + row.len().div_ceil(8), 0);
        }
        for (i, (v, t)) in row.iter().zip(&self.table.types).enumerate() {
            match binary::encode(&mut self.raw, t, v, style) {
                Ok(null) => {
                    if null && style == NullStyle::Binary2 {
                        self.raw[flags_at + i / 8] |= 0x80 >> (i % 8);
                    }
                }
                Err(m) => {
                    self.raw.truncate(start);
                    return Err(self.table.value_error(n, i, m));
                }
            }
        }
        if self.raw.len() >= ENCODE_BLOCK {
            self.encode_raw(false);
        }
        Ok(())
    }

    /// Moves whole base64 lines (or everything, with padding, at the end) from `raw` to the output.
    fn encode_raw(&mut self, all: bool) {
        let engine = &base64::engine::general_purpose::STANDARD;
        let whole = self.raw.len() / LINE_BYTES * LINE_BYTES;
        let buf = &mut self.out.buf;
        buf.reserve(whole / LINE_BYTES * 77 + 80);
        for line in self.raw[..whole].chunks_exact(LINE_BYTES) {
            let at = buf.len();
            buf.resize(at + 76, 0);
            // 57 bytes always encode to exactly 76 characters: the slice is the right size.
            let _ = engine.encode_slice(line, &mut buf[at..]);
            buf.push(b'\n');
        }
        if all && whole < self.raw.len() {
            let rest = &self.raw[whole..];
            let at = buf.len();
            buf.resize(at + rest.len().div_ceil(3) * 4, 0);
            let _ = engine.encode_slice(rest, &mut buf[at..]);
            buf.push(b'\n');
            self.raw.clear();
        } else {
            self.raw.drain(..whole);
        }
    }
}

/// Fixed-size text columns hold at most their arraysize (bytes for `char`, UTF-16 units for `unicodeChar`):
/// TABLEDATA is cut like BINARY so every serialisation says the same, and cut at a character boundary.
pub(crate) fn cut_to_arraysize<'s>(s: &'s str, t: &ColumnType) -> &'s str {
    let Some(n) = t.arraysize.fixed_len() else {
        return s;
    };
    let mut cut = 0;
    let mut units = 0;
    for (i, c) in s.char_indices() {
        let (next_cut, next_units) = match t.datatype {
            Datatype::UnicodeChar => (i + c.len_utf8(), units + c.len_utf16()),
            _ => (i + c.len_utf8(), i + c.len_utf8()),
        };
        if next_units > n {
            break;
        }
        cut = next_cut;
        units = next_units;
    }
    &s[..cut]
}

/// `<INFO name=".." value="..">content</INFO>`.
fn info(b: &mut Vec<u8>, name: &str, value: &str, content: Option<&str>) {
    b.extend_from_slice(b"<INFO");
    push_attr(b, "name", name);
    push_attr(b, "value", value);
    match content {
        Some(c) => {
            b.push(b'>');
            push_text(b, c);
            b.extend_from_slice(b"</INFO>\n");
        }
        None => b.extend_from_slice(b"/>\n"),
    }
}

impl<W: Write> ResultWriter for VotableWriter<W> {
    fn begin(&mut self, meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError> {
        self.table.begin(fields)?;
        self.header(meta, fields);
        self.out.maybe_flush()?;
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        let n = self.table.row(row)?;
        match self.serialization {
            Serialization::Tabledata => self.tabledata_row(row, n)?,
            _ => self.binary_row(row, n)?,
        }
        self.table.row_done();
        self.out.maybe_flush()?;
        Ok(())
    }

    fn finish(&mut self, end: End) -> Result<(), WriteError> {
        self.table.finish()?;
        match self.serialization {
            Serialization::Tabledata => self.out.push(b"</TABLEDATA></DATA>\n</TABLE>\n"),
            Serialization::Binary => {
                self.encode_raw(true);
                self.out.push(b"</STREAM></BINARY></DATA>\n</TABLE>\n")
            }
            Serialization::Binary2 => {
                self.encode_raw(true);
                self.out.push(b"</STREAM></BINARY2></DATA>\n</TABLE>\n")
            }
        }
        match &end {
            End::Ok => {}
            End::Overflow => info(
                &mut self.out.buf,
                "QUERY_STATUS",
                "OVERFLOW",
                Some("the result was truncated at MAXREC rows"),
            ),
            End::Error(m) => info(&mut self.out.buf, "QUERY_STATUS", "ERROR", Some(m)),
        }
        self.out.push(b"</RESOURCE>\n</VOTABLE>\n");
        self.out.flush_all()?;
        Ok(())
    }
}
