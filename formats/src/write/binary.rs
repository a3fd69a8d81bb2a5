//! Cell encoding for VOTable BINARY and BINARY2 (VOTable 1.4 §5.4–5.5): big-endian elements, a 4-byte element
//! count before variable-length arrays, and per-type null conventions for BINARY (which has no null flags).

use crate::Value;
use crate::cell::{self, Elements};
use crate::datatype::{ColumnType, Datatype, LastDim};

/// Which binary serialisation a cell is encoded for: it decides how a null looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NullStyle {
    /// BINARY: integers carry a sentinel declared in `<VALUES null>`, floats NaN, booleans `?`, text empty.
    Binary,
    /// BINARY2: the row's null bitmap says it; the cell's bytes are filler.
    Binary2,
}

/// The integer written for null in BINARY (and declared as `VALUES null`): the most negative value (the
/// largest for `unsignedByte`), the least likely to be real data.
pub(crate) fn int_null_sentinel(dt: Datatype) -> Option<i64> {
    match dt {
        Datatype::UnsignedByte => Some(255),
        Datatype::Short => Some(i16::MIN as i64),
        Datatype::Int => Some(i32::MIN as i64),
        Datatype::Long => Some(i64::MIN),
        _ => None,
    }
}

/// The sentinel a BINARY column declares in `<VALUES null>`, if any: integer columns except byte arrays.
pub(crate) fn column_sentinel(col: &ColumnType) -> Option<i64> {
    if col.datatype == Datatype::UnsignedByte && !col.arraysize.is_scalar() {
        return None;
    }
    int_null_sentinel(col.datatype)
}

/// Appends one integer element.
#[inline]
pub(crate) fn push_int(buf: &mut Vec<u8>, dt: Datatype, i: i64) {
    match dt {
        Datatype::UnsignedByte | Datatype::Boolean | Datatype::Char | Datatype::Bit => {
            buf.push(i as u8)
        }
        Datatype::Short | Datatype::UnicodeChar => buf.extend_from_slice(&(i as i16).to_be_bytes()),
        Datatype::Int => buf.extend_from_slice(&(i as i32).to_be_bytes()),
        Datatype::Float | Datatype::FloatComplex => {
            buf.extend_from_slice(&(i as f32).to_be_bytes())
        }
        Datatype::Double | Datatype::DoubleComplex => {
            buf.extend_from_slice(&(i as f64).to_be_bytes())
        }
        Datatype::Long => buf.extend_from_slice(&i.to_be_bytes()),
    }
}

/// Appends one floating-point number of a `float`/`double`/complex column.
#[inline]
pub(crate) fn push_float(buf: &mut Vec<u8>, dt: Datatype, f: f64) {
    match dt {
        Datatype::Float | Datatype::FloatComplex => {
            buf.extend_from_slice(&(f as f32).to_be_bytes())
        }
        _ => buf.extend_from_slice(&f.to_be_bytes()),
    }
}

/// Appends `n` null elements.
fn push_nulls(buf: &mut Vec<u8>, dt: Datatype, n: usize, style: NullStyle) {
    for _ in 0..n {
        match dt {
            Datatype::Float | Datatype::Double => push_float(buf, dt, f64::NAN),
            Datatype::FloatComplex | Datatype::DoubleComplex => {
                push_float(buf, dt, f64::NAN);
                push_float(buf, dt, f64::NAN);
            }
            Datatype::Boolean => buf.push(b'?'),
            _ => {
                let v = if style == NullStyle::Binary {
                    int_null_sentinel(dt).unwrap_or(0)
                } else {
                    0
                };
                push_int(buf, dt, v);
            }
        }
    }
}

/// Encodes one cell; returns `true` when it was null (for the BINARY2 bitmap).
pub(crate) fn encode(
    buf: &mut Vec<u8>,
    col: &ColumnType,
    v: &Value,
    style: NullStyle,
) -> Result<bool, String> {
    let dt = col.datatype;
    if dt.is_text() {
        return encode_text(buf, col, v);
    }
    if dt == Datatype::Bit {
        return encode_bits(buf, col, v);
    }
    if col.arraysize.is_scalar() {
        return encode_scalar(buf, dt, v, style);
    }
    // Byte arrays are often opaque blobs where 255 is common: no sentinel there (see `column_sentinel`).
    let style = if dt == Datatype::UnsignedByte {
        NullStyle::Binary2
    } else {
        style
    };
    let fixed = col.arraysize.fixed_len();
    let count_at = buf.len();
    if fixed.is_none() {
        buf.extend_from_slice(&[0; 4]);
    }
    let start = buf.len();
    let numbers = match Elements::of(v) {
        Elements::Null => {
            push_nulls(buf, dt, fixed.unwrap_or(0), style);
            return Ok(true);
        }
        Elements::Single(v) => {
            if encode_scalar(buf, dt, v, style)? {
                buf.truncate(count_at);
                let null_len = fixed.unwrap_or(0);
                if fixed.is_none() {
                    buf.extend_from_slice(&[0; 4]);
                }
                push_nulls(buf, dt, null_len, style);
                return Ok(true);
            }
            dt.numbers_per_element()
        }
        Elements::Bytes(bytes) => {
            if dt != Datatype::UnsignedByte {
                return Err(format!("binary data in a {} array column", dt.name()));
            }
            buf.extend_from_slice(bytes);
            bytes.len()
        }
        Elements::Tokens(s) => {
            let mut n = 0usize;
            for t in cell::tokens(s) {
                match dt {
                    Datatype::Float
                    | Datatype::Double
                    | Datatype::FloatComplex
                    | Datatype::DoubleComplex => push_float(buf, dt, cell::parse_float(t)?),
                    Datatype::Boolean => buf.push(match cell::parse_bool(t)? {
                        Some(true) => b'T',
                        Some(false) => b'F',
                        None => b'?',
                    }),
                    _ => {
                        let i = cell::parse_int_in(t, dt)?;
                        check_sentinel(i, dt, style)?;
                        push_int(buf, dt, i)
                    }
                }
                n += 1;
            }
            n
        }
    };
    cell::check_count(col, numbers)?;
    if fixed.is_none() {
        let elements = u32::try_from((buf.len() - start) / dt.width())
            .map_err(|_| "array too long".to_string())?;
        buf[count_at..count_at + 4].copy_from_slice(&elements.to_be_bytes());
    }
    Ok(false)
}

fn check_sentinel(i: i64, dt: Datatype, style: NullStyle) -> Result<(), String> {
    if style == NullStyle::Binary && int_null_sentinel(dt) == Some(i) {
        return Err(format!(
            "{i} is the null marker of {} columns in VOTable BINARY; ask for BINARY2 (votable/b2) to get it",
            dt.name()
        ));
    }
    Ok(())
}

fn encode_scalar(
    buf: &mut Vec<u8>,
    dt: Datatype,
    v: &Value,
    style: NullStyle,
) -> Result<bool, String> {
    match dt {
        Datatype::Boolean => {
            let b = cell::to_bool(v)?;
            buf.push(match b {
                Some(true) => b'T',
                Some(false) => b'F',
                None => b'?',
            });
            Ok(b.is_none())
        }
        Datatype::Float | Datatype::Double => match cell::to_float(v)? {
            Some(f) => {
                push_float(buf, dt, f);
                Ok(false)
            }
            None => {
                push_nulls(buf, dt, 1, style);
                Ok(true)
            }
        },
        Datatype::FloatComplex | Datatype::DoubleComplex => {
            let Value::Text(s) = v else {
                if matches!(v, Value::Null) {
                    push_nulls(buf, dt, 1, style);
                    return Ok(true);
                }
                return Err("a complex value must be given as text 're im'".into());
            };
            let mut n = 0;
            for t in cell::tokens(s) {
                if n == 2 {
                    return Err(format!("'{s}' is not one complex number"));
                }
                push_float(buf, dt, cell::parse_float(t)?);
                n += 1;
            }
            if n != 2 {
                return Err(format!("'{s}' is not one complex number"));
            }
            Ok(false)
        }
        _ => match cell::to_int(v, dt)? {
            Some(i) => {
                check_sentinel(i, dt, style)?;
                push_int(buf, dt, i);
                Ok(false)
            }
            None => {
                push_nulls(buf, dt, 1, style);
                Ok(true)
            }
        },
    }
}

/// `char` as UTF-8 bytes, `unicodeChar` as UTF-16BE units. Fixed sizes are cut (at a character boundary) and
/// padded with NUL, as the declared arraysize promises readers; variable sizes carry their whole text.
fn encode_text(buf: &mut Vec<u8>, col: &ColumnType, v: &Value) -> Result<bool, String> {
    let text = cell::to_text(v, col)?;
    let unit = col.arraysize.unit().max(1);
    let fixed = col.arraysize.fixed_len();
    let s = text.as_deref().unwrap_or("");
    match col.datatype {
        Datatype::UnicodeChar => {
            let mut units: Vec<u16> = s.encode_utf16().collect();
            if let Some(n) = fixed {
                truncate_utf16(&mut units, n);
                units.resize(n, 0);
            } else {
                units.resize(units.len().div_ceil(unit) * unit, 0);
                buf.extend_from_slice(&(units.len() as u32).to_be_bytes());
            }
            for u in units {
                buf.extend_from_slice(&u.to_be_bytes());
            }
        }
        _ => match fixed {
            Some(n) => {
                let mut cut = s.len().min(n);
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                buf.extend_from_slice(&s.as_bytes()[..cut]);
                buf.resize(buf.len() + (n - cut), 0);
            }
            None => {
                let padded = s.len().div_ceil(unit) * unit;
                let len =
                    u32::try_from(padded).map_err(|_| "text longer than 4 GiB".to_string())?;
                buf.extend_from_slice(&len.to_be_bytes());
                buf.extend_from_slice(s.as_bytes());
                buf.resize(buf.len() + (padded - s.len()), 0);
            }
        },
    }
    Ok(text.is_none())
}

fn truncate_utf16(units: &mut Vec<u16>, n: usize) {
    if units.len() > n {
        let mut cut = n;
        // Never keep half a surrogate pair.
        if cut > 0 && (0xD800..0xDC00).contains(&units[cut - 1]) {
            cut -= 1;
        }
        units.truncate(cut);
    }
}

/// `bit` columns: packed, most significant bit first; a variable array counts bits.
fn encode_bits(buf: &mut Vec<u8>, col: &ColumnType, v: &Value) -> Result<bool, String> {
    let mut bits: Vec<bool> = Vec::new();
    let null = match v {
        Value::Null => true,
        Value::Text(s) => {
            for t in cell::tokens(s) {
                for c in t.chars() {
                    match c {
                        '0' => bits.push(false),
                        '1' => bits.push(true),
                        _ => return Err(format!("'{t}' is not a bit string")),
                    }
                }
            }
            false
        }
        other => {
            bits.push(cell::to_int(other, Datatype::Bit)?.is_some_and(|i| i == 1));
            false
        }
    };
    let n = match col.arraysize.fixed_len() {
        Some(n) => {
            if !null && bits.len() != n {
                return Err(format!("{} bits where the arraysize needs {n}", bits.len()));
            }
            n
        }
        None => {
            if let Some(LastDim::Variable(Some(m))) = col.arraysize.last
                && bits.len() > m
            {
                return Err(format!("{} bits exceed the arraysize {m}*", bits.len()));
            }
            buf.extend_from_slice(&(bits.len() as u32).to_be_bytes());
            bits.len()
        }
    };
    bits.resize(n, false);
    for chunk in bits.chunks(8) {
        let mut byte = 0u8;
        for (i, b) in chunk.iter().enumerate() {
            if *b {
                byte |= 0x80 >> i;
            }
        }
        buf.push(byte);
    }
    Ok(null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Field;

    fn col(dt: &str, arraysize: Option<&str>) -> ColumnType {
        ColumnType::of(&Field {
            name: "c".into(),
            datatype: dt.into(),
            arraysize: arraysize.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
    }

    fn enc(c: &ColumnType, v: Value, style: NullStyle) -> Result<(Vec<u8>, bool), String> {
        let mut b = Vec::new();
        let null = encode(&mut b, c, &v, style)?;
        Ok((b, null))
    }

    #[test]
    fn scalars_are_big_endian_and_nulls_follow_the_serialisation() {
        assert_eq!(
            enc(&col("short", None), Value::Int(258), NullStyle::Binary).unwrap(),
            (vec![1, 2], false)
        );
        assert_eq!(
            enc(&col("int", None), Value::Null, NullStyle::Binary).unwrap(),
            (vec![0x80, 0, 0, 0], true)
        );
        assert_eq!(
            enc(&col("int", None), Value::Null, NullStyle::Binary2).unwrap(),
            (vec![0, 0, 0, 0], true)
        );
        let (b, null) = enc(&col("double", None), Value::Null, NullStyle::Binary).unwrap();
        assert!(null && f64::from_be_bytes(b.try_into().unwrap()).is_nan());
        let e = enc(
            &col("int", None),
            Value::Int(i32::MIN as i64),
            NullStyle::Binary,
        )
        .unwrap_err();
        assert!(e.contains("null marker"), "{e}");
        assert!(
            enc(
                &col("int", None),
                Value::Int(i32::MIN as i64),
                NullStyle::Binary2
            )
            .is_ok()
        );
        assert_eq!(
            enc(&col("boolean", None), Value::Bool(true), NullStyle::Binary).unwrap(),
            (vec![b'T'], false)
        );
    }

    #[test]
    fn variable_arrays_and_text_carry_a_count() {
        let (b, _) = enc(
            &col("char", Some("*")),
            Value::Text("héllo".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(b, [&[0, 0, 0, 6][..], "héllo".as_bytes()].concat());
        let (b, _) = enc(
            &col("char", Some("3")),
            Value::Text("héllo".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(b, vec![b'h', 0xC3, 0xA9]);
        let (b, _) = enc(
            &col("char", Some("2")),
            Value::Text("hé".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(b, vec![b'h', 0], "no half characters");
        let (b, _) = enc(
            &col("unicodeChar", Some("*")),
            Value::Text("aé".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(b, vec![0, 0, 0, 2, 0, b'a', 0, 0xE9]);
        let (b, _) = enc(
            &col("double", Some("*")),
            Value::Text("1 2 3".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(&b[..4], &[0, 0, 0, 3]);
        assert_eq!(b.len(), 4 + 24);
        let (b, null) = enc(&col("double", Some("*")), Value::Null, NullStyle::Binary2).unwrap();
        assert_eq!((b, null), (vec![0, 0, 0, 0], true));
    }

    #[test]
    fn fixed_arrays_check_their_size() {
        let point = col("double", Some("2"));
        assert_eq!(
            enc(&point, Value::Text("1 2".into()), NullStyle::Binary)
                .unwrap()
                .0
                .len(),
            16
        );
        assert!(enc(&point, Value::Text("1 2 3".into()), NullStyle::Binary).is_err());
        let (b, null) = enc(&point, Value::Null, NullStyle::Binary).unwrap();
        assert!(null && b.len() == 16);
    }

    #[test]
    fn bits_are_packed_msb_first() {
        let (b, _) = enc(
            &col("bit", Some("*")),
            Value::Text("1 0 1 1 0 0 0 0 1".into()),
            NullStyle::Binary2,
        )
        .unwrap();
        assert_eq!(b, vec![0, 0, 0, 9, 0b1011_0000, 0b1000_0000]);
    }
}
