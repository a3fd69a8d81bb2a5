//! A column as the readers see it: its parsed type and its declared null value, and the conversion of a text
//! cell (VOTable TD, CSV field with known types) to a [`Value`].

use crate::cell;
use crate::datatype::{ColumnType, Datatype};
use crate::{Field, Value};

/// A column being read.
#[derive(Debug, Clone)]
pub(crate) struct ReadColumn {
    pub name: String,
    pub ty: ColumnType,
    /// `<VALUES null="...">` (VOTable) or `TNULLn` (FITS), as text.
    pub null_text: Option<String>,
    /// The same, as an integer, for integer columns.
    pub null_int: Option<i64>,
}

impl ReadColumn {
    /// Parses a field; `null` is the declared null value, if any.
    pub(crate) fn new(field: &Field, null: Option<String>) -> Result<ReadColumn, String> {
        let ty = ColumnType::of(field)?;
        let null_int = null.as_deref().and_then(|s| cell::parse_int(s.trim()).ok());
        Ok(ReadColumn {
            name: field.name.clone(),
            ty,
            null_text: null,
            null_int,
        })
    }

    /// Converts the text of a cell. Empty text is null (VOTable 1.4 §5.1); so is the declared null value.
    pub(crate) fn parse_text(&self, text: &str) -> Result<Value, String> {
        let dt = self.ty.datatype;
        if dt.is_text() {
            if text.is_empty() || self.null_text.as_deref() == Some(text) {
                return Ok(Value::Null);
            }
            return Ok(Value::Text(text.to_string()));
        }
        let t = text.trim();
        if t.is_empty() || self.null_text.as_deref().is_some_and(|n| n.trim() == t) {
            return Ok(Value::Null);
        }
        if !self.ty.arraysize.is_scalar() {
            return self.array_parse_text(t);
        }
        match dt {
            // A scalar bit is a flag: astropy writes booleans that way.
            Datatype::Boolean | Datatype::Bit => {
                Ok(cell::parse_bool(t)?.map_or(Value::Null, Value::Bool))
            }
            Datatype::Float => Ok(Value::Float(widen_single(cell::parse_float(t)? as f32))),
            Datatype::Double => Ok(Value::Float(cell::parse_float(t)?)),
            Datatype::FloatComplex | Datatype::DoubleComplex => {
                let n = cell::tokens(t)
                    .map(cell::parse_float)
                    .collect::<Result<Vec<_>, _>>()?;
                if n.len() != 2 {
                    return Err(format!("'{t}' is not one complex number"));
                }
                Ok(Value::Text(join_floats(&n, dt == Datatype::FloatComplex)))
            }
            _ => {
                let i = cell::parse_int_in(t, dt)?;
                if self.null_int == Some(i) {
                    Ok(Value::Null)
                } else {
                    Ok(Value::Int(i))
                }
            }
        }
    }

    fn array_parse_text(&self, t: &str) -> Result<Value, String> {
        let dt = self.ty.datatype;
        let value = match dt {
            Datatype::UnsignedByte => {
                let bytes = cell::tokens(t)
                    .map(|x| cell::parse_int_in(x, dt).map(|i| i as u8))
                    .collect::<Result<Vec<u8>, _>>()?;
                cell::check_count(&self.ty, bytes.len())?;
                return Ok(Value::Bytes(bytes));
            }
            Datatype::Float
            | Datatype::Double
            | Datatype::FloatComplex
            | Datatype::DoubleComplex => {
                let n = cell::tokens(t)
                    .map(cell::parse_float)
                    .collect::<Result<Vec<_>, _>>()?;
                cell::check_count(&self.ty, n.len())?;
                join_floats(&n, matches!(dt, Datatype::Float | Datatype::FloatComplex))
            }
            Datatype::Boolean => {
                let mut out = Vec::new();
                for x in cell::tokens(t) {
                    out.push(match cell::parse_bool(x)? {
                        Some(true) => "true",
                        Some(false) => "false",
                        None => "null",
                    });
                }
                cell::check_count(&self.ty, out.len())?;
                out.join(" ")
            }
            Datatype::Bit => {
                let bits: Vec<&str> = t
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| match c {
                        '0' => Ok("0"),
                        '1' => Ok("1"),
                        _ => Err(format!("'{c}' is not a bit")),
                    })
                    .collect::<Result<_, _>>()?;
                cell::check_count(&self.ty, bits.len())?;
                bits.join(" ")
            }
            _ => {
                let n = cell::tokens(t)
                    .map(|x| cell::parse_int_in(x, dt))
                    .collect::<Result<Vec<_>, _>>()?;
                cell::check_count(&self.ty, n.len())?;
                let mut s = String::new();
                for (k, i) in n.iter().enumerate() {
                    if k > 0 {
                        s.push(' ');
                    }
                    s.push_str(itoa::Buffer::new().format(*i));
                }
                s
            }
        };
        Ok(Value::Text(value))
    }
}

/// Numbers in DALI text form: shortest round-trip (as `f32` when `single`), space-separated,
/// `NaN`/`+Inf`/`-Inf`.
pub(crate) fn join_floats(n: &[f64], single: bool) -> String {
    let mut b = Vec::new();
    for (k, f) in n.iter().enumerate() {
        if k > 0 {
            b.push(b' ');
        }
        cell::push_float(&mut b, *f, single, &cell::TextStyle::TABLEDATA, true);
    }
    String::from_utf8(b).unwrap_or_default()
}

/// The `f64` a `float` cell means: `3.44f32` is read as `3.44`, not `3.440000057220459`, by going through
/// the shortest decimal that round-trips the single.
pub(crate) fn widen_single(x: f32) -> f64 {
    if !x.is_finite() {
        return x as f64;
    }
    ryu::Buffer::new()
        .format_finite(x)
        .parse()
        .unwrap_or(x as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn col(dt: &str, arraysize: Option<&str>, null: Option<&str>) -> ReadColumn {
        let f = Field {
            name: "c".into(),
            datatype: dt.into(),
            arraysize: arraysize.map(str::to_string),
            ..Default::default()
        };
        ReadColumn::new(&f, null.map(str::to_string)).unwrap()
    }

    #[test]
    fn td_text_becomes_typed_values() {
        assert_eq!(
            col("int", None, Some("-1")).parse_text(" -1 ").unwrap(),
            Value::Null
        );
        assert_eq!(
            col("int", None, Some("-1")).parse_text("42").unwrap(),
            Value::Int(42)
        );
        assert!(
            col("short", None, None)
                .parse_text("99999")
                .unwrap_err()
                .contains("out of the range")
        );
        assert!(col("double", None, None).parse_text("NaN").unwrap() != Value::Null);
        assert_eq!(
            col("double", None, None).parse_text("").unwrap(),
            Value::Null
        );
        assert_eq!(
            col("boolean", None, None).parse_text("T").unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            col("boolean", None, None).parse_text("?").unwrap(),
            Value::Null
        );
        assert_eq!(
            col("double", Some("2"), None).parse_text("1 2.50").unwrap(),
            Value::Text("1.0 2.5".into())
        );
        assert!(col("double", Some("2"), None).parse_text("1").is_err());
        assert_eq!(
            col("unsignedByte", Some("*"), None)
                .parse_text("1 255")
                .unwrap(),
            Value::Bytes(vec![1, 255])
        );
        assert_eq!(
            col("char", Some("*"), None).parse_text(" a ").unwrap(),
            Value::Text(" a ".into())
        );
    }
}
