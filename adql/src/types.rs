//! ADQL value types, their VOTable form (ADQL 2.1 §3, DALI 1.1 xtypes), and how catalogue columns map to them.

/// The type of a value expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// boolean (VOTable); compared like a number.
    Bool,
    /// SMALLINT.
    Short,
    /// INTEGER.
    Int,
    /// BIGINT.
    Long,
    /// REAL.
    Float,
    /// DOUBLE PRECISION.
    Double,
    /// Character data.
    Char,
    /// TIMESTAMP (text in DALI form).
    Timestamp,
    /// POINT.
    Point,
    /// CIRCLE.
    Circle,
    /// POLYGON.
    Polygon,
    /// A geometry of unknown shape (REGION, or a shape column of another xtype).
    Region,
    /// An array or other value that can be selected but not computed with.
    Opaque,
    /// The NULL literal.
    Null,
}

impl Ty {
    /// A number (including booleans, which compare as 0/1).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Ty::Bool | Ty::Short | Ty::Int | Ty::Long | Ty::Float | Ty::Double | Ty::Null
        )
    }

    /// An integer type.
    pub fn is_integer(self) -> bool {
        matches!(self, Ty::Bool | Ty::Short | Ty::Int | Ty::Long)
    }

    /// Character data (or NULL).
    pub fn is_string(self) -> bool {
        matches!(self, Ty::Char | Ty::Timestamp | Ty::Null)
    }

    /// A geometry (or NULL).
    pub fn is_geometry(self) -> bool {
        matches!(
            self,
            Ty::Point | Ty::Circle | Ty::Polygon | Ty::Region | Ty::Null
        )
    }

    /// The wider of two numeric types.
    pub fn widen(self, other: Ty) -> Ty {
        use Ty::*;
        let rank = |t: Ty| match t {
            Null => 0,
            Bool => 1,
            Short => 2,
            Int => 3,
            Long => 4,
            Float => 5,
            Double => 6,
            _ => 7,
        };
        match (self, other) {
            (Float, Long) | (Long, Float) | (Float, Int) | (Int, Float) => Double,
            (a, b) if rank(a) >= rank(b) => a,
            (_, b) => b,
        }
    }

    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "boolean",
            Ty::Short => "SMALLINT",
            Ty::Int => "INTEGER",
            Ty::Long => "BIGINT",
            Ty::Float => "REAL",
            Ty::Double => "DOUBLE PRECISION",
            Ty::Char => "string",
            Ty::Timestamp => "TIMESTAMP",
            Ty::Point => "POINT",
            Ty::Circle => "CIRCLE",
            Ty::Polygon => "POLYGON",
            Ty::Region => "REGION",
            Ty::Opaque => "array",
            Ty::Null => "NULL",
        }
    }

    /// VOTable datatype, arraysize and xtype of a computed value of this type.
    pub fn votable(self) -> (&'static str, Option<&'static str>, Option<&'static str>) {
        match self {
            Ty::Bool => ("boolean", None, None),
            Ty::Short => ("short", None, None),
            Ty::Int => ("int", None, None),
            Ty::Long => ("long", None, None),
            Ty::Float => ("float", None, None),
            Ty::Double => ("double", None, None),
            Ty::Char | Ty::Opaque | Ty::Null => ("char", Some("*"), None),
            Ty::Timestamp => ("char", Some("*"), Some("timestamp")),
            Ty::Point => ("double", Some("2"), Some("point")),
            Ty::Circle => ("double", Some("3"), Some("circle")),
            Ty::Polygon => ("double", Some("*"), Some("polygon")),
            Ty::Region => ("char", Some("*"), Some("adql:REGION")),
        }
    }

    /// The type of a catalogue column from its VOTable declaration.
    pub fn of_column(datatype: &str, arraysize: Option<&str>, xtype: Option<&str>) -> Ty {
        let x = xtype.map(|x| x.to_ascii_lowercase());
        match x.as_deref() {
            Some("timestamp") => return Ty::Timestamp,
            Some("point") => return Ty::Point,
            Some("circle") => return Ty::Circle,
            Some("polygon") => return Ty::Polygon,
            Some("adql:region") | Some("region") | Some("moc") | Some("shape")
            | Some("multipolygon") => {
                return Ty::Region;
            }
            _ => {}
        }
        let scalar = arraysize.is_none() || arraysize == Some("1");
        match (datatype, scalar) {
            ("char" | "unicodeChar", _) => Ty::Char,
            ("boolean", true) => Ty::Bool,
            ("unsignedByte" | "short", true) => Ty::Short,
            ("int", true) => Ty::Int,
            ("long", true) => Ty::Long,
            ("float", true) => Ty::Float,
            ("double", true) => Ty::Double,
            _ => Ty::Opaque,
        }
    }

    /// The type named in a UDF declaration (`DOUBLE`, `VARCHAR(*)`, `POINT`, ...).
    pub fn of_declared(t: &str) -> Ty {
        let up = t.trim().to_ascii_uppercase();
        let base = up.split('(').next().unwrap_or("").trim();
        match base {
            "SMALLINT" => Ty::Short,
            "INTEGER" | "INT" => Ty::Int,
            "BIGINT" => Ty::Long,
            "REAL" | "FLOAT" => Ty::Float,
            "DOUBLE" | "DOUBLE PRECISION" => Ty::Double,
            "BOOLEAN" => Ty::Bool,
            "CHAR" | "VARCHAR" | "STRING" | "CLOB" | "TEXT" => Ty::Char,
            "TIMESTAMP" => Ty::Timestamp,
            "POINT" => Ty::Point,
            "CIRCLE" => Ty::Circle,
            "POLYGON" => Ty::Polygon,
            "REGION" => Ty::Region,
            _ => Ty::Opaque,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_follow_votable_declarations() {
        assert_eq!(Ty::of_column("double", None, None), Ty::Double);
        assert_eq!(
            Ty::of_column("char", Some("*"), Some("timestamp")),
            Ty::Timestamp
        );
        assert_eq!(Ty::of_column("double", Some("2"), Some("point")), Ty::Point);
        assert_eq!(Ty::of_column("double", Some("3"), None), Ty::Opaque);
        assert_eq!(Ty::of_column("unicodeChar", Some("20*"), None), Ty::Char);
        assert_eq!(Ty::Int.widen(Ty::Double), Ty::Double);
        assert_eq!(Ty::Long.widen(Ty::Float), Ty::Double);
        assert_eq!(Ty::Short.widen(Ty::Int), Ty::Int);
        assert_eq!(Ty::of_declared("VARCHAR(*)"), Ty::Char);
    }
}
