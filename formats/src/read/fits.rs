//! FITS binary table reader (FITS 4.0 §7.3): the first `BINTABLE` extension, any HDUs before it skipped.
//!
//! Types: `L X B I J K A E D C M`, fixed repeat counts with `TDIMn`, variable-length arrays through `P`/`Q`
//! descriptors into the heap, `TNULLn`, `TSCALn`/`TZEROn` (the unsigned conventions `B`+`TZERO=-128`,
//! `I`+32768, `J`+2³¹ become wider signed integers; other scalings give doubles), `TUNITn`, and the `TUCDn`,
//! `TUTYPn`, `TXTYPn`, `TCOMMn` conventions for UCD, utype, xtype and description. Every size in the header
//! is checked (with overflow-safe arithmetic) before anything is allocated or read.

use super::TableReader;
use super::binary::{self, Nulls};
use super::column::{ReadColumn, join_floats};
use crate::datatype::{Datatype, MAX_FIXED_ELEMENTS};
use crate::fits_card::{BLOCK, CARD, Card, parse_card};
use crate::{Field, ReadError, RowPosition, Value};
use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// Header blocks read at most per HDU (about 28 MB of cards).
const MAX_HEADER_BLOCKS: usize = 10_000;
/// Largest row accepted (`NAXIS1`).
const MAX_ROW_BYTES: u64 = 64 << 20;
/// HDUs skipped at most before giving up on finding a BINTABLE.
const MAX_HDUS: usize = 1000;

/// How stored integers become values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scaling {
    None,
    /// Integer offset (the unsigned conventions): `stored + offset`.
    Offset(i64),
    /// `stored * scale + zero`, as a double.
    Linear(f64, f64),
}

#[derive(Debug, Clone)]
struct FitsColumn {
    /// The column as stored (decoding).
    raw: ReadColumn,
    /// Byte offset in the row.
    offset: usize,
    /// Bytes in the row (16 for Q, 8 for P descriptors).
    width: usize,
    /// `Some(true)` for Q, `Some(false)` for P descriptors.
    heap: Option<bool>,
    scaling: Scaling,
}

/// A FITS binary table being read; see [`read_fits`].
pub struct FitsReader<R: Read + Seek> {
    input: BufReader<R>,
    fields: Vec<Field>,
    cols: Vec<FitsColumn>,
    rows: u64,
    row: u64,
    data_start: u64,
    heap_start: u64,
    heap_len: u64,
    buf: Vec<u8>,
    failed: bool,
}

fn header_err(hdu: usize, m: impl Into<String>) -> ReadError {
    ReadError::format(RowPosition::default(), format!("HDU {hdu}: {}", m.into()))
}

/// Reads one header; returns the cards by keyword (long strings joined) and the bytes read.
/// A header: its cards by keyword, and the bytes it took.
type Header = (HashMap<String, Card>, u64);

fn read_header<R: Read>(r: &mut R, hdu: usize) -> Result<Option<Header>, ReadError> {
    let mut cards: HashMap<String, Card> = HashMap::new();
    let mut block = vec![0u8; BLOCK];
    let mut last_key: Option<String> = None;
    for n in 0..MAX_HEADER_BLOCKS {
        match r.read_exact(&mut block) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && n == 0 => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(header_err(hdu, "the file ends inside a header"));
            }
            Err(e) => return Err(e.into()),
        }
        if n == 0 && !(block.starts_with(b"SIMPLE  =") || block.starts_with(b"XTENSION=")) {
            return Err(header_err(
                hdu,
                "not a FITS header (no SIMPLE or XTENSION card)",
            ));
        }
        for raw in block.chunks_exact(CARD) {
            let card = parse_card(raw);
            if card.key == "END" {
                return Ok(Some((cards, ((n + 1) * BLOCK) as u64)));
            }
            if card.key == "CONTINUE" {
                if let (Some(k), Some(more)) = (&last_key, card.value)
                    && let Some(prev) = cards.get_mut(k)
                    && let Some(v) = prev.value.as_mut()
                    && v.ends_with('&')
                {
                    v.pop();
                    v.push_str(&more);
                }
                continue;
            }
            if card.value.is_some() {
                last_key = Some(card.key.clone());
                cards.entry(card.key.clone()).or_insert(card);
            }
        }
    }
    Err(header_err(
        hdu,
        format!("no END card in {MAX_HEADER_BLOCKS} header blocks"),
    ))
}

fn int_card(
    cards: &HashMap<String, Card>,
    key: &str,
    hdu: usize,
) -> Result<Option<i64>, ReadError> {
    match cards.get(key).and_then(|c| c.value.as_deref()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| header_err(hdu, format!("{key} = {v} is not an integer"))),
    }
}

fn float_card(
    cards: &HashMap<String, Card>,
    key: &str,
    hdu: usize,
) -> Result<Option<f64>, ReadError> {
    match cards.get(key).and_then(|c| c.value.as_deref()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .replace(['D', 'd'], "E")
            .parse::<f64>()
            .map(Some)
            .map_err(|_| header_err(hdu, format!("{key} = {v} is not a number"))),
    }
}

fn str_card(cards: &HashMap<String, Card>, key: &str) -> Option<String> {
    cards
        .get(key)
        .and_then(|c| c.value.clone())
        .map(|v| v.trim_end().to_string())
        .filter(|v| !v.is_empty())
}

/// Bytes of data after a header (FITS 4.0 eq. 2), padded to whole blocks.
fn data_size(cards: &HashMap<String, Card>, hdu: usize) -> Result<u64, ReadError> {
    let too_big = || header_err(hdu, "the data size overflows");
    let bitpix = int_card(cards, "BITPIX", hdu)?.ok_or_else(|| header_err(hdu, "no BITPIX"))?;
    let naxis = int_card(cards, "NAXIS", hdu)?.ok_or_else(|| header_err(hdu, "no NAXIS"))?;
    if !(0..=999).contains(&naxis) {
        return Err(header_err(hdu, format!("NAXIS = {naxis}")));
    }
    if naxis == 0 {
        return Ok(0);
    }
    let mut n: u64 = 1;
    for i in 1..=naxis {
        let a = int_card(cards, &format!("NAXIS{i}"), hdu)?
            .ok_or_else(|| header_err(hdu, format!("no NAXIS{i}")))?;
        let a = u64::try_from(a).map_err(|_| header_err(hdu, format!("NAXIS{i} = {a}")))?;
        // Random groups: NAXIS1 = 0 does not count.
        if !(i == 1 && a == 0 && cards.contains_key("GROUPS")) {
            n = n.checked_mul(a).ok_or_else(too_big)?;
        }
    }
    let pcount = u64::try_from(int_card(cards, "PCOUNT", hdu)?.unwrap_or(0))
        .map_err(|_| header_err(hdu, "negative PCOUNT"))?;
    let gcount = u64::try_from(int_card(cards, "GCOUNT", hdu)?.unwrap_or(1))
        .map_err(|_| header_err(hdu, "negative GCOUNT"))?;
    let bytes = (bitpix.unsigned_abs() / 8)
        .checked_mul(gcount)
        .and_then(|b| b.checked_mul(pcount.checked_add(n)?))
        .ok_or_else(too_big)?;
    bytes
        .div_ceil(BLOCK as u64)
        .checked_mul(BLOCK as u64)
        .ok_or_else(too_big)
}

/// Parses `rT`, `rPT(emax)`, `rQT(emax)`: (repeat, type letter, descriptor kind).
fn parse_tform(s: &str) -> Option<(usize, char, Option<bool>)> {
    let s = s.trim();
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let repeat = if digits == 0 {
        1
    } else {
        s[..digits].parse().ok()?
    };
    let mut rest = s[digits..].chars();
    let first = rest.next()?;
    match first {
        'P' | 'Q' => Some((repeat, rest.next()?, Some(first == 'Q'))),
        c => Some((repeat, c, None)),
    }
}

fn datatype_of(letter: char) -> Option<Datatype> {
    Some(match letter {
        'L' => Datatype::Boolean,
        'X' => Datatype::Bit,
        'B' => Datatype::UnsignedByte,
        'I' => Datatype::Short,
        'J' => Datatype::Int,
        'K' => Datatype::Long,
        'A' => Datatype::Char,
        'E' => Datatype::Float,
        'D' => Datatype::Double,
        'C' => Datatype::FloatComplex,
        'M' => Datatype::DoubleComplex,
        _ => return None,
    })
}

/// Opens a FITS file and positions on the first binary table's rows.
pub fn read_fits<R: Read + Seek>(r: R) -> Result<FitsReader<R>, ReadError> {
    let mut input = BufReader::with_capacity(64 * 1024, r);
    let mut pos: u64 = 0;
    for hdu in 0..MAX_HDUS {
        let Some((cards, header_len)) = read_header(&mut input, hdu)? else {
            return Err(header_err(hdu, "the file has no BINTABLE extension"));
        };
        pos += header_len;
        let size = data_size(&cards, hdu)?;
        let is_bintable = hdu > 0 && str_card(&cards, "XTENSION").as_deref() == Some("BINTABLE");
        if !is_bintable {
            pos = pos
                .checked_add(size)
                .ok_or_else(|| header_err(hdu, "the data size overflows"))?;
            input.seek(SeekFrom::Start(pos))?;
            continue;
        }
        return open_table(input, &cards, hdu, pos);
    }
    Err(header_err(MAX_HDUS, "too many HDUs before a BINTABLE"))
}

fn open_table<R: Read + Seek>(
    input: BufReader<R>,
    cards: &HashMap<String, Card>,
    hdu: usize,
    data_start: u64,
) -> Result<FitsReader<R>, ReadError> {
    let need = |k: &str| -> Result<i64, ReadError> {
        int_card(cards, k, hdu)?.ok_or_else(|| header_err(hdu, format!("no {k}")))
    };
    let row_bytes =
        u64::try_from(need("NAXIS1")?).map_err(|_| header_err(hdu, "negative NAXIS1"))?;
    if row_bytes > MAX_ROW_BYTES {
        return Err(ReadError::Limit {
            at: RowPosition::default(),
            message: format!("rows of {row_bytes} bytes exceed the limit of {MAX_ROW_BYTES}"),
        });
    }
    let rows = u64::try_from(need("NAXIS2")?).map_err(|_| header_err(hdu, "negative NAXIS2"))?;
    let heap_len = u64::try_from(int_card(cards, "PCOUNT", hdu)?.unwrap_or(0))
        .map_err(|_| header_err(hdu, "negative PCOUNT"))?;
    let table_len = row_bytes
        .checked_mul(rows)
        .ok_or_else(|| header_err(hdu, "NAXIS1 × NAXIS2 overflows"))?;
    let theap = match int_card(cards, "THEAP", hdu)? {
        Some(t) => u64::try_from(t).map_err(|_| header_err(hdu, "negative THEAP"))?,
        None => table_len,
    };
    let tfields = need("TFIELDS")?;
    if !(0..=999).contains(&tfields) {
        return Err(header_err(hdu, format!("TFIELDS = {tfields}")));
    }
    let mut fields = Vec::new();
    let mut cols = Vec::new();
    let mut offset = 0usize;
    for k in 1..=tfields as usize {
        let tform = str_card(cards, &format!("TFORM{k}"))
            .ok_or_else(|| header_err(hdu, format!("no TFORM{k}")))?;
        let bad = || {
            header_err(
                hdu,
                format!("TFORM{k} = '{tform}' is not a binary table format"),
            )
        };
        let (repeat, letter, heap) = parse_tform(&tform).ok_or_else(bad)?;
        let dt = datatype_of(letter).ok_or_else(bad)?;
        if repeat > MAX_FIXED_ELEMENTS {
            return Err(header_err(
                hdu,
                format!("TFORM{k} = '{tform}' repeats more than {MAX_FIXED_ELEMENTS} times"),
            ));
        }
        if heap.is_some() && repeat > 1 {
            return Err(header_err(
                hdu,
                format!("TFORM{k} = '{tform}': a descriptor repeat must be 0 or 1"),
            ));
        }
        let width = match heap {
            Some(true) => 16 * repeat,
            Some(false) => 8 * repeat,
            None if dt == Datatype::Bit => repeat.div_ceil(8),
            None => repeat * dt.width(),
        };
        let name = str_card(cards, &format!("TTYPE{k}")).unwrap_or_else(|| format!("col{k}"));
        let tdim = str_card(cards, &format!("TDIM{k}"));
        let arraysize = match (heap, repeat, tdim) {
            (Some(_), _, _) => Some("*".to_string()),
            (None, _, Some(d)) => {
                let dims: Vec<&str> = d
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(',')
                    .map(str::trim)
                    .collect();
                Some(dims.join("x"))
            }
            (None, 1, None) if dt != Datatype::Char => None,
            (None, r, None) => Some(r.to_string()),
        };
        let tnull = int_card(cards, &format!("TNULL{k}"), hdu)?;
        let raw_field = Field {
            name: name.clone(),
            datatype: dt.name().into(),
            arraysize: arraysize.clone(),
            ..Default::default()
        };
        let raw = ReadColumn::new(&raw_field, tnull.map(|t| t.to_string()))
            .map_err(|m| header_err(hdu, format!("column '{name}': {m}")))?;
        if heap.is_none() && raw.ty.arraysize.fixed_len().is_some_and(|n| n != repeat) {
            return Err(header_err(
                hdu,
                format!("TDIM{k} does not match TFORM{k} = '{tform}'"),
            ));
        }
        let scal = float_card(cards, &format!("TSCAL{k}"), hdu)?.unwrap_or(1.0);
        let zero = float_card(cards, &format!("TZERO{k}"), hdu)?.unwrap_or(0.0);
        let (scaling, out_type) = match (dt, scal, zero) {
            (_, s, z) if s == 1.0 && z == 0.0 => (Scaling::None, dt),
            (Datatype::UnsignedByte, 1.0, -128.0) => (Scaling::Offset(-128), Datatype::Short),
            (Datatype::Short, 1.0, 32768.0) => (Scaling::Offset(32768), Datatype::Int),
            (Datatype::Int, 1.0, 2147483648.0) => (Scaling::Offset(2147483648), Datatype::Long),
            (Datatype::UnsignedByte | Datatype::Short | Datatype::Int | Datatype::Long, s, z) => {
                (Scaling::Linear(s, z), Datatype::Double)
            }
            _ => (Scaling::None, dt),
        };
        fields.push(Field {
            name,
            datatype: out_type.name().into(),
            arraysize,
            xtype: str_card(cards, &format!("TXTYP{k}")),
            unit: str_card(cards, &format!("TUNIT{k}")),
            ucd: str_card(cards, &format!("TUCD{k}")),
            utype: str_card(cards, &format!("TUTYP{k}")),
            description: str_card(cards, &format!("TCOMM{k}")),
        });
        cols.push(FitsColumn {
            raw,
            offset,
            width,
            heap,
            scaling,
        });
        offset += width;
    }
    if row_bytes == 0 && rows > 0 {
        // Zero-byte rows cost nothing to declare and forever to iterate.
        return Err(header_err(
            hdu,
            format!("NAXIS2 = {rows} rows of zero bytes"),
        ));
    }
    if offset as u64 != row_bytes {
        return Err(header_err(
            hdu,
            format!("the columns take {offset} bytes but NAXIS1 = {row_bytes}"),
        ));
    }
    Ok(FitsReader {
        input,
        fields,
        cols,
        rows,
        row: 0,
        data_start,
        heap_start: data_start.saturating_add(theap),
        heap_len: heap_len.saturating_sub(theap.saturating_sub(table_len)),
        buf: vec![0; row_bytes as usize],
        failed: false,
    })
}

fn be_u64(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
}

impl<R: Read + Seek> FitsReader<R> {
    fn at(&self) -> RowPosition {
        RowPosition {
            row: self.row,
            line: None,
            byte: None,
        }
    }

    fn next_row(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        if self.row >= self.rows {
            return Ok(None);
        }
        self.row += 1;
        self.input.read_exact(&mut self.buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                ReadError::format(
                    self.at(),
                    format!("the file ends inside row {} of {}", self.row, self.rows),
                )
            } else {
                e.into()
            }
        })?;
        let mut out = Vec::with_capacity(self.cols.len());
        let mut heap_bytes = Vec::new();
        for i in 0..self.cols.len() {
            let c = &self.cols[i];
            let cell = &self.buf[c.offset..c.offset + c.width];
            let v = match c.heap {
                None => {
                    let count = c.raw.ty.arraysize.fixed_len().unwrap_or(1);
                    let v = binary::decode(cell, &c.raw, count, Nulls::ByValue);
                    v.map_err(|m| ReadError::value(self.at(), &c.raw.name, m))?
                }
                Some(_) if c.width == 0 => Value::Null,
                Some(q) => {
                    let (count, offset) = if q {
                        (be_u64(&cell[..8]), be_u64(&cell[8..16]))
                    } else {
                        (be_u64(&cell[..4]), be_u64(&cell[4..8]))
                    };
                    let len =
                        binary::variable_bytes(&c.raw, count).map_err(|m| ReadError::Limit {
                            at: self.at(),
                            message: format!("column '{}': {m}", c.raw.name),
                        })?;
                    if offset
                        .checked_add(len as u64)
                        .is_none_or(|end| end > self.heap_len)
                    {
                        return Err(ReadError::value(
                            self.at(),
                            &c.raw.name,
                            format!(
                                "heap descriptor ({count} elements at {offset}) points outside the heap of {} bytes",
                                self.heap_len
                            ),
                        ));
                    }
                    heap_bytes.resize(len, 0);
                    let back = self.input.stream_position()?;
                    let at = self.heap_start.checked_add(offset).ok_or_else(|| {
                        ReadError::value(self.at(), &c.raw.name, "heap offset overflows")
                    })?;
                    self.input.seek(SeekFrom::Start(at))?;
                    let read = self.input.read_exact(&mut heap_bytes);
                    self.input.seek(SeekFrom::Start(back))?;
                    read.map_err(|_| {
                        ReadError::value(self.at(), &c.raw.name, "the file ends inside the heap")
                    })?;
                    let c = &self.cols[i];
                    binary::decode(&heap_bytes, &c.raw, count as usize, Nulls::ByValue)
                        .map_err(|m| ReadError::value(self.at(), &c.raw.name, m))?
                }
            };
            let c = &self.cols[i];
            out.push(
                scale(v, c.scaling, c.raw.ty.datatype)
                    .map_err(|m| ReadError::value(self.at(), &c.raw.name, m))?,
            );
        }
        Ok(Some(out))
    }

    /// Rows the header declares.
    pub fn row_count(&self) -> u64 {
        self.rows
    }

    /// Byte offset of the table data in the file.
    pub fn data_offset(&self) -> u64 {
        self.data_start
    }
}

/// Applies TSCAL/TZERO to a decoded cell.
fn scale(v: Value, s: Scaling, raw: Datatype) -> Result<Value, String> {
    let one = |i: i64| -> Result<Value, String> {
        Ok(match s {
            Scaling::None => Value::Int(i),
            Scaling::Offset(o) => Value::Int(i.checked_add(o).ok_or("scaled value overflows")?),
            Scaling::Linear(a, b) => Value::Float(i as f64 * a + b),
        })
    };
    match (s, v) {
        (Scaling::None, v) => Ok(v),
        (_, Value::Int(i)) => one(i),
        (_, Value::Bytes(b)) if raw == Datatype::UnsignedByte => join(
            b.iter()
                .map(|x| one(i64::from(*x)))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        (_, Value::Text(t)) => {
            let vals = crate::cell::tokens(&t)
                .map(|x| crate::cell::parse_int(x).and_then(one))
                .collect::<Result<Vec<_>, _>>()?;
            join(vals)
        }
        (_, v) => Ok(v),
    }
}

fn join(vals: Vec<Value>) -> Result<Value, String> {
    let mut ints = Vec::new();
    let mut floats = Vec::new();
    for v in &vals {
        match v {
            Value::Int(i) => ints.push(itoa::Buffer::new().format(*i).to_string()),
            Value::Float(f) => floats.push(*f),
            _ => {}
        }
    }
    Ok(Value::Text(if floats.is_empty() {
        ints.join(" ")
    } else {
        join_floats(&floats, false)
    }))
}

impl<R: Read + Seek> Iterator for FitsReader<R> {
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

impl<R: Read + Seek> TableReader for FitsReader<R> {
    fn fields(&self) -> &[Field] {
        &self.fields
    }

    fn position(&self) -> RowPosition {
        self.at()
    }
}
