//! Cells and column metadata: the types every writer and reader speaks.

/// One cell of a result row, as decoded from the database (or read from an uploaded file).
///
/// Writers convert it to the column's declared VOTable datatype: an `Int` in a `double` column is written as a
/// double, a `Text` in a `double` column with `xtype="point"` (DALI text form `"10.5 -3.25"`) is parsed into the
/// array, and so on. A value that cannot be converted is a writer error, never a panic.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean (VOTable `boolean`, or 0/1 in integer columns).
    Bool(bool),
    /// Any SQL integer type.
    Int(i64),
    /// Any SQL floating-point type; NaN and infinities allowed.
    Float(f64),
    /// Character data; also timestamps (ISO 8601 text) and geometry values in DALI text form.
    Text(String),
    /// Raw bytes (SQL BLOB / bytea).
    Bytes(Vec<u8>),
}

/// The metadata of one column: what becomes a VOTable `FIELD` (and CSV header, JSON metadata, FITS TTYPEn...).
///
/// `datatype` is a VOTable datatype name (`boolean`, `unsignedByte`, `short`, `int`, `long`, `float`, `double`,
/// `char`, `unicodeChar`, ...); `arraysize` and `xtype` follow VOTable 1.4 and DALI 1.1 (`"*"`, `"16*"`, `"2"`,
/// xtype `timestamp`, `point`, `circle`, `polygon`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    /// Column name as the client sees it (FIELD@name).
    pub name: String,
    /// VOTable datatype name.
    pub datatype: String,
    /// VOTable arraysize, `None` for scalars.
    pub arraysize: Option<String>,
    /// DALI/VOTable xtype.
    pub xtype: Option<String>,
    /// VOUnit string.
    pub unit: Option<String>,
    /// UCD1+ string.
    pub ucd: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// Free-text description (FIELD/DESCRIPTION).
    pub description: Option<String>,
}
