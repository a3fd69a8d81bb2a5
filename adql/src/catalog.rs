//! What the checker knows about the service's tables: a [`Catalog`] the service implements from TAP_SCHEMA (and
//! the uploaded tables of a request).

use crate::udf::Udf;

/// How SQL reaches a table: always printed quoted, never taken from query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlName {
    /// Schema, if the backend has schemas.
    pub schema: Option<String>,
    /// Table.
    pub table: String,
}

/// A column as TAP_SCHEMA describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMeta {
    /// ADQL name.
    pub name: String,
    /// SQL name.
    pub sql_name: String,
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

/// The sky index of a table with positions (FUNCTIONS.md): an integer column holding the nested HEALPix index of
/// (`ra`, `dec`) at `depth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionIndex {
    /// ADQL name of the longitude column (degrees).
    pub ra: String,
    /// ADQL name of the latitude column (degrees).
    pub dec: String,
    /// SQL name of the index column.
    pub hpx_column: String,
    /// HEALPix depth of the index.
    pub depth: u8,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableMeta {
    /// ADQL schema name (`hip`, `TAP_SCHEMA`, `TAP_UPLOAD`).
    pub schema: Option<String>,
    /// ADQL table name without schema.
    pub name: String,
    /// How SQL reaches it.
    pub sql_name: SqlName,
    /// Columns in order.
    pub columns: Vec<ColumnMeta>,
    /// The sky index, if any.
    pub position: Option<PositionIndex>,
    /// Description.
    pub description: Option<String>,
}

impl TableMeta {
    /// `schema.table` or `table`.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The service's tables and functions.
pub trait Catalog {
    /// Every table a query may read.
    fn tables(&self) -> &[TableMeta];
    /// User-defined functions the service declares.
    fn udfs(&self) -> &[Udf];
}
