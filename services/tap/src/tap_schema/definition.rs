//! TAP_SCHEMA 1.1 (TAP 1.1 §4) as data: its tables and columns describe themselves, with the foreign keys the
//! standard recommends. The same definitions give the DDL and the self-describing rows.

use almagest_common::catalog::{ColumnInfo, KeyInfo, SchemaInfo, TableInfo};

/// A column of a TAP_SCHEMA table: name, VOTable type (char* or int), not-null, description.
struct Col(&'static str, Kind, bool, &'static str);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
}

struct Table(&'static str, &'static str, &'static [Col]);

use Kind::{Int, Text};

const TABLES: &[Table] = &[
    Table(
        "schemas",
        "description of schemas in this tableset",
        &[
            Col(
                "schema_name",
                Text,
                true,
                "schema name for reference to tap_schema.schemas",
            ),
            Col(
                "utype",
                Text,
                false,
                "lists the utypes of schemas in the tableset",
            ),
            Col(
                "description",
                Text,
                false,
                "describes schemas in the tableset",
            ),
            Col(
                "schema_index",
                Int,
                false,
                "recommended sort order when listing schemas",
            ),
        ],
    ),
    Table(
        "tables",
        "description of tables in this tableset",
        &[
            Col(
                "schema_name",
                Text,
                true,
                "the schema this table belongs to",
            ),
            Col("table_name", Text, true, "the fully qualified table name"),
            Col("table_type", Text, true, "one of: table view"),
            Col(
                "utype",
                Text,
                false,
                "lists the utype of tables in the tableset",
            ),
            Col(
                "description",
                Text,
                false,
                "describes tables in the tableset",
            ),
            Col(
                "table_index",
                Int,
                false,
                "recommended sort order when listing tables",
            ),
        ],
    ),
    Table(
        "columns",
        "description of columns in this tableset",
        &[
            Col("table_name", Text, true, "the table this column belongs to"),
            Col("column_name", Text, true, "the column name"),
            Col(
                "datatype",
                Text,
                true,
                "lists the ADQL datatype of columns in the tableset",
            ),
            Col(
                "arraysize",
                Text,
                false,
                "lists the size of variable-length columns in the tableset",
            ),
            Col(
                "xtype",
                Text,
                false,
                "a DALI or custom extended type annotation",
            ),
            Col("size", Int, false, "deprecated: use arraysize"),
            Col(
                "description",
                Text,
                false,
                "describes the columns in the tableset",
            ),
            Col(
                "utype",
                Text,
                false,
                "lists the utypes of columns in the tableset",
            ),
            Col(
                "unit",
                Text,
                false,
                "lists the unit used for column values in the tableset",
            ),
            Col(
                "ucd",
                Text,
                false,
                "lists the UCDs of columns in the tableset",
            ),
            Col(
                "indexed",
                Int,
                true,
                "an indexed column; 1 means 1, 0 means 0",
            ),
            Col(
                "principal",
                Int,
                true,
                "a principal column; 1 means 1, 0 means 0",
            ),
            Col("std", Int, true, "a standard column; 1 means 1, 0 means 0"),
            Col(
                "column_index",
                Int,
                false,
                "recommended sort order when listing columns of a table",
            ),
        ],
    ),
    Table(
        "keys",
        "description of foreign keys in this tableset",
        &[
            Col(
                "key_id",
                Text,
                true,
                "unique key to join to tap_schema.key_columns",
            ),
            Col("from_table", Text, true, "the table with the foreign key"),
            Col("target_table", Text, true, "the table with the primary key"),
            Col("description", Text, false, "describes keys in the tableset"),
            Col(
                "utype",
                Text,
                false,
                "lists the utype of keys in the tableset",
            ),
        ],
    ),
    Table(
        "key_columns",
        "description of foreign key columns in this tableset",
        &[
            Col("key_id", Text, true, "key to join to tap_schema.keys"),
            Col("from_column", Text, true, "column in the from_table"),
            Col("target_column", Text, true, "column in the target_table"),
        ],
    ),
];

/// The ADQL schema name of TAP_SCHEMA.
pub const SCHEMA: &str = "TAP_SCHEMA";

/// Foreign keys among the TAP_SCHEMA tables (TAP 1.1 §4: SHOULD declare).
const KEYS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "tap_schema_tables_schema",
        "tables",
        "schemas",
        "schema_name",
        "schema_name",
    ),
    (
        "tap_schema_columns_table",
        "columns",
        "tables",
        "table_name",
        "table_name",
    ),
    (
        "tap_schema_keys_from",
        "keys",
        "tables",
        "from_table",
        "table_name",
    ),
    (
        "tap_schema_keys_target",
        "keys",
        "tables",
        "target_table",
        "table_name",
    ),
    (
        "tap_schema_key_columns_key",
        "key_columns",
        "keys",
        "key_id",
        "key_id",
    ),
];

/// How TAP_SCHEMA table `name` is reached in SQL: SQLite has no schemas (one flat name with a dot in it),
/// PostgreSQL has a real `tap_schema` schema.
pub fn sql_name(postgres: bool, table: &str) -> (Option<String>, String) {
    if postgres {
        (Some("tap_schema".into()), table.into())
    } else {
        (None, format!("TAP_SCHEMA.{table}"))
    }
}

/// The catalogue entries of TAP_SCHEMA itself.
pub fn self_description(postgres: bool) -> (SchemaInfo, Vec<TableInfo>, Vec<KeyInfo>) {
    let schema = SchemaInfo {
        name: SCHEMA.into(),
        description: Some("the metadata of this service's tables (TAP 1.1 §4)".into()),
        utype: None,
        index: Some(100_000),
    };
    let tables = TABLES
        .iter()
        .enumerate()
        .map(|(i, Table(name, desc, cols))| {
            let (sql_schema, sql_table) = sql_name(postgres, name);
            TableInfo {
                schema: SCHEMA.into(),
                name: (*name).into(),
                table_type: "table".into(),
                description: Some((*desc).into()),
                utype: None,
                index: Some(100_000 + i as i64),
                nrows: None,
                sql_schema,
                sql_table,
                position: None,
                columns: cols
                    .iter()
                    .enumerate()
                    .map(|(j, Col(cname, kind, _, cdesc))| ColumnInfo {
                        // TAP_SCHEMA lists names that need quotes with their quotes: "size" (TAP 1.1 §4.3).
                        name: adql::adql_name(cname),
                        sql_name: (*cname).into(),
                        datatype: if *kind == Int {
                            "int".into()
                        } else {
                            "char".into()
                        },
                        arraysize: if *kind == Int { None } else { Some("*".into()) },
                        description: Some((*cdesc).into()),
                        principal: true,
                        std: true,
                        index: Some(j as i64 + 1),
                        ..Default::default()
                    })
                    .collect(),
            }
        })
        .collect();
    let keys = KEYS
        .iter()
        .map(|(id, from, target, fc, tc)| KeyInfo {
            key_id: (*id).into(),
            from_table: format!("{SCHEMA}.{from}"),
            target_table: format!("{SCHEMA}.{target}"),
            description: None,
            utype: None,
            columns: vec![((*fc).into(), (*tc).into())],
        })
        .collect();
    (schema, tables, keys)
}

/// Quotes an SQL identifier (both dialects use double quotes, doubled inside).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a possibly schema-qualified SQL table name.
pub fn quote_table(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
        None => quote_ident(table),
    }
}

/// DDL creating TAP_SCHEMA and the service's private catalogue tables, idempotently.
pub fn ddl(postgres: bool) -> Vec<String> {
    let mut out = Vec::new();
    if postgres {
        out.push("CREATE SCHEMA IF NOT EXISTS tap_schema".to_string());
    }
    for Table(name, _, cols) in TABLES {
        let (s, t) = sql_name(postgres, name);
        let coldefs: Vec<String> = cols
            .iter()
            .map(|Col(c, kind, not_null, _)| {
                let ty = match (kind, postgres) {
                    (Int, true) => "INTEGER",
                    (Int, false) => "INTEGER",
                    (Text, _) => "TEXT",
                };
                format!(
                    "{} {ty}{}",
                    quote_ident(c),
                    if *not_null { " NOT NULL" } else { "" }
                )
            })
            .collect();
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            quote_table(s.as_deref(), &t),
            coldefs.join(", ")
        ));
    }
    // What only the service needs: SQL names and the sky index of each table, and a version bumped at every
    // catalogue change so running servers notice an ingest made by another process.
    out.push(
        "CREATE TABLE IF NOT EXISTS almagest_tables (table_name TEXT PRIMARY KEY, sql_schema TEXT, \
         sql_table TEXT NOT NULL, ra_column TEXT, dec_column TEXT, hpx_column TEXT, hpx_depth INTEGER, \
         nrows BIGINT, source TEXT, ingested_at TEXT)"
            .to_string(),
    );
    out.push(
        "CREATE TABLE IF NOT EXISTS almagest_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            .to_string(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_description_is_complete() {
        let (_, tables, keys) = self_description(false);
        let names: Vec<_> = tables.iter().map(|t| t.qualified_name()).collect();
        assert_eq!(
            names,
            [
                "TAP_SCHEMA.schemas",
                "TAP_SCHEMA.tables",
                "TAP_SCHEMA.columns",
                "TAP_SCHEMA.keys",
                "TAP_SCHEMA.key_columns"
            ]
        );
        let columns = tables.iter().find(|t| t.name == "columns").unwrap();
        assert_eq!(columns.columns.len(), 14);
        assert!(
            columns
                .columns
                .iter()
                .any(|c| c.name == "\"size\"" && c.sql_name == "size" && c.datatype == "int")
        );
        assert_eq!(keys.len(), 5);
        assert_eq!(tables[0].sql_table, "TAP_SCHEMA.schemas");
        assert_eq!(
            self_description(true).1[0].sql_schema.as_deref(),
            Some("tap_schema")
        );
    }

    #[test]
    fn identifiers_are_always_quoted() {
        assert_eq!(
            quote_table(None, "TAP_SCHEMA.columns"),
            "\"TAP_SCHEMA.columns\""
        );
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert!(ddl(false)[2].contains("\"size\" INTEGER"));
    }
}
