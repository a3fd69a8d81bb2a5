//! Streaming VOTable reader (VOTable 1.1–1.5, any namespace prefix or none): the first TABLE's FIELDs, then
//! its rows from TABLEDATA, BINARY or BINARY2 one at a time.
//!
//! Bounded memory against hostile input: a run of text without markup (a giant TD or attribute) is cut off at
//! [`MAX_TEXT_RUN`]; the base64 stream bypasses the XML parser and is decoded as rows are asked for; a
//! trailing `QUERY_STATUS=ERROR` after the table (a result that failed midway) is reported as an error, so a
//! truncated result is never taken as complete.

use super::TableReader;
use super::binary::{self, Base64Source, Nulls};
use super::column::ReadColumn;
use super::xml_input::{Guard, MAX_TEXT_RUN, attr, resolve_ref};
use crate::{Field, ReadError, RowPosition, Value};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::io::{self, BufRead};

/// Which serialisation the rows come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    Tabledata,
    Binary,
    Binary2,
    /// No rows left (or none: a TABLE without DATA).
    Done,
}

/// A VOTable being read; see [`read_votable`].
pub struct VotableReader<R: BufRead> {
    xml: Reader<Guard<R>>,
    buf: Vec<u8>,
    td_text: String,
    fields: Vec<Field>,
    cols: Vec<ReadColumn>,
    data: Data,
    stream: Base64Source,
    row: u64,
    /// The last `QUERY_STATUS` seen: (value, message).
    status: Option<(String, String)>,
    failed: bool,
}

/// Opens a VOTable: reads up to the first TABLE's data and returns a reader of its rows.
pub fn read_votable<R: BufRead>(r: R) -> Result<VotableReader<R>, ReadError> {
    let mut xml = Reader::from_reader(Guard {
        inner: r,
        since_markup: 0,
        active: true,
    });
    xml.config_mut().check_end_names = true;
    let mut v = VotableReader {
        xml,
        buf: Vec::with_capacity(8192),
        td_text: String::new(),
        fields: Vec::new(),
        cols: Vec::new(),
        data: Data::Done,
        stream: Base64Source::default(),
        row: 0,
        status: None,
        failed: false,
    };
    v.read_header()?;
    Ok(v)
}

/// Where in the header walk we are.
#[derive(Default)]
struct HeaderState {
    depth: usize,
    table_depth: Option<usize>,
    field: Option<(Field, Option<String>)>,
    in_field_description: bool,
    text: String,
    in_info: Option<(String, String)>,
    in_data: bool,
    in_binary: Option<Data>,
}

impl<R: BufRead> VotableReader<R> {
    fn at(&self) -> RowPosition {
        RowPosition {
            row: self.row,
            line: None,
            byte: Some(self.xml.buffer_position()),
        }
    }

    fn err(&self, message: impl Into<String>) -> ReadError {
        ReadError::format(self.at(), message)
    }

    fn xml_err(&self, e: quick_xml::Error) -> ReadError {
        match e {
            quick_xml::Error::Io(io)
                if io.kind() == io::ErrorKind::Other
                    && io.to_string().contains("without markup") =>
            {
                ReadError::Limit {
                    at: self.at(),
                    message: io.to_string(),
                }
            }
            e => self.err(format!("not a well-formed VOTable: {e}")),
        }
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        let mut st = HeaderState::default();
        let mut seen_root = false;
        loop {
            self.buf.clear();
            let ev = self.xml.read_event_into(&mut self.buf);
            let ev = match ev {
                Ok(ev) => ev.into_owned(),
                Err(e) => return Err(self.xml_err(e)),
            };
            match ev {
                Event::Start(e) | Event::Empty(e) if !seen_root => {
                    if e.local_name().as_ref() != "VOTABLE" {
                        return Err(self.err(format!(
                            "the root element is <{}>, not <VOTABLE>",
                            e.name().as_ref()
                        )));
                    }
                    seen_root = true;
                    st.depth += 1;
                }
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_string();
                    if self.start(&mut st, &e, &name, false)? {
                        return Ok(());
                    }
                    st.depth += 1;
                }
                Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_string();
                    if self.start(&mut st, &e, &name, true)? {
                        return Ok(());
                    }
                    self.end(&mut st, &name)?;
                    if self.data == Data::Done && st.table_depth.is_some() && name == "TABLE" {
                        return Ok(());
                    }
                }
                Event::End(e) => {
                    st.depth = st.depth.saturating_sub(1);
                    let name = e.local_name().as_ref().to_string();
                    if name == "TABLE" && st.table_depth == Some(st.depth) {
                        // A TABLE without DATA: no rows.
                        self.data = Data::Done;
                        return Ok(());
                    }
                    self.end(&mut st, &name)?;
                }
                Event::Text(t) => st.text.push_str(&t.xml10_content()),
                Event::CData(t) => st.text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => {
                    let c = resolve_ref(&r).map_err(|m| self.err(m))?;
                    st.text.push(c);
                }
                Event::Eof => {
                    return Err(match (&self.status, st.table_depth) {
                        (Some((v, m)), None) if v == "ERROR" => self.err(format!(
                            "the document reports an error (QUERY_STATUS=ERROR): {m}"
                        )),
                        (_, None) if !seen_root => self.err("not a VOTable: no <VOTABLE> element"),
                        (_, None) => self.err("the VOTable has no TABLE"),
                        _ => self.err("the document ends inside the TABLE"),
                    });
                }
                _ => {}
            }
            if st.text.len() > MAX_TEXT_RUN {
                return Err(ReadError::Limit {
                    at: self.at(),
                    message: "a header text is too long".into(),
                });
            }
        }
    }

    /// Handles a start tag; `true` when the rows begin here.
    fn start(
        &mut self,
        st: &mut HeaderState,
        e: &BytesStart<'_>,
        name: &str,
        empty: bool,
    ) -> Result<bool, ReadError> {
        let a = |n: &str| attr(e, n).map_err(|m| self.err(m));
        st.text.clear();
        let Some(td) = st.table_depth else {
            match name {
                "TABLE" => {
                    st.table_depth = Some(st.depth);
                    if empty {
                        self.data = Data::Done;
                    }
                }
                "INFO" => {
                    st.in_info = Some((
                        a("name")?.unwrap_or_default(),
                        a("value")?.unwrap_or_default(),
                    ))
                }
                _ => {}
            }
            return Ok(false);
        };
        if st.depth == td + 1 {
            match name {
                "FIELD" => {
                    let f = Field {
                        name: a("name")?
                            .or(a("ID")?)
                            .unwrap_or_else(|| format!("col{}", self.fields.len() + 1)),
                        datatype: a("datatype")?
                            .ok_or_else(|| self.err("a FIELD has no datatype"))?,
                        arraysize: a("arraysize")?,
                        xtype: a("xtype")?,
                        unit: a("unit")?,
                        ucd: a("ucd")?,
                        utype: a("utype")?,
                        description: None,
                    };
                    st.field = Some((f, None));
                }
                "DATA" => st.in_data = true,
                _ => {}
            }
            return Ok(false);
        }
        if st.field.is_some() && st.depth == td + 2 {
            match name {
                "DESCRIPTION" => st.in_field_description = !empty,
                "VALUES" => {
                    if let Some((_, null)) = st.field.as_mut() {
                        *null = a("null")?;
                    }
                }
                _ => {}
            }
            return Ok(false);
        }
        if st.in_data {
            match name {
                "TABLEDATA" if empty => self.data = Data::Done,
                "TABLEDATA" => {
                    self.data = Data::Tabledata;
                    return Ok(true);
                }
                "BINARY" => st.in_binary = Some(Data::Binary),
                "BINARY2" => st.in_binary = Some(Data::Binary2),
                "STREAM" => {
                    let Some(kind) = st.in_binary else {
                        return Err(self
                            .err("a STREAM outside BINARY/BINARY2 (FITS data is not supported)"));
                    };
                    match a("encoding")?.as_deref() {
                        Some("base64") => {}
                        Some(other) => return Err(self.err(format!("STREAM encoding '{other}' is not supported (only base64)"))),
                        None => return Err(self.err("a STREAM with a remote href or no encoding is not supported: inline base64 only")),
                    }
                    if empty {
                        self.data = Data::Done;
                        return Ok(false);
                    }
                    self.data = kind;
                    self.xml.get_mut().set_active(false);
                    return Ok(true);
                }
                "FITS" => return Err(self.err("FITS-serialised VOTable data is not supported")),
                _ => {}
            }
        }
        Ok(false)
    }

    fn end(&mut self, st: &mut HeaderState, name: &str) -> Result<(), ReadError> {
        match name {
            "FIELD"
                if st.field.is_some()
                    && st.depth == st.table_depth.map_or(usize::MAX, |d| d + 1) =>
            {
                if let Some((f, null)) = st.field.take() {
                    let col = ReadColumn::new(&f, null)
                        .map_err(|m| self.err(format!("FIELD '{}': {m}", f.name)))?;
                    self.cols.push(col);
                    self.fields.push(f);
                }
            }
            "DESCRIPTION" if st.in_field_description => {
                st.in_field_description = false;
                if let Some((f, _)) = st.field.as_mut() {
                    f.description = Some(st.text.trim().to_string());
                }
            }
            "INFO" => {
                if let Some((n, v)) = st.in_info.take()
                    && n == "QUERY_STATUS"
                {
                    self.status = Some((v, st.text.trim().to_string()));
                }
            }
            _ => {}
        }
        st.text.clear();
        Ok(())
    }

    /// The next TABLEDATA row.
    fn td_row(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        // The event buffer and the cell text are reused row after row (no allocation per event).
        let mut buf = std::mem::take(&mut self.buf);
        let mut text = std::mem::take(&mut self.td_text);
        let row = self.td_row_with(&mut buf, &mut text);
        self.buf = buf;
        self.td_text = text;
        row
    }

    fn td_row_with(
        &mut self,
        buf: &mut Vec<u8>,
        text: &mut String,
    ) -> Result<Option<Vec<Value>>, ReadError> {
        let mut cells: Option<Vec<Value>> = None;
        let mut in_td = false;
        loop {
            buf.clear();
            let ev = self.xml.read_event_into(buf).map_err(|e| self.xml_err(e))?;
            match ev {
                Event::Start(e) if e.local_name().as_ref() == "TR" && cells.is_none() => {
                    self.row += 1;
                    cells = Some(Vec::with_capacity(self.cols.len()));
                }
                Event::Empty(e) if e.local_name().as_ref() == "TR" && cells.is_none() => {
                    self.row += 1;
                    return self.finish_row(Vec::new()).map(Some);
                }
                Event::Start(e) if e.local_name().as_ref() == "TD" && cells.is_some() && !in_td => {
                    text.clear();
                    in_td = true;
                }
                Event::Empty(e) if e.local_name().as_ref() == "TD" && !in_td => {
                    self.push_cell(&mut cells, "")?;
                }
                Event::Text(t) => {
                    if in_td {
                        text.push_str(&t.xml10_content());
                    } else if !t.trim().is_empty() {
                        return Err(self.err(format!("text '{}' outside a TD", t.trim())));
                    }
                }
                Event::CData(t) if in_td => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => {
                    let c = resolve_ref(&r).map_err(|m| self.err(m))?;
                    if !in_td {
                        return Err(self.err("character data outside a TD"));
                    }
                    text.push(c);
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "TD" if in_td => {
                        in_td = false;
                        self.push_cell(&mut cells, text)?;
                    }
                    "TR" if !in_td => {
                        return self.finish_row(cells.take().unwrap_or_default()).map(Some);
                    }
                    "TABLEDATA" if cells.is_none() => return Ok(None),
                    other => return Err(self.err(format!("unexpected </{other}> in TABLEDATA"))),
                },
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => return Err(self.err("the document ends inside TABLEDATA")),
                Event::Start(e) | Event::Empty(e) => {
                    return Err(
                        self.err(format!("unexpected <{}> in TABLEDATA", e.name().as_ref()))
                    );
                }
                _ => {}
            }
        }
    }

    fn push_cell(&self, cells: &mut Option<Vec<Value>>, text: &str) -> Result<(), ReadError> {
        let Some(c) = cells.as_mut() else {
            return Err(self.err("a TD outside a TR"));
        };
        let i = c.len();
        let Some(col) = self.cols.get(i) else {
            return Err(self.err(format!(
                "row {} has more than {} cells",
                self.row,
                self.cols.len()
            )));
        };
        let v = col
            .parse_text(text)
            .map_err(|m| ReadError::value(self.at(), &col.name, m))?;
        c.push(v);
        Ok(())
    }

    fn finish_row(&self, cells: Vec<Value>) -> Result<Vec<Value>, ReadError> {
        if cells.len() != self.cols.len() {
            return Err(self.err(format!(
                "row {} has {} cells, the table {} columns",
                self.row,
                cells.len(),
                self.cols.len()
            )));
        }
        Ok(cells)
    }

    /// The next BINARY/BINARY2 row.
    fn binary_row(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        let src_err = |s: &Self, m: String| ReadError::format(s.at(), m);
        // A row starts only if there is at least one more byte in the stream.
        let more = self
            .stream
            .fill(&mut self.xml.stream(), 1)
            .map_err(|m| src_err(self, m))?;
        if !more {
            return Ok(None);
        }
        let flags = if self.data == Data::Binary2 {
            self.cols.len().div_ceil(8)
        } else {
            0
        };
        let least: usize = flags
            + self
                .cols
                .iter()
                .map(|c| binary::fixed_bytes(c).unwrap_or(4))
                .sum::<usize>();
        if least == 0 {
            // Rows of zero bytes would never consume the stream: a loop without end.
            return Err(self.err(
                "binary data in a TABLE whose rows take no bytes (no FIELDs, or only empty arrays)",
            ));
        }
        self.row += 1;
        let flags_len = if self.data == Data::Binary2 {
            self.cols.len().div_ceil(8)
        } else {
            0
        };
        let mut flags = [0u8; 128];
        let mut flags_vec = Vec::new();
        let flags: &mut [u8] = if flags_len <= flags.len() {
            &mut flags[..flags_len]
        } else {
            flags_vec.resize(flags_len, 0);
            &mut flags_vec
        };
        self.need(flags_len)?;
        flags.copy_from_slice(self.stream.take(flags_len));
        let mut row = Vec::with_capacity(self.cols.len());
        for i in 0..self.cols.len() {
            let (len, count) = match binary::fixed_bytes(&self.cols[i]) {
                Some(len) => (len, self.cols[i].ty.arraysize.fixed_len().unwrap_or(1)),
                None => {
                    self.need(4)?;
                    let c = self.stream.take(4);
                    let count = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
                    let len =
                        binary::variable_bytes(&self.cols[i], u64::from(count)).map_err(|m| {
                            ReadError::Limit {
                                at: self.at(),
                                message: format!("column '{}': {m}", self.cols[i].name),
                            }
                        })?;
                    (len, count as usize)
                }
            };
            self.need(len)?;
            let null_flag = flags_len > 0 && flags[i / 8] & (0x80 >> (i % 8)) != 0;
            let bytes = self.stream.take(len);
            let v = if null_flag {
                Value::Null
            } else {
                let nulls = if flags_len > 0 {
                    Nulls::Flagged
                } else {
                    Nulls::ByValue
                };
                binary::decode(bytes, &self.cols[i], count, nulls).map_err(|m| {
                    ReadError::value(
                        RowPosition {
                            row: self.row,
                            line: None,
                            byte: None,
                        },
                        &self.cols[i].name,
                        m,
                    )
                })?
            };
            row.push(v);
        }
        Ok(Some(row))
    }

    fn need(&mut self, n: usize) -> Result<(), ReadError> {
        match self.stream.fill(&mut self.xml.stream(), n) {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.err(format!("the binary STREAM ends inside row {}", self.row))),
            Err(m) => Err(self.err(m)),
        }
    }

    /// After the rows: reads the rest of the document for a trailing QUERY_STATUS.
    fn trailer(&mut self) -> Result<(), ReadError> {
        self.xml.get_mut().set_active(true);
        let mut info: Option<(String, String)> = None;
        let mut text = String::new();
        loop {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev.into_owned(),
                Err(e) => return Err(self.xml_err(e)),
            };
            match ev {
                Event::Empty(e) if e.local_name().as_ref() == "INFO" => {
                    let n = attr(&e, "name")
                        .map_err(|m| self.err(m))?
                        .unwrap_or_default();
                    let v = attr(&e, "value")
                        .map_err(|m| self.err(m))?
                        .unwrap_or_default();
                    if n == "QUERY_STATUS" {
                        self.status = Some((v, String::new()));
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == "INFO" => {
                    let n = attr(&e, "name")
                        .map_err(|m| self.err(m))?
                        .unwrap_or_default();
                    let v = attr(&e, "value")
                        .map_err(|m| self.err(m))?
                        .unwrap_or_default();
                    text.clear();
                    info = Some((n, v));
                }
                Event::Text(t) if info.is_some() => text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) if info.is_some() => {
                    text.push(resolve_ref(&r).map_err(|m| self.err(m))?)
                }
                Event::End(e) if e.local_name().as_ref() == "INFO" => {
                    if let Some((n, v)) = info.take()
                        && n == "QUERY_STATUS"
                    {
                        self.status = Some((v, text.trim().to_string()));
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "RESOURCE" => break,
                Event::Eof => break,
                _ => {}
            }
        }
        if let Some((v, m)) = &self.status
            && v == "ERROR"
        {
            return Err(self.err(format!(
                "the table is incomplete: the document reports QUERY_STATUS=ERROR after it: {m}"
            )));
        }
        Ok(())
    }

    /// The last `QUERY_STATUS` INFO read so far (value, message): after the rows, `OVERFLOW` tells a result
    /// cut at MAXREC.
    pub fn query_status(&self) -> Option<(&str, &str)> {
        self.status.as_ref().map(|(v, m)| (v.as_str(), m.as_str()))
    }

    fn next_row(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        let row = match self.data {
            Data::Done => return Ok(None),
            Data::Tabledata => self.td_row()?,
            Data::Binary | Data::Binary2 => self.binary_row()?,
        };
        if row.is_none() {
            self.data = Data::Done;
            self.trailer()?;
        }
        Ok(row)
    }
}

impl<R: BufRead> Iterator for VotableReader<R> {
    type Item = Result<Vec<Value>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_row() {
            Ok(r) => r.map(Ok),
            Err(e) => {
                self.failed = true;
                self.data = Data::Done;
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> TableReader for VotableReader<R> {
    fn fields(&self) -> &[Field] {
        &self.fields
    }

    fn position(&self) -> RowPosition {
        self.at()
    }
}
