//! Metadata travelling with values through expressions, ending as each output column's VOTable FIELD.

use crate::catalog::ColumnMeta;
use crate::types::Ty;

/// What is known of a value besides its type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// VOUnit.
    pub unit: Option<String>,
    /// UCD.
    pub ucd: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The declared VOTable type (datatype, arraysize, xtype) when the value is a column as stored, which may be
    /// more precise than its ADQL type (e.g. `unicodeChar`, `char` of fixed length).
    pub declared: Option<(String, Option<String>, Option<String>)>,
}

impl Meta {
    /// Metadata of a catalogue column.
    pub fn of_column(c: &ColumnMeta) -> Meta {
        Meta {
            unit: c.unit.clone(),
            ucd: c.ucd.clone(),
            utype: c.utype.clone(),
            description: c.description.clone(),
            declared: Some((c.datatype.clone(), c.arraysize.clone(), c.xtype.clone())),
        }
    }

    /// Just a unit and UCD (computed values).
    pub fn computed(unit: Option<&str>, ucd: Option<&str>) -> Meta {
        Meta {
            unit: unit.map(Into::into),
            ucd: ucd.map(Into::into),
            ..Meta::default()
        }
    }

    /// Same unit, nothing else (e.g. the result of `-x` or `x + y` in the same unit).
    pub fn unit_only(&self) -> Meta {
        Meta {
            unit: self.unit.clone(),
            ..Meta::default()
        }
    }
}

/// The metadata of one result column, for its VOTable FIELD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputColumn {
    /// FIELD name (unique in the result).
    pub name: String,
    /// VOTable datatype.
    pub datatype: String,
    /// VOTable arraysize.
    pub arraysize: Option<String>,
    /// xtype.
    pub xtype: Option<String>,
    /// VOUnit.
    pub unit: Option<String>,
    /// UCD.
    pub ucd: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// Description.
    pub description: Option<String>,
}

impl OutputColumn {
    /// The column for a value of type `ty` with metadata `meta`.
    pub fn new(name: String, ty: Ty, meta: &Meta) -> OutputColumn {
        let (datatype, arraysize, xtype) = match (&meta.declared, ty) {
            // Keep the stored declaration when the value is that column unchanged.
            (Some((d, a, x)), _) => (d.clone(), a.clone(), x.clone()),
            (None, t) => {
                let (d, a, x) = t.votable();
                (d.to_string(), a.map(Into::into), x.map(Into::into))
            }
        };
        OutputColumn {
            name,
            datatype,
            arraysize,
            xtype,
            unit: meta.unit.clone(),
            ucd: meta.ucd.clone(),
            utype: meta.utype.clone(),
            description: meta.description.clone(),
        }
    }
}
