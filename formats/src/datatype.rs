//! VOTable datatypes and arraysizes (VOTable 1.4 §2.1–2.2), parsed once per column so that the per-row code
//! only matches on small enums.

use crate::Field;

/// A VOTable primitive datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datatype {
    /// `boolean`: one byte `T`/`F`/`?` in binary.
    Boolean,
    /// `bit`: packed bits in binary (only as arrays in practice).
    Bit,
    /// `unsignedByte`: 0..=255.
    UnsignedByte,
    /// `short`: 16-bit signed.
    Short,
    /// `int`: 32-bit signed.
    Int,
    /// `long`: 64-bit signed.
    Long,
    /// `char`: one byte (we write UTF-8 bytes, as VOTable 1.5 allows).
    Char,
    /// `unicodeChar`: UTF-16 big-endian code units.
    UnicodeChar,
    /// `float`: IEEE 754 single.
    Float,
    /// `double`: IEEE 754 double.
    Double,
    /// `floatComplex`: two singles.
    FloatComplex,
    /// `doubleComplex`: two doubles.
    DoubleComplex,
}

impl Datatype {
    /// Parses a VOTable datatype name (exact, as the schema spells it).
    pub fn from_name(name: &str) -> Option<Datatype> {
        Some(match name {
            "boolean" => Datatype::Boolean,
            "bit" => Datatype::Bit,
            "unsignedByte" => Datatype::UnsignedByte,
            "short" => Datatype::Short,
            "int" => Datatype::Int,
            "long" => Datatype::Long,
            "char" => Datatype::Char,
            "unicodeChar" => Datatype::UnicodeChar,
            "float" => Datatype::Float,
            "double" => Datatype::Double,
            "floatComplex" => Datatype::FloatComplex,
            "doubleComplex" => Datatype::DoubleComplex,
            _ => return None,
        })
    }

    /// The schema name.
    pub fn name(self) -> &'static str {
        match self {
            Datatype::Boolean => "boolean",
            Datatype::Bit => "bit",
            Datatype::UnsignedByte => "unsignedByte",
            Datatype::Short => "short",
            Datatype::Int => "int",
            Datatype::Long => "long",
            Datatype::Char => "char",
            Datatype::UnicodeChar => "unicodeChar",
            Datatype::Float => "float",
            Datatype::Double => "double",
            Datatype::FloatComplex => "floatComplex",
            Datatype::DoubleComplex => "doubleComplex",
        }
    }

    /// Bytes of one element in BINARY/BINARY2 (bits are packed, so `bit` reports 0 here).
    pub fn width(self) -> usize {
        match self {
            Datatype::Boolean | Datatype::UnsignedByte | Datatype::Char => 1,
            Datatype::Bit => 0,
            Datatype::Short | Datatype::UnicodeChar => 2,
            Datatype::Int | Datatype::Float => 4,
            Datatype::Long | Datatype::Double | Datatype::FloatComplex => 8,
            Datatype::DoubleComplex => 16,
        }
    }

    /// Character types hold text, not a list of numbers.
    pub fn is_text(self) -> bool {
        matches!(self, Datatype::Char | Datatype::UnicodeChar)
    }

    /// Numbers per element: 2 for complex types.
    pub fn numbers_per_element(self) -> usize {
        match self {
            Datatype::FloatComplex | Datatype::DoubleComplex => 2,
            _ => 1,
        }
    }
}

/// A parsed VOTable `arraysize`: fixed dimensions, the last one possibly variable (`*` or `n*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArraySize {
    /// All dimensions but the last (each fixed), first varying fastest.
    pub leading: Vec<usize>,
    /// The last dimension; `None` for a scalar.
    pub last: Option<LastDim>,
}

/// The last dimension of an arraysize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastDim {
    /// Exactly this many.
    Fixed(usize),
    /// Any number (`*`), or at most `n` (`n*`).
    Variable(Option<usize>),
}

/// Upper bound on the elements of one fixed-size array: metadata asking for more is refused rather than
/// allocated.
pub const MAX_FIXED_ELEMENTS: usize = 1 << 24;

impl ArraySize {
    /// A scalar.
    pub const SCALAR: ArraySize = ArraySize {
        leading: Vec::new(),
        last: None,
    };

    /// Parses `None`, `"*"`, `"10"`, `"10*"`, `"3x2"`, `"3x*"`. Sizes are bounded by [`MAX_FIXED_ELEMENTS`].
    pub fn parse(s: Option<&str>) -> Result<ArraySize, String> {
        let Some(s) = s.map(str::trim) else {
            return Ok(ArraySize::SCALAR);
        };
        if s.is_empty() {
            return Ok(ArraySize::SCALAR);
        }
        let parts: Vec<&str> = s.split('x').collect();
        let mut leading = Vec::with_capacity(parts.len().saturating_sub(1));
        let num = |p: &str| -> Result<usize, String> {
            p.parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_FIXED_ELEMENTS)
                .ok_or_else(|| {
                    format!("arraysize '{s}': '{p}' is not a size (0..={MAX_FIXED_ELEMENTS})")
                })
        };
        let (last_text, lead_parts) = parts
            .split_last()
            .ok_or_else(|| format!("arraysize '{s}' is empty"))?;
        for p in lead_parts {
            leading.push(num(p)?);
        }
        let last = if *last_text == "*" {
            LastDim::Variable(None)
        } else if let Some(n) = last_text.strip_suffix('*') {
            LastDim::Variable(Some(num(n)?))
        } else {
            LastDim::Fixed(num(last_text)?)
        };
        let last_n = match last {
            LastDim::Fixed(n) | LastDim::Variable(Some(n)) => n,
            LastDim::Variable(None) => 1,
        };
        let total = leading
            .iter()
            .try_fold(last_n, |acc, d| acc.checked_mul(*d));
        let size = ArraySize {
            leading,
            last: Some(last),
        };
        if total.is_none_or(|n| n > MAX_FIXED_ELEMENTS) {
            return Err(format!(
                "arraysize '{s}' asks for more than {MAX_FIXED_ELEMENTS} elements"
            ));
        }
        Ok(size)
    }

    /// True for a scalar (no arraysize).
    pub fn is_scalar(&self) -> bool {
        self.last.is_none()
    }

    /// True when the last dimension is variable.
    pub fn is_variable(&self) -> bool {
        matches!(self.last, Some(LastDim::Variable(_)))
    }

    /// Elements in one step of the last dimension (the product of the leading dimensions).
    pub fn unit(&self) -> usize {
        self.leading.iter().product()
    }

    /// Total elements of a fixed array (1 for a scalar); `None` when variable.
    pub fn fixed_len(&self) -> Option<usize> {
        match self.last {
            None => Some(1),
            Some(LastDim::Fixed(n)) => Some(self.unit() * n),
            Some(LastDim::Variable(_)) => None,
        }
    }

    /// Upper bound on elements for a bounded variable array (`n*`).
    pub fn max_len(&self) -> Option<usize> {
        match self.last {
            Some(LastDim::Variable(Some(n))) => Some(self.unit() * n),
            _ => self.fixed_len(),
        }
    }
}

/// A column's type, parsed from its [`Field`] once.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    /// The primitive type.
    pub datatype: Datatype,
    /// The array shape.
    pub arraysize: ArraySize,
    /// True for `xtype="timestamp"` (DALI): text written with a `T` between date and time.
    pub timestamp: bool,
}

impl ColumnType {
    /// Parses a field's datatype and arraysize. A `char`/`unicodeChar` without an arraysize is taken as `*`:
    /// a string cut to one character would lose data silently, and TAP services mean "string" there.
    pub fn of(field: &Field) -> Result<ColumnType, String> {
        let datatype = Datatype::from_name(field.datatype.trim()).ok_or_else(|| {
            if field.datatype.trim().is_empty() {
                "no datatype given".to_string()
            } else {
                format!("unknown VOTable datatype '{}'", field.datatype)
            }
        })?;
        let mut arraysize = ArraySize::parse(field.arraysize.as_deref())?;
        if datatype.is_text() && arraysize.is_scalar() {
            arraysize = ArraySize {
                leading: Vec::new(),
                last: Some(LastDim::Variable(None)),
            };
        }
        let timestamp = field
            .xtype
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case("timestamp"));
        Ok(ColumnType {
            datatype,
            arraysize,
            timestamp,
        })
    }

    /// True when a cell is a list of numbers (not text, not a scalar).
    pub fn is_numeric_array(&self) -> bool {
        !self.datatype.is_text() && !self.arraysize.is_scalar()
    }

    /// The arraysize as it must be declared (after the char rule of [`ColumnType::of`]).
    pub fn arraysize_text(&self) -> Option<String> {
        let last = self.arraysize.last?;
        let mut s = String::new();
        for d in &self.arraysize.leading {
            s.push_str(&d.to_string());
            s.push('x');
        }
        match last {
            LastDim::Fixed(n) => s.push_str(&n.to_string()),
            LastDim::Variable(None) => s.push('*'),
            LastDim::Variable(Some(n)) => {
                s.push_str(&n.to_string());
                s.push('*');
            }
        }
        Some(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn arraysizes_parse_with_their_shapes() {
        assert_eq!(ArraySize::parse(None).unwrap(), ArraySize::SCALAR);
        let a = ArraySize::parse(Some("3x2")).unwrap();
        assert_eq!(
            (a.fixed_len(), a.unit(), a.is_variable()),
            (Some(6), 3, false)
        );
        let a = ArraySize::parse(Some("3x*")).unwrap();
        assert_eq!(
            (a.fixed_len(), a.unit(), a.is_variable(), a.max_len()),
            (None, 3, true, None)
        );
        let a = ArraySize::parse(Some("16*")).unwrap();
        assert_eq!((a.max_len(), a.unit()), (Some(16), 1));
        assert_eq!(ArraySize::parse(Some("2")).unwrap().fixed_len(), Some(2));
    }

    #[test]
    fn bad_and_huge_arraysizes_are_refused() {
        assert!(ArraySize::parse(Some("x")).is_err());
        assert!(ArraySize::parse(Some("-1")).is_err());
        assert!(ArraySize::parse(Some("**")).is_err());
        assert!(ArraySize::parse(Some("99999999999999999999")).is_err());
        assert!(ArraySize::parse(Some("100000x100000")).is_err());
    }

    #[test]
    fn char_without_arraysize_is_a_string() {
        let f = Field {
            name: "s".into(),
            datatype: "char".into(),
            ..Default::default()
        };
        let t = ColumnType::of(&f).unwrap();
        assert_eq!(t.arraysize_text().as_deref(), Some("*"));
        let f = Field {
            name: "x".into(),
            datatype: "real".into(),
            ..Default::default()
        };
        assert_eq!(
            ColumnType::of(&f).unwrap_err(),
            "unknown VOTable datatype 'real'"
        );
    }
}
