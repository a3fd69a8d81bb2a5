//! Decoding VOTable BINARY/BINARY2 streams: base64 pulled from the XML input as rows are asked for, and cells
//! decoded from big-endian bytes. Memory holds one row (plus a few KiB of decoded look-ahead); a declared
//! array length is checked against [`MAX_CELL_BYTES`] and data are only buffered as they actually arrive.

use super::column::{ReadColumn, join_floats, widen_single};
use crate::Value;
use crate::datatype::Datatype;
use std::io::BufRead;

/// Largest cell a binary stream may declare (a variable-length array or string).
pub(crate) const MAX_CELL_BYTES: usize = 256 << 20;

/// The base64 payload of a `<STREAM>`, decoded incrementally from the XML input.
#[derive(Debug, Default)]
pub(crate) struct Base64Source {
    decoded: Vec<u8>,
    pos: usize,
    quad: [u8; 4],
    filled: usize,
    /// The closing `<` of the stream was reached.
    ended: bool,
}

fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

impl Base64Source {
    /// Bytes decoded and not yet taken.
    pub(crate) fn available(&self) -> usize {
        self.decoded.len() - self.pos
    }

    /// Decodes until `n` bytes are available; `Ok(false)` when the stream ends first.
    pub(crate) fn fill<R: BufRead>(&mut self, src: &mut R, n: usize) -> Result<bool, String> {
        if self.pos > 0 && self.pos * 2 >= self.decoded.len() {
            self.decoded.drain(..self.pos);
            self.pos = 0;
        }
        while self.available() < n {
            if self.ended {
                return Ok(false);
            }
            let buf = src
                .fill_buf()
                .map_err(|e| format!("reading the stream: {e}"))?;
            if buf.is_empty() {
                return Err("the document ends inside the base64 STREAM".into());
            }
            let (chunk, end) = match buf.iter().position(|b| *b == b'<') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            for &c in chunk {
                if c.is_ascii_whitespace() {
                    continue;
                }
                if c == b'=' {
                    // Padding closes the current quad: 2 or 3 characters carry 1 or 2 bytes.
                    match self.filled {
                        0 => continue,
                        1 => return Err("misplaced '=' in the base64 STREAM".into()),
                        k => {
                            self.flush_quad(k);
                            self.filled = 0;
                        }
                    }
                    continue;
                }
                let Some(v) = sextet(c) else {
                    return Err(format!("'{}' is not a base64 character", c.escape_ascii()));
                };
                self.quad[self.filled] = v;
                self.filled += 1;
                if self.filled == 4 {
                    self.flush_quad(4);
                    self.filled = 0;
                }
            }
            let used = chunk.len();
            src.consume(used);
            if end {
                self.ended = true;
                if self.filled == 1 {
                    return Err("the base64 STREAM is truncated".into());
                }
                if self.filled > 1 {
                    let k = self.filled;
                    self.flush_quad(k);
                    self.filled = 0;
                }
            }
        }
        Ok(true)
    }

    fn flush_quad(&mut self, k: usize) {
        let q = self.quad;
        let bits = (u32::from(q[0]) << 18)
            | (u32::from(q[1]) << 12)
            | (if k > 2 { u32::from(q[2]) << 6 } else { 0 })
            | (if k > 3 { u32::from(q[3]) } else { 0 });
        let bytes = bits.to_be_bytes();
        self.decoded.extend_from_slice(&bytes[1..k]);
    }

    /// Takes `n` bytes (after a successful `fill`).
    pub(crate) fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.decoded[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    /// True once the stream's end was reached and every decoded byte taken.
    #[cfg(test)]
    pub(crate) fn exhausted(&self) -> bool {
        self.ended && self.available() == 0
    }
}

/// Bytes of a fixed cell, or `None` when variable (a 4-byte count comes first).
pub(crate) fn fixed_bytes(col: &ReadColumn) -> Option<usize> {
    let n = col.ty.arraysize.fixed_len()?;
    Some(if col.ty.datatype == Datatype::Bit {
        n.div_ceil(8)
    } else {
        n * col.ty.datatype.width()
    })
}

/// Bytes of a variable cell of `count` elements, checked against the limit.
pub(crate) fn variable_bytes(col: &ReadColumn, count: u64) -> Result<usize, String> {
    let dt = col.ty.datatype;
    let bytes = if dt == Datatype::Bit {
        count.div_ceil(8)
    } else {
        count.saturating_mul(dt.width() as u64)
    };
    if bytes > MAX_CELL_BYTES as u64 {
        return Err(format!(
            "a cell declares {count} elements ({bytes} bytes), over the limit of {MAX_CELL_BYTES} bytes"
        ));
    }
    Ok(bytes as usize)
}

/// How a binary cell's nulls are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nulls {
    /// VOTable BINARY / FITS: by value (sentinel, NaN, empty).
    ByValue,
    /// BINARY2 with the flag clear: values are what they are (NaN stays NaN).
    Flagged,
}

/// Decodes text bytes: UTF-8, or Latin-1 when not (older writers put Latin-1 in `char`).
pub(crate) fn bytes_to_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

/// Decodes one cell of `count` elements from its bytes.
pub(crate) fn decode(
    bytes: &[u8],
    col: &ReadColumn,
    count: usize,
    nulls: Nulls,
) -> Result<Value, String> {
    let dt = col.ty.datatype;
    let by_value = nulls == Nulls::ByValue;
    let variable = col.ty.arraysize.is_variable();
    match dt {
        Datatype::Char => {
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            if end == 0 && (by_value || !variable) {
                return Ok(Value::Null);
            }
            return Ok(Value::Text(bytes_to_text(&bytes[..end])));
        }
        Datatype::UnicodeChar => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|u| u16::from_be_bytes([u[0], u[1]]))
                .collect();
            let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
            if end == 0 && (by_value || !variable) {
                return Ok(Value::Null);
            }
            return Ok(Value::Text(String::from_utf16_lossy(&units[..end])));
        }
        Datatype::Bit => {
            let bits: Vec<&str> = (0..count)
                .map(|i| {
                    if bytes[i / 8] & (0x80 >> (i % 8)) != 0 {
                        "1"
                    } else {
                        "0"
                    }
                })
                .collect();
            if col.ty.arraysize.is_scalar() {
                // The standard puts a scalar bit in the top bit; astropy writes 0x08. Any set bit is true.
                return Ok(Value::Bool(bytes.first().is_some_and(|b| *b != 0)));
            }
            return Ok(if bits.is_empty() && by_value {
                Value::Null
            } else {
                Value::Text(bits.join(" "))
            });
        }
        _ => {}
    }
    let w = dt.width();
    let scalar = col.ty.arraysize.is_scalar();
    if scalar {
        return Ok(scalar_value(&bytes[..w], col, by_value));
    }
    if count == 0 && by_value {
        return Ok(Value::Null);
    }
    match dt {
        Datatype::UnsignedByte => Ok(Value::Bytes(bytes.to_vec())),
        Datatype::Boolean => {
            let v: Vec<&str> = bytes
                .iter()
                .map(|b| match b {
                    b'T' | b't' | b'1' => "true",
                    b'F' | b'f' | b'0' => "false",
                    _ => "null",
                })
                .collect();
            Ok(Value::Text(v.join(" ")))
        }
        Datatype::Float | Datatype::Double | Datatype::FloatComplex | Datatype::DoubleComplex => {
            let single = matches!(dt, Datatype::Float | Datatype::FloatComplex);
            let nums: Vec<f64> = if single {
                bytes
                    .chunks_exact(4)
                    .map(|e| f32::from_be_bytes([e[0], e[1], e[2], e[3]]) as f64)
                    .collect()
            } else {
                bytes
                    .chunks_exact(8)
                    .map(|e| f64::from_be_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]))
                    .collect()
            };
            if by_value && !variable && nums.iter().all(|f| f.is_nan()) {
                return Ok(Value::Null);
            }
            Ok(Value::Text(join_floats(&nums, single)))
        }
        _ => {
            let ints: Vec<i64> = bytes.chunks_exact(w).map(|e| int_of(e, dt)).collect();
            if by_value && !variable && col.null_int.is_some_and(|n| ints.iter().all(|i| *i == n)) {
                return Ok(Value::Null);
            }
            let mut s = String::new();
            for (k, i) in ints.iter().enumerate() {
                if k > 0 {
                    s.push(' ');
                }
                s.push_str(itoa::Buffer::new().format(*i));
            }
            Ok(Value::Text(s))
        }
    }
}

fn int_of(e: &[u8], dt: Datatype) -> i64 {
    match dt {
        Datatype::UnsignedByte => i64::from(e[0]),
        Datatype::Short => i64::from(i16::from_be_bytes([e[0], e[1]])),
        Datatype::Int => i64::from(i32::from_be_bytes([e[0], e[1], e[2], e[3]])),
        _ => i64::from_be_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]),
    }
}

fn scalar_value(e: &[u8], col: &ReadColumn, by_value: bool) -> Value {
    let dt = col.ty.datatype;
    match dt {
        Datatype::Boolean => match e[0] {
            b'T' | b't' | b'1' => Value::Bool(true),
            b'F' | b'f' | b'0' => Value::Bool(false),
            _ => Value::Null,
        },
        Datatype::Float => {
            let f = widen_single(f32::from_be_bytes([e[0], e[1], e[2], e[3]]));
            if f.is_nan() && by_value {
                Value::Null
            } else {
                Value::Float(f)
            }
        }
        Datatype::Double => {
            let f = f64::from_be_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]);
            if f.is_nan() && by_value {
                Value::Null
            } else {
                Value::Float(f)
            }
        }
        Datatype::FloatComplex => {
            let a = f32::from_be_bytes([e[0], e[1], e[2], e[3]]) as f64;
            let b = f32::from_be_bytes([e[4], e[5], e[6], e[7]]) as f64;
            if by_value && a.is_nan() && b.is_nan() {
                Value::Null
            } else {
                Value::Text(join_floats(&[a, b], true))
            }
        }
        Datatype::DoubleComplex => {
            let a = f64::from_be_bytes([e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]]);
            let b = f64::from_be_bytes([e[8], e[9], e[10], e[11], e[12], e[13], e[14], e[15]]);
            if by_value && a.is_nan() && b.is_nan() {
                Value::Null
            } else {
                Value::Text(join_floats(&[a, b], false))
            }
        }
        _ => {
            let i = int_of(e, dt);
            if col.null_int == Some(i) {
                Value::Null
            } else {
                Value::Int(i)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_across_whitespace_and_padding_and_stops_at_markup() {
        let mut src = Base64Source::default();
        let mut input: &[u8] = b"SGVs\nbG8g\r\n d29y bGQ=</STREAM>";
        assert!(src.fill(&mut input, 11).unwrap());
        assert_eq!(src.take(11), b"Hello world");
        assert!(!src.fill(&mut input, 1).unwrap());
        assert!(src.exhausted());
        assert_eq!(
            input, b"</STREAM>",
            "the closing tag is left for the XML parser"
        );
    }

    #[test]
    fn bad_base64_is_an_error() {
        let mut input: &[u8] = b"SGV*</STREAM>";
        assert!(
            Base64Source::default()
                .fill(&mut input, 3)
                .unwrap_err()
                .contains("not a base64")
        );
        let mut input: &[u8] = b"SGVsb";
        assert!(
            Base64Source::default()
                .fill(&mut input, 4)
                .unwrap_err()
                .contains("ends inside")
        );
        let mut input: &[u8] = b"SGVsb</STREAM>";
        assert!(
            Base64Source::default()
                .fill(&mut input, 4)
                .unwrap_err()
                .contains("truncated")
        );
    }
}
