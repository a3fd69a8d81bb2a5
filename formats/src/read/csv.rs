//! CSV (RFC 4180) and TSV readers with column type inference.
//!
//! The first line names the columns. Types are inferred over a sample of the first rows (kept in memory,
//! bounded by [`CsvOptions::sample_rows`] and 64 MiB): `boolean` (true/false/T/F), `long`, `double`,
//! timestamps (`char`, xtype `timestamp`) and text (`char`, `*`). A later value that does not fit widens its
//! column (long → double → text; boolean/timestamp → text): [`TableReader::fields`] then reports the wider
//! type and the value comes back in it. For a single type per column over a whole file, call
//! [`scan_csv_fields`] first and pass the result as [`CsvOptions::fields`] (the two-pass mode).
//!
//! Cells: an unquoted empty field is null; a quoted empty field (`""`) is the empty string in text columns.

use super::TableReader;
use super::column::ReadColumn;
use crate::cell;
use crate::{Field, ReadError, RowPosition, Value};
use std::collections::VecDeque;
use std::io::BufRead;

/// The field separator and quoting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    /// RFC 4180: `,`, double-quoted fields with `""` escapes.
    #[default]
    Comma,
    /// TSV: tab-separated, no quoting, `\t` `\n` `\r` `\\` escapes (what [`crate::TsvWriter`] writes).
    Tab,
    /// Another single-byte separator with RFC 4180 quoting (e.g. `;` or `|`).
    Other(u8),
}

/// How to read a CSV/TSV file.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Separator and quoting.
    pub delimiter: Delimiter,
    /// Rows looked at before the types are decided.
    pub sample_rows: usize,
    /// Known column types (skips inference; names still come from the header line). Must have one field per
    /// column.
    pub fields: Option<Vec<Field>>,
    /// Longest field accepted, in bytes.
    pub max_field_bytes: usize,
    /// Most columns accepted.
    pub max_columns: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: Delimiter::Comma,
            sample_rows: 1000,
            fields: None,
            max_field_bytes: 16 << 20,
            max_columns: 10_000,
        }
    }
}

impl CsvOptions {
    /// Options for TSV.
    pub fn tsv() -> Self {
        CsvOptions {
            delimiter: Delimiter::Tab,
            ..CsvOptions::default()
        }
    }
}

/// Bytes of sample rows kept in memory at most.
const MAX_SAMPLE_BYTES: usize = 64 << 20;

/// One field of a record: its text and whether it was quoted.
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    quoted: bool,
}

/// A record with the line it started on.
struct Record {
    line: u64,
    cells: Vec<Cell>,
}

/// Splits the input into records.
struct Lexer<R> {
    input: R,
    delimiter: Delimiter,
    line: u64,
    max_field: usize,
    max_columns: usize,
    bytes: Vec<u8>,
}

impl<R: BufRead> Lexer<R> {
    fn err(&self, line: u64, m: impl Into<String>) -> ReadError {
        ReadError::format(
            RowPosition {
                row: 0,
                line: Some(line),
                byte: None,
            },
            m,
        )
    }

    fn read_byte(&mut self) -> Result<Option<u8>, ReadError> {
        let buf = self.input.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        Ok(Some(b))
    }

    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    fn finish_cell(
        &mut self,
        line: u64,
        quoted: bool,
        cells: &mut Vec<Cell>,
    ) -> Result<(), ReadError> {
        let bytes = std::mem::take(&mut self.bytes);
        let text = String::from_utf8(bytes).map_err(|e| {
            ReadError::value(
                RowPosition {
                    row: 0,
                    line: Some(line),
                    byte: None,
                },
                &format!("#{}", cells.len() + 1),
                format!("not UTF-8 text ({})", e.utf8_error()),
            )
        })?;
        if cells.len() >= self.max_columns {
            return Err(self.err(line, format!("more than {} columns", self.max_columns)));
        }
        cells.push(Cell { text, quoted });
        Ok(())
    }

    fn push(&mut self, line: u64, b: u8) -> Result<(), ReadError> {
        if self.bytes.len() >= self.max_field {
            return Err(ReadError::Limit {
                at: RowPosition {
                    row: 0,
                    line: Some(line),
                    byte: None,
                },
                message: format!("a field is longer than {} bytes", self.max_field),
            });
        }
        self.bytes.push(b);
        Ok(())
    }

    /// The next record, `None` at the end. Blank lines are skipped.
    fn record(&mut self) -> Result<Option<Record>, ReadError> {
        loop {
            self.line += 1;
            let line = self.line;
            let mut cells = Vec::new();
            self.bytes.clear();
            let sep = match self.delimiter {
                Delimiter::Comma => b',',
                Delimiter::Tab => b'\t',
                Delimiter::Other(b) => b,
            };
            let tsv = self.delimiter == Delimiter::Tab;
            let mut quoted = false;
            let mut any = false;
            loop {
                let Some(b) = self.read_byte()? else {
                    if !any && cells.is_empty() && self.bytes.is_empty() {
                        return Ok(None);
                    }
                    self.finish_cell(line, quoted, &mut cells)?;
                    return Ok(Some(Record { line, cells }));
                };
                any = true;
                match b {
                    b'"' if !tsv && self.bytes.is_empty() && !quoted => {
                        quoted = true;
                        loop {
                            match self.read_byte()? {
                                None => {
                                    return Err(self.err(
                                        line,
                                        "a quoted field is not closed before the end of the input",
                                    ));
                                }
                                Some(b'"') => {
                                    if self.peek()? == Some(b'"') {
                                        self.read_byte()?;
                                        self.push(line, b'"')?;
                                    } else {
                                        break;
                                    }
                                }
                                Some(c) => {
                                    if c == b'\n' {
                                        self.line += 1;
                                    }
                                    self.push(line, c)?;
                                }
                            }
                        }
                        match self.peek()? {
                            None | Some(b'\r' | b'\n') => {}
                            Some(c) if c == sep => {}
                            Some(c) => {
                                return Err(self.err(
                                    self.line,
                                    format!("'{}' after a closing quote", c.escape_ascii()),
                                ));
                            }
                        }
                    }
                    b'\\' if tsv => {
                        let c = match self.read_byte()? {
                            Some(b't') => b'\t',
                            Some(b'n') => b'\n',
                            Some(b'r') => b'\r',
                            Some(b'\\') => b'\\',
                            Some(other) => {
                                self.push(line, b'\\')?;
                                other
                            }
                            None => b'\\',
                        };
                        self.push(line, c)?;
                    }
                    b'\r' if self.peek()? == Some(b'\n') => {}
                    b'\n' | b'\r' => {
                        if cells.is_empty() && self.bytes.is_empty() && !quoted {
                            break; // blank line
                        }
                        self.finish_cell(line, quoted, &mut cells)?;
                        return Ok(Some(Record { line, cells }));
                    }
                    c if c == sep => {
                        self.finish_cell(line, quoted, &mut cells)?;
                        quoted = false;
                    }
                    c => self.push(line, c)?,
                }
            }
        }
    }
}

/// A column type the inference can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Nothing seen yet (all empty).
    Unknown,
    Boolean,
    Long,
    Double,
    Timestamp,
    Text,
}

impl Kind {
    fn of(s: &str) -> Kind {
        let t = s.trim();
        if t.is_empty() {
            Kind::Unknown
        } else if t.parse::<i64>().is_ok() {
            Kind::Long
        } else if cell::parse_bool(t).is_ok() && !matches!(t, "0" | "1") {
            Kind::Boolean
        } else if looks_numeric(t) && t.parse::<f64>().is_ok() {
            Kind::Double
        } else if is_timestamp(t) {
            Kind::Timestamp
        } else {
            Kind::Text
        }
    }

    /// The narrowest kind holding both.
    fn widen(self, other: Kind) -> Kind {
        use Kind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Unknown, b) | (b, Unknown) => b,
            (Long, Double) | (Double, Long) => Double,
            _ => Text,
        }
    }

    fn field(self, name: &str) -> Field {
        let (datatype, arraysize, xtype) = match self {
            Kind::Boolean => ("boolean", None, None),
            Kind::Long => ("long", None, None),
            Kind::Double => ("double", None, None),
            Kind::Timestamp => ("char", Some("*"), Some("timestamp")),
            Kind::Unknown | Kind::Text => ("char", Some("*"), None),
        };
        Field {
            name: name.to_string(),
            datatype: datatype.into(),
            arraysize: arraysize.map(str::to_string),
            xtype: xtype.map(str::to_string),
            ..Default::default()
        }
    }

    fn value(self, c: &Cell) -> Option<Value> {
        let t = c.text.trim();
        if c.text.is_empty()
            && !(c.quoted && matches!(self, Kind::Text | Kind::Unknown | Kind::Timestamp))
        {
            return Some(Value::Null);
        }
        match self {
            Kind::Unknown | Kind::Text => Some(Value::Text(c.text.clone())),
            Kind::Timestamp => is_timestamp(t).then(|| Value::Text(t.to_string())),
            Kind::Boolean => cell::parse_bool(t)
                .ok()
                .map(|b| b.map_or(Value::Null, Value::Bool)),
            Kind::Long => t.parse::<i64>().ok().map(Value::Int),
            Kind::Double => (looks_numeric(t) || t.is_empty())
                .then(|| t.parse::<f64>().ok().map(Value::Float))
                .flatten(),
        }
    }
}

/// Rust parses "inf" and "nan" too; as CSV these are numbers only in their usual spellings.
fn looks_numeric(t: &str) -> bool {
    let u = t.trim_start_matches(['+', '-']);
    u.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || ["nan", "inf", "infinity"]
            .iter()
            .any(|k| u.eq_ignore_ascii_case(k))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and `hh:mm[:ss[.fff]]`, optionally `Z`.
fn is_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if !matches!(b.get(10), Some(b'T' | b' '))
        || !digits(11..13)
        || b.get(13) != Some(&b':')
        || !digits(14..16)
    {
        return false;
    }
    // Byte-wise from here: the input may hold any UTF-8, and slicing a str inside a character panics.
    let rest = &b[16..];
    let rest = rest.strip_suffix(b"Z").unwrap_or(rest);
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match rest {
        [] => true,
        [b':', s1, s2] => all_digits(&[*s1, *s2]),
        [b':', s1, s2, b'.', frac @ ..] => {
            !frac.is_empty() && all_digits(&[*s1, *s2]) && all_digits(frac)
        }
        _ => false,
    }
}

enum Typing {
    /// Inferred kinds, widened as rows come.
    Inferred(Vec<Kind>),
    /// Given fields: cells converted with the VOTable text rules.
    Given(Vec<ReadColumn>),
}

/// A CSV/TSV file being read; see [`read_csv`].
pub struct CsvReader<R> {
    lexer: Lexer<R>,
    fields: Vec<Field>,
    typing: Typing,
    sample: VecDeque<Record>,
    row: u64,
    line: u64,
    failed: bool,
}

/// Opens a CSV (or TSV, per `opts`) file: reads the header line and a sample of rows for the types.
pub fn read_csv<R: BufRead>(r: R, opts: CsvOptions) -> Result<CsvReader<R>, ReadError> {
    let mut lexer = Lexer {
        input: r,
        delimiter: opts.delimiter,
        line: 0,
        max_field: opts.max_field_bytes,
        max_columns: opts.max_columns,
        bytes: Vec::new(),
    };
    let header = lexer
        .record()?
        .ok_or_else(|| lexer.err(1, "the file is empty: no header line"))?;
    let names: Vec<String> = header
        .cells
        .iter()
        .map(|c| c.text.trim().to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(lexer.err(
                1,
                format!("column {} of the header line has no name", i + 1),
            ));
        }
        if !seen.insert(n.to_lowercase()) {
            return Err(lexer.err(1, format!("the header line names column '{n}' twice")));
        }
    }
    let mut sample = VecDeque::new();
    let (typing, fields) = match opts.fields {
        Some(given) => {
            if given.len() != names.len() {
                return Err(lexer.err(
                    1,
                    format!("{} fields given for {} columns", given.len(), names.len()),
                ));
            }
            // Keep every attribute the caller gave (unit, ucd...), with the header line's names.
            let fields: Vec<Field> = given
                .iter()
                .zip(&names)
                .map(|(f, n)| Field {
                    name: n.clone(),
                    ..f.clone()
                })
                .collect();
            let mut cols = Vec::new();
            for f in &fields {
                cols.push(
                    ReadColumn::new(f, None)
                        .map_err(|m| lexer.err(1, format!("column '{}': {m}", f.name)))?,
                );
            }
            (Typing::Given(cols), fields)
        }
        None => {
            let mut kinds = vec![Kind::Unknown; names.len()];
            let mut bytes = 0usize;
            while sample.len() < opts.sample_rows && bytes < MAX_SAMPLE_BYTES {
                let Some(rec) = lexer.record()? else { break };
                check_width(&rec, names.len())?;
                for (k, c) in kinds.iter_mut().zip(&rec.cells) {
                    *k = k.widen(Kind::of(&c.text));
                    bytes += c.text.len() + 16;
                }
                sample.push_back(rec);
            }
            let fields = kinds.iter().zip(&names).map(|(k, n)| k.field(n)).collect();
            (Typing::Inferred(kinds), fields)
        }
    };
    Ok(CsvReader {
        lexer,
        fields,
        typing,
        sample,
        row: 0,
        line: 1,
        failed: false,
    })
}

fn check_width(rec: &Record, n: usize) -> Result<(), ReadError> {
    if rec.cells.len() != n {
        return Err(ReadError::format(
            RowPosition {
                row: 0,
                line: Some(rec.line),
                byte: None,
            },
            format!("{} fields where the header line has {n}", rec.cells.len()),
        ));
    }
    Ok(())
}

/// Pass one of the two-pass mode: reads the whole input and returns the column types that hold every value.
pub fn scan_csv_fields<R: BufRead>(r: R, opts: CsvOptions) -> Result<Vec<Field>, ReadError> {
    let mut reader = read_csv(
        r,
        CsvOptions {
            fields: None,
            ..opts
        },
    )?;
    for row in reader.by_ref() {
        row?;
    }
    Ok(reader.fields)
}

impl<R: BufRead> CsvReader<R> {
    fn next_row(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        let rec = match self.sample.pop_front() {
            Some(r) => r,
            None => match self.lexer.record()? {
                Some(r) => r,
                None => return Ok(None),
            },
        };
        self.row += 1;
        self.line = rec.line;
        check_width(&rec, self.fields.len())?;
        let at = RowPosition {
            row: self.row,
            line: Some(rec.line),
            byte: None,
        };
        let mut out = Vec::with_capacity(rec.cells.len());
        match &mut self.typing {
            Typing::Given(cols) => {
                for (c, col) in rec.cells.iter().zip(cols.iter()) {
                    let v = if c.quoted && c.text.is_empty() && col.ty.datatype.is_text() {
                        Value::Text(String::new())
                    } else {
                        col.parse_text(&c.text)
                            .map_err(|m| ReadError::value(at, &col.name, m))?
                    };
                    out.push(v);
                }
            }
            Typing::Inferred(kinds) => {
                for (i, c) in rec.cells.iter().enumerate() {
                    let v = match kinds[i].value(c) {
                        Some(v) => v,
                        None => {
                            // Widen the column to a kind that holds this value, and report it from now on.
                            let k = kinds[i].widen(Kind::of(&c.text));
                            kinds[i] = k;
                            let name = std::mem::take(&mut self.fields[i].name);
                            self.fields[i] = k.field(&name);
                            k.value(c).ok_or_else(|| {
                                ReadError::value(at, &name, format!("'{}' does not fit", c.text))
                            })?
                        }
                    };
                    out.push(v);
                }
            }
        }
        Ok(Some(out))
    }
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<Vec<Value>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_row() {
            Ok(r) => r.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> TableReader for CsvReader<R> {
    fn fields(&self) -> &[Field] {
        &self.fields
    }

    fn position(&self) -> RowPosition {
        RowPosition {
            row: self.row,
            line: Some(self.line),
            byte: None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_recognised_bytewise() {
        for t in [
            "2020-01-02",
            "2020-01-02T03:04",
            "2020-01-02 03:04:05",
            "2020-01-02T03:04:05.25Z",
        ] {
            assert!(is_timestamp(t), "{t}");
        }
        // Found by the fuzzer: a multi-byte character right after the minutes used to panic.
        for t in [
            "2020-01-02T03:04:0\u{704}5.5",
            "2020-01-02T03:04:05.",
            "2020-01-02T3:04",
            "2020-1-02",
            "x",
        ] {
            assert!(!is_timestamp(t), "{t}");
        }
    }
}
