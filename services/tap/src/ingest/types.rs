//! Column types of an ingested table, from the file's declared or inferred VOTable types, and the conversion of
//! cells to them.

use formats::{Field, Value};

/// The storage type chosen for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Only NULLs seen so far (ends as text).
    Unknown,
    /// true/false.
    Bool,
    /// Fits in 16 bits.
    Short,
    /// Fits in 32 bits.
    Int,
    /// 64-bit integer.
    Long,
    /// Single precision (kept when the file declared it).
    Float,
    /// Double precision.
    Double,
    /// Character data.
    Text,
}

impl ColType {
    /// The VOTable datatype (and arraysize) published in TAP_SCHEMA.
    pub fn votable(self) -> (&'static str, Option<&'static str>) {
        match self {
            ColType::Bool => ("boolean", None),
            ColType::Short => ("short", None),
            ColType::Int => ("int", None),
            ColType::Long => ("long", None),
            ColType::Float => ("float", None),
            ColType::Double => ("double", None),
            ColType::Text | ColType::Unknown => ("char", Some("*")),
        }
    }

    /// The SQL column type.
    pub fn sql(self, postgres: bool) -> &'static str {
        match (self, postgres) {
            (ColType::Bool, true) => "BOOLEAN",
            (ColType::Short, true) => "SMALLINT",
            (ColType::Int, true) => "INTEGER",
            (ColType::Long, true) => "BIGINT",
            (ColType::Float, true) => "REAL",
            (ColType::Double, true) => "DOUBLE PRECISION",
            (ColType::Bool | ColType::Short | ColType::Int | ColType::Long, false) => "INTEGER",
            (ColType::Float | ColType::Double, false) => "REAL",
            (ColType::Text | ColType::Unknown, _) => "TEXT",
        }
    }

    /// Whether a value of this type is an integer.
    pub fn is_integer(self) -> bool {
        matches!(self, ColType::Short | ColType::Int | ColType::Long)
    }

    /// The narrowest type holding both.
    pub fn widen(self, other: ColType) -> ColType {
        use ColType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Unknown, b) => b,
            (a, Unknown) => a,
            (Text, _) | (_, Text) => Text,
            (Bool, _) | (_, Bool) => Text,
            (Double, _) | (_, Double) => Double,
            (Float, b) | (b, Float) => {
                if b == Long || b == Int {
                    Double
                } else {
                    Float
                }
            }
            (Long, _) | (_, Long) => Long,
            (Int, _) | (_, Int) => Int,
            _ => Short,
        }
    }

    /// The type a column declared by a VOTable FIELD / FITS column has (None: store as text).
    pub fn from_field(f: &Field) -> ColType {
        let scalar = f.arraysize.is_none();
        match (f.datatype.as_str(), scalar) {
            ("boolean", true) => ColType::Bool,
            ("unsignedByte" | "short", true) => ColType::Short,
            ("int", true) => ColType::Int,
            ("long", true) => ColType::Long,
            ("float", true) => ColType::Float,
            ("double", true) => ColType::Double,
            _ => ColType::Text,
        }
    }
}

/// A cell converted for storage in a column of type `t`: text parsed into numbers, empty text into NULL.
/// `Err` names what could not be converted.
pub fn convert(v: &Value, t: ColType) -> Result<Value, String> {
    Ok(match (v, t) {
        (Value::Null, _) => Value::Null,
        (Value::Text(s), _) if s.trim().is_empty() && t != ColType::Text => Value::Null,
        (Value::Text(s), ColType::Short | ColType::Int | ColType::Long) => Value::Int(
            s.trim()
                .parse()
                .map_err(|_| format!("'{s}' is not an integer"))?,
        ),
        (Value::Text(s), ColType::Float | ColType::Double) => {
            let t = s.trim();
            let f = match t {
                "Inf" | "+Inf" | "inf" | "Infinity" => f64::INFINITY,
                "-Inf" | "-inf" | "-Infinity" => f64::NEG_INFINITY,
                _ => t
                    .parse::<f64>()
                    .map_err(|_| format!("'{s}' is not a number"))?,
            };
            Value::Float(f)
        }
        (Value::Text(s), ColType::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Value::Bool(true),
            "false" | "f" | "0" => Value::Bool(false),
            _ => return Err(format!("'{s}' is not a boolean")),
        },
        (Value::Int(i), ColType::Float | ColType::Double) => Value::Float(*i as f64),
        (Value::Bool(b), ColType::Short | ColType::Int | ColType::Long) => Value::Int(*b as i64),
        (Value::Int(i), ColType::Text | ColType::Unknown) => Value::Text(i.to_string()),
        (Value::Float(f), ColType::Text | ColType::Unknown) => Value::Text(f.to_string()),
        (Value::Bool(b), ColType::Text | ColType::Unknown) => Value::Text(b.to_string()),
        (Value::Float(f), ColType::Short | ColType::Int | ColType::Long) if f.fract() == 0.0 => {
            Value::Int(*f as i64)
        }
        (Value::Float(f), ColType::Short | ColType::Int | ColType::Long) => {
            return Err(format!("{f} is not an integer"));
        }
        (other, _) => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_goes_to_the_narrowest_common_type() {
        use ColType::*;
        assert_eq!(Short.widen(Int), Int);
        assert_eq!(Int.widen(Double), Double);
        assert_eq!(Float.widen(Int), Double);
        assert_eq!(Short.widen(Float), Float);
        assert_eq!(Long.widen(Text), Text);
        assert_eq!(Unknown.widen(Bool), Bool);
    }

    #[test]
    fn conversion_reports_what_is_wrong() {
        assert_eq!(
            convert(&Value::Text(" 12 ".into()), ColType::Int),
            Ok(Value::Int(12))
        );
        assert_eq!(
            convert(&Value::Text("".into()), ColType::Double),
            Ok(Value::Null)
        );
        assert_eq!(
            convert(&Value::Text("-Inf".into()), ColType::Double),
            Ok(Value::Float(f64::NEG_INFINITY))
        );
        assert!(
            convert(&Value::Text("abc".into()), ColType::Double)
                .unwrap_err()
                .contains("'abc'")
        );
        assert_eq!(
            convert(&Value::Text("".into()), ColType::Text),
            Ok(Value::Text("".into()))
        );
    }
}
