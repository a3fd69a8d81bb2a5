//! FITS results: an empty primary HDU and one BINTABLE (FITS 4.0 §7.3).
//!
//! FITS is the one format that spools: its header holds the row count (`NAXIS2`) and the heap size
//! (`PCOUNT`), both unknown until the last row. Rows go to an anonymous temporary file and variable-length
//! cells (strings, polygons) to a second one for the heap; `finish` writes the header and copies both out.
//! Memory stays bounded; disk use is about the size of the result. Because the header comes last, FITS can
//! also state how the query ended: keyword `QSTATUS` (`OK`, `OVERFLOW`, `ERROR`) and `QMESSAGE`.
//!
//! Mapping: boolean→`L` (null 0), bit→`X`, unsignedByte→`B`, short→`I`, int→`J`, long→`K`, float→`E`,
//! double→`D`, complex→`C`/`M` (null NaN),
//! fixed char→`nA`; variable arrays, variable char and unicodeChar→`1QT(max)` heap descriptors. FITS text is
//! ASCII: a non-ASCII character is a row error that says to use VOTable.
//! Fixed multi-dimensional arrays get `TDIMn`. UCD, utype, xtype and description go to `TUCDn`, `TUTYPn`,
//! `TXTYPn` and `TCOMMn` (the conventions STIL and HEASARC use).
//!
//! Integer nulls need a `TNULLn` value that no real cell uses. Spooling lets us choose it after the data: each
//! spooled row carries a null bitmap, the writer tracks which values each integer column uses, picks a free
//! one (the type's minimum when possible, 255 for bytes) and writes it into the null cells while copying out.
//! So, unlike VOTable BINARY, no value is ever refused for being the null marker.

use super::binary::{self, NullStyle};
use super::fits_null::Used;
use super::{End, ResultMeta, ResultWriter, Table};
use crate::cell;
use crate::datatype::{ColumnType, Datatype};
use crate::fits_card::{BLOCK, CardValue, HeaderWriter};
use crate::out::Out;
use crate::{Field, Value, WriteError};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// How one column is stored.
#[derive(Debug, Clone)]
enum Storage {
    /// In the row: `width` bytes, TFORM `tform`.
    Inline { width: usize, tform: String },
    /// In the heap: a 16-byte `Q` descriptor in the row; `code` is the element TFORM letter.
    Heap { code: char, max: u64 },
}

/// Per-column state gathered while spooling.
#[derive(Debug, Clone)]
struct ColumnState {
    storage: Storage,
    /// Byte offset of the cell in the row.
    offset: usize,
    used: Used,
    any_null: bool,
}

struct Spool {
    rows: BufWriter<File>,
    heap: BufWriter<File>,
    heap_len: u64,
}

/// A FITS BINTABLE writer (spools to temporary files; see the module docs).
pub struct FitsWriter<W: Write> {
    out: Out<W>,
    spool_dir: Option<PathBuf>,
    spool: Option<Spool>,
    table: Table,
    fields: Vec<Field>,
    cols: Vec<ColumnState>,
    row_width: usize,
    flag_bytes: usize,
    /// The spooled record: null bitmap, then the row.
    record: Vec<u8>,
    heap_row: Vec<u8>,
}

impl<W: Write> FitsWriter<W> {
    /// A writer into `out`, spooling in the system temporary directory.
    pub fn new(out: W) -> Self {
        FitsWriter {
            out: Out::new(out),
            spool_dir: None,
            spool: None,
            table: Table::default(),
            fields: Vec::new(),
            cols: Vec::new(),
            row_width: 0,
            flag_bytes: 0,
            record: Vec::new(),
            heap_row: Vec::new(),
        }
    }

    /// A writer that spools in `dir` (e.g. the service's work directory) instead of the system default.
    pub fn with_spool_dir(out: W, dir: PathBuf) -> Self {
        let mut w = FitsWriter::new(out);
        w.spool_dir = Some(dir);
        w
    }

    fn temp(&self) -> io::Result<File> {
        match &self.spool_dir {
            Some(d) => tempfile::tempfile_in(d),
            None => tempfile::tempfile(),
        }
    }

    fn header(&self, end: &End, tnull: &[Option<i64>], heap_len: u64, layout: &Layout) -> Vec<u8> {
        let mut h = HeaderWriter::default();
        h.card("SIMPLE", CardValue::Logical(true), Some("conforms to FITS"));
        h.card("BITPIX", CardValue::Int(8), None);
        h.card("NAXIS", CardValue::Int(0), None);
        h.card("EXTEND", CardValue::Logical(true), None);
        let mut out = h.end();

        let mut h = HeaderWriter::default();
        h.card(
            "XTENSION",
            CardValue::Str("BINTABLE"),
            Some("binary table extension"),
        );
        h.card("BITPIX", CardValue::Int(8), None);
        h.card("NAXIS", CardValue::Int(2), None);
        h.card(
            "NAXIS1",
            CardValue::Int(layout.row_width as i64),
            Some("bytes per row"),
        );
        h.card(
            "NAXIS2",
            CardValue::Int(self.table.rows as i64),
            Some("rows"),
        );
        h.card(
            "PCOUNT",
            CardValue::Int(heap_len as i64),
            Some("heap bytes"),
        );
        h.card("GCOUNT", CardValue::Int(1), None);
        h.card("TFIELDS", CardValue::Int(self.fields.len() as i64), None);
        let mut names = std::collections::HashSet::new();
        for (i, (f, (t, c))) in self
            .fields
            .iter()
            .zip(self.table.types.iter().zip(&self.cols))
            .enumerate()
        {
            let k = i + 1;
            // FITS readers want TTYPEs unique ignoring case (astropy refuses duplicates): `ra`, `ra_2`, ...
            let mut name = f.name.clone();
            let mut n = 2;
            while !names.insert(name.to_lowercase()) {
                name = format!("{}_{n}", f.name);
                n += 1;
            }
            h.card(&format!("TTYPE{k}"), CardValue::Str(&name), None);
            match &c.storage {
                Storage::Inline { tform, .. } => {
                    h.card(&format!("TFORM{k}"), CardValue::Str(tform), None);
                    if let Some(nv) = tnull[i] {
                        h.card(&format!("TNULL{k}"), CardValue::Int(nv), None);
                    }
                    if !t.arraysize.leading.is_empty() {
                        let last = t.arraysize.fixed_len().unwrap_or(0) / t.arraysize.unit().max(1);
                        let dims: Vec<String> = t
                            .arraysize
                            .leading
                            .iter()
                            .copied()
                            .chain([last])
                            .map(|d| d.to_string())
                            .collect();
                        h.card(
                            &format!("TDIM{k}"),
                            CardValue::Str(&format!("({})", dims.join(","))),
                            None,
                        );
                    }
                }
                Storage::Heap { code, max } => {
                    let tform = match layout.inline_text[i] {
                        Some(w) => format!("{w}A"),
                        None => format!("1Q{code}({max})"),
                    };
                    h.card(&format!("TFORM{k}"), CardValue::Str(&tform), None);
                }
            }
            let opt = [
                ("TUNIT", &f.unit),
                ("TUCD", &f.ucd),
                ("TUTYP", &f.utype),
                ("TXTYP", &f.xtype),
                ("TCOMM", &f.description),
            ];
            for (key, value) in opt {
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    h.card(&format!("{key}{k}"), CardValue::Str(v), None);
                }
            }
        }
        let (status, message) = match end {
            End::Ok => ("OK", None),
            End::Overflow => ("OVERFLOW", Some("the result was truncated at MAXREC rows")),
            End::Error(m) => ("ERROR", Some(m.as_str())),
        };
        h.card(
            "QSTATUS",
            CardValue::Str(status),
            Some("query status (DALI QUERY_STATUS)"),
        );
        if let Some(m) = message {
            h.card("QMESSAGE", CardValue::Str(m), None);
        }
        h.card(
            "LONGSTRN",
            CardValue::Str("OGIP 1.0"),
            Some("long strings continue on CONTINUE cards"),
        );
        out.extend_from_slice(&h.end());
        out
    }
}

fn letter(dt: Datatype) -> char {
    match dt {
        Datatype::Boolean => 'L',
        Datatype::Bit => 'X',
        Datatype::UnsignedByte => 'B',
        Datatype::Short => 'I',
        Datatype::Int => 'J',
        Datatype::Long => 'K',
        Datatype::Char | Datatype::UnicodeChar => 'A',
        Datatype::Float => 'E',
        Datatype::Double => 'D',
        Datatype::FloatComplex => 'C',
        Datatype::DoubleComplex => 'M',
    }
}

fn storage_of(t: &ColumnType) -> Storage {
    let dt = t.datatype;
    match t.arraysize.fixed_len() {
        Some(n) if dt != Datatype::UnicodeChar => {
            let width = if dt == Datatype::Bit {
                n.div_ceil(8)
            } else {
                n * dt.width()
            };
            Storage::Inline {
                width,
                tform: format!("{n}{}", letter(dt)),
            }
        }
        _ => Storage::Heap {
            code: letter(dt),
            max: 0,
        },
    }
}

/// Reads the big-endian integer elements of an encoded cell.
fn for_each_int(bytes: &[u8], dt: Datatype, mut f: impl FnMut(i64)) {
    let w = dt.width();
    for e in bytes.chunks_exact(w) {
        f(match dt {
            Datatype::UnsignedByte => e[0] as i64,
            Datatype::Short => i16::from_be_bytes([e[0], e[1]]) as i64,
            Datatype::Int => i32::from_be_bytes([e[0], e[1], e[2], e[3]]) as i64,
            _ => i64::from_be_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]),
        });
    }
}

impl<W: Write> ResultWriter for FitsWriter<W> {
    fn begin(&mut self, _meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError> {
        self.table.begin(fields)?;
        if fields.len() > 999 {
            return Err(WriteError::Field {
                column: fields[999].name.clone(),
                message: "FITS tables hold at most 999 columns".into(),
            });
        }
        let mut offset = 0;
        self.cols = self
            .table
            .types
            .iter()
            .map(|t| {
                let storage = storage_of(t);
                let width = match &storage {
                    Storage::Inline { width, .. } => *width,
                    Storage::Heap { .. } => 16,
                };
                let c = ColumnState {
                    storage,
                    offset,
                    used: Used::for_type(t),
                    any_null: false,
                };
                offset += width;
                c
            })
            .collect();
        self.row_width = offset;
        self.flag_bytes = fields.len().div_ceil(8);
        self.fields = fields.to_vec();
        let rows = BufWriter::with_capacity(64 * 1024, self.temp()?);
        let heap = BufWriter::with_capacity(64 * 1024, self.temp()?);
        self.spool = Some(Spool {
            rows,
            heap,
            heap_len: 0,
        });
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<(), WriteError> {
        let n = self.table.row(row)?;
        let Some(spool) = self.spool.as_mut() else {
            return Err(WriteError::State("row before begin"));
        };
        self.record.clear();
        self.record.resize(self.flag_bytes, 0);
        self.heap_row.clear();
        let mut maxes: Vec<(usize, u64)> = Vec::new();
        for (i, (v, t)) in row.iter().zip(&self.table.types).enumerate() {
            let err = |m: String| WriteError::Value {
                row: n,
                column: self.table.names[i].clone(),
                message: m,
            };
            let at = self.record.len();
            let null = match &self.cols[i].storage {
                Storage::Inline { .. } => {
                    if t.datatype.is_text()
                        && let Some(s) = cell::to_text(v, t).map_err(err)?
                    {
                        check_ascii(&s).map_err(err)?;
                    }
                    let null =
                        binary::encode(&mut self.record, t, v, NullStyle::Binary2).map_err(err)?;
                    if t.datatype == Datatype::Boolean {
                        // FITS spells a null logical as a zero byte, VOTable as '?'.
                        self.record[at..]
                            .iter_mut()
                            .filter(|b| **b == b'?')
                            .for_each(|b| *b = 0);
                    }
                    null
                }
                Storage::Heap { .. } => {
                    let (count, start, null) = heap_cell(&mut self.heap_row, t, v).map_err(err)?;
                    let offset = spool.heap_len + start as u64;
                    self.record.extend_from_slice(&count.to_be_bytes());
                    self.record.extend_from_slice(&offset.to_be_bytes());
                    maxes.push((i, count));
                    null
                }
            };
            if null {
                self.record[i / 8] |= 0x80 >> (i % 8);
            }
        }
        // The row is complete: only now does it touch the spool and the column statistics.
        for (i, c) in self.cols.iter_mut().enumerate() {
            let null = self.record[i / 8] & (0x80 >> (i % 8)) != 0;
            c.any_null |= null;
            if !null
                && !matches!(c.used, Used::NotInt)
                && let Storage::Inline { width, .. } = c.storage
            {
                let cell =
                    &self.record[self.flag_bytes + c.offset..self.flag_bytes + c.offset + width];
                let used = &mut c.used;
                for_each_int(cell, self.table.types[i].datatype, |v| used.note(v));
            }
        }
        for (i, count) in maxes {
            if let Storage::Heap { max, .. } = &mut self.cols[i].storage {
                *max = (*max).max(count);
            }
        }
        spool.rows.write_all(&self.record)?;
        spool.heap.write_all(&self.heap_row)?;
        spool.heap_len += self.heap_row.len() as u64;
        self.table.row_done();
        Ok(())
    }

    fn finish(&mut self, end: End) -> Result<(), WriteError> {
        self.table.finish()?;
        let Some(mut spool) = self.spool.take() else {
            return Err(WriteError::State("finish before begin"));
        };
        let mut tnull = Vec::with_capacity(self.cols.len());
        for (i, c) in self.cols.iter().enumerate() {
            let dt = self.table.types[i].datatype;
            let v = if c.any_null { c.used.free(dt) } else { None };
            if c.any_null && v.is_none() && !matches!(c.used, Used::NotInt) {
                return Err(WriteError::Field {
                    column: self.table.names[i].clone(),
                    message: format!(
                        "has nulls and uses every {} value, so FITS has no TNULL left",
                        dt.name()
                    ),
                });
            }
            tnull.push(v);
        }
        let layout = self.layout();
        let keep_heap = self
            .cols
            .iter()
            .zip(&layout.inline_text)
            .any(|(c, inline)| matches!(c.storage, Storage::Heap { .. }) && inline.is_none());
        let heap_len = if keep_heap { spool.heap_len } else { 0 };
        let header = self.header(&end, &tnull, heap_len, &layout);
        self.out.push(&header);
        self.out.flush_buf()?;

        spool.rows.flush()?;
        spool.heap.flush()?;
        let heap_file = spool.heap.get_mut();
        heap_file.seek(SeekFrom::Start(0))?;
        let mut heap = io::BufReader::with_capacity(64 * 1024, &*heap_file);
        let file = spool.rows.get_mut();
        file.seek(SeekFrom::Start(0))?;
        let mut rows = io::BufReader::with_capacity(64 * 1024, &*file);
        let record_len = self.flag_bytes + self.row_width;
        let mut record = vec![0u8; record_len];
        let mut text = Vec::new();
        for _ in 0..self.table.rows {
            rows.read_exact(&mut record)?;
            for (i, c) in self.cols.iter().enumerate() {
                let at = self.flag_bytes + c.offset;
                match (&c.storage, layout.inline_text[i]) {
                    (Storage::Inline { width, .. }, _) => {
                        let null = record_null(&record, i);
                        if let (Some(nv), true) = (tnull[i], null) {
                            fill_tnull(
                                &mut record[at..at + width],
                                self.table.types[i].datatype,
                                nv,
                            );
                        }
                        self.out.push(&record[at..at + width]);
                    }
                    (Storage::Heap { .. }, inline) => {
                        let count =
                            u64::from_be_bytes(record[at..at + 8].try_into().unwrap_or([0; 8]));
                        let len = heap_bytes(&self.table.types[i], count);
                        match inline {
                            Some(w) => {
                                text.resize(len as usize, 0);
                                heap.read_exact(&mut text)?;
                                self.out.push(&text);
                                self.out.push(&vec![0u8; w.saturating_sub(text.len())]);
                            }
                            None => {
                                io::copy(&mut (&mut heap).take(len), &mut io::sink())?;
                                self.out.push(&record[at..at + 16]);
                            }
                        }
                    }
                }
            }
            self.out.maybe_flush()?;
        }
        drop(heap);
        self.out.flush_buf()?;
        if keep_heap {
            heap_file.seek(SeekFrom::Start(0))?;
            io::copy(heap_file, self.out.inner_mut())?;
        }
        let data_len = layout.row_width as u64 * self.table.rows + heap_len;
        let pad = (data_len.div_ceil(BLOCK as u64) * BLOCK as u64 - data_len) as usize;
        self.out.push(&vec![0u8; pad]);
        self.out.flush_all()?;
        Ok(())
    }
}

/// Text at most this long is written in fixed-width `nA` columns (astropy reads variable-length `PA`/`QA`
/// columns as arrays of characters); longer text stays in the heap so one long value does not widen every row.
const MAX_INLINE_TEXT: u64 = 1024;

/// The output row layout, decided at `finish` when the longest strings are known.
struct Layout {
    /// For each column spooled to the heap: `Some(width)` when written inline as `widthA` instead.
    inline_text: Vec<Option<usize>>,
    /// NAXIS1.
    row_width: usize,
}

impl<W: Write> FitsWriter<W> {
    fn layout(&self) -> Layout {
        let mut row_width = 0;
        let inline_text = self
            .cols
            .iter()
            .zip(&self.table.types)
            .map(|(c, t)| match c.storage {
                Storage::Inline { width, .. } => {
                    row_width += width;
                    None
                }
                Storage::Heap { max, .. } if t.datatype.is_text() && max <= MAX_INLINE_TEXT => {
                    let w = max.max(1) as usize;
                    row_width += w;
                    Some(w)
                }
                Storage::Heap { .. } => {
                    row_width += 16;
                    None
                }
            })
            .collect();
        Layout {
            inline_text,
            row_width,
        }
    }
}

fn record_null(record: &[u8], i: usize) -> bool {
    record[i / 8] & (0x80 >> (i % 8)) != 0
}

/// Writes the TNULL value into every element of a null integer cell.
fn fill_tnull(cell: &mut [u8], dt: Datatype, nv: i64) {
    let mut one = Vec::with_capacity(8);
    binary::push_int(&mut one, dt, nv);
    for e in cell.chunks_exact_mut(one.len()) {
        e.copy_from_slice(&one);
    }
}

/// Bytes a heap cell of `count` elements takes.
fn heap_bytes(t: &ColumnType, count: u64) -> u64 {
    match t.datatype {
        Datatype::Bit => count.div_ceil(8),
        Datatype::Char | Datatype::UnicodeChar => count,
        dt => count * dt.width() as u64,
    }
}

/// FITS text is ASCII (FITS 4.0 §7.3.3.1) and astropy refuses anything else, so non-ASCII text is an error
/// that points to VOTable rather than bytes most readers cannot decode.
fn check_ascii(s: &str) -> Result<(), String> {
    match s.chars().find(|c| !c.is_ascii()) {
        None => Ok(()),
        Some(c) => Err(format!(
            "'{s}' has the non-ASCII character '{c}', which FITS cannot hold; ask for VOTable (it keeps Unicode)"
        )),
    }
}

/// Encodes a heap cell into `heap`; returns the element count, where its bytes start in `heap`, and whether
/// it was null.
fn heap_cell(heap: &mut Vec<u8>, t: &ColumnType, v: &Value) -> Result<(u64, usize, bool), String> {
    let start = heap.len();
    if t.datatype.is_text() {
        let s = cell::to_text(v, t)?;
        let null = s.is_none();
        let s = s.as_deref().unwrap_or("");
        check_ascii(s)?;
        heap.extend_from_slice(s.as_bytes());
        return Ok((s.len() as u64, start, null));
    }
    // The VOTable BINARY encoding of a variable array is a 4-byte count and the elements, exactly what
    // the heap wants once the count is taken off.
    let null = binary::encode(heap, t, v, NullStyle::Binary2)?;
    let count = u32::from_be_bytes([
        heap[start],
        heap[start + 1],
        heap[start + 2],
        heap[start + 3],
    ]) as u64;
    heap.drain(start..start + 4);
    if t.datatype == Datatype::Boolean {
        heap[start..]
            .iter_mut()
            .filter(|b| **b == b'?')
            .for_each(|b| *b = 0);
    }
    Ok((count, start, null))
}
