//! The catalogue model: what TAP_SCHEMA says, plus what only the service needs to know (SQL names, sky index).
//!
//! One [`Catalogue`] value is the service's snapshot of the published tables. It feeds the ADQL checker (through
//! [`Catalogue::adql_tables`]), VOSI `/tables`, and the registry records, so all three always agree.

/// A schema (TAP_SCHEMA.schemas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    /// ADQL name, e.g. `hip`.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Utype, e.g. the RegTAP one for `rr`.
    pub utype: Option<String>,
    /// Display order.
    pub index: Option<i64>,
}

/// A published table (TAP_SCHEMA.tables).
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// ADQL schema name.
    pub schema: String,
    /// ADQL table name without schema.
    pub name: String,
    /// `table` or `view`.
    pub table_type: String,
    /// Free text.
    pub description: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// Display order.
    pub index: Option<i64>,
    /// Number of rows when known (VODataService `nrows`).
    pub nrows: Option<i64>,
    /// How SQL reaches the table.
    pub sql_schema: Option<String>,
    /// SQL table name.
    pub sql_table: String,
    /// The sky index of a table with positions.
    pub position: Option<PositionInfo>,
    /// Columns in order.
    pub columns: Vec<ColumnInfo>,
}

/// The HEALPix index of a positioned table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionInfo {
    /// ADQL name of the longitude column (degrees).
    pub ra: String,
    /// ADQL name of the latitude column (degrees).
    pub dec: String,
    /// SQL name of the integer column holding the nested HEALPix index.
    pub hpx_column: String,
    /// HEALPix depth of that index.
    pub depth: u8,
}

/// A column (TAP_SCHEMA.columns).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnInfo {
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
    /// Free text.
    pub description: Option<String>,
    /// There is an index on it.
    pub indexed: bool,
    /// Shown by default.
    pub principal: bool,
    /// Defined by a standard.
    pub std: bool,
    /// Display order.
    pub index: Option<i64>,
}

impl ColumnInfo {
    /// TAP_SCHEMA `"size"`: the integer part of the arraysize (`256*` → 256), none for scalars, `*` and
    /// multi-dimensional arrays.
    pub fn size(&self) -> Option<i64> {
        let a = self.arraysize.as_deref()?;
        if a.contains('x') {
            return None;
        }
        a.trim_end_matches('*').parse().ok()
    }
}

/// A foreign key (TAP_SCHEMA.keys + key_columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key identifier.
    pub key_id: String,
    /// Qualified name of the table holding the foreign key.
    pub from_table: String,
    /// Qualified name of the referenced table.
    pub target_table: String,
    /// Free text.
    pub description: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// (from column, target column) pairs.
    pub columns: Vec<(String, String)>,
}

/// A snapshot of every published schema, table and key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    /// Schemas in display order.
    pub schemas: Vec<SchemaInfo>,
    /// Tables in display order.
    pub tables: Vec<TableInfo>,
    /// Foreign keys.
    pub keys: Vec<KeyInfo>,
}

impl TableInfo {
    /// The fully qualified ADQL name, `schema.table`, as TAP_SCHEMA.tables.table_name holds it.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

impl Catalogue {
    /// The table whose qualified name is `name`, compared case-insensitively (ADQL regular identifiers).
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables
            .iter()
            .find(|t| t.qualified_name().eq_ignore_ascii_case(name))
    }

    /// Tables of one schema, in order.
    pub fn tables_of<'a>(&'a self, schema: &'a str) -> impl Iterator<Item = &'a TableInfo> + 'a {
        self.tables.iter().filter(move |t| t.schema == schema)
    }

    /// Foreign keys leaving a table.
    pub fn keys_from<'a>(&'a self, table: &'a TableInfo) -> impl Iterator<Item = &'a KeyInfo> + 'a {
        let name = table.qualified_name();
        self.keys
            .iter()
            .filter(move |k| k.from_table.eq_ignore_ascii_case(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_the_integer_part_of_arraysize() {
        let mut c = ColumnInfo {
            arraysize: Some("256*".into()),
            ..Default::default()
        };
        assert_eq!(c.size(), Some(256));
        c.arraysize = Some("12".into());
        assert_eq!(c.size(), Some(12));
        c.arraysize = Some("*".into());
        assert_eq!(c.size(), None);
        c.arraysize = Some("3x2".into());
        assert_eq!(c.size(), None);
        c.arraysize = None;
        assert_eq!(c.size(), None);
    }
}
