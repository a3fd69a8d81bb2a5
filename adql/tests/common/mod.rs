//! A fixture catalogue for the translation and checker tests.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use adql::{Catalog, ColumnMeta, PositionIndex, SqlName, TableMeta, Udf};

pub struct Fixture {
    pub tables: Vec<TableMeta>,
    pub udfs: Vec<Udf>,
}

impl Catalog for Fixture {
    fn tables(&self) -> &[TableMeta] {
        &self.tables
    }
    fn udfs(&self) -> &[Udf] {
        &self.udfs
    }
}

pub fn col(name: &str, datatype: &str, unit: Option<&str>, ucd: Option<&str>) -> ColumnMeta {
    ColumnMeta {
        name: name.into(),
        sql_name: name.into(),
        datatype: datatype.into(),
        arraysize: if datatype == "char" {
            Some("*".into())
        } else {
            None
        },
        unit: unit.map(Into::into),
        ucd: ucd.map(Into::into),
        description: Some(format!("the {name}")),
        ..Default::default()
    }
}

pub fn fixture() -> Fixture {
    let pos = |_t: &str| PositionIndex {
        ra: "ra".into(),
        dec: "dec".into(),
        hpx_column: "_hpx".into(),
        depth: 29,
    };
    Fixture {
        tables: vec![
            TableMeta {
                schema: Some("hip".into()),
                name: "main".into(),
                sql_name: SqlName {
                    schema: None,
                    table: "hip.main".into(),
                },
                columns: vec![
                    col("hip", "int", None, Some("meta.id;meta.main")),
                    col("ra", "double", Some("deg"), Some("pos.eq.ra;meta.main")),
                    col("dec", "double", Some("deg"), Some("pos.eq.dec;meta.main")),
                    col("plx", "double", Some("mas"), Some("pos.parallax")),
                    col("pmra", "double", Some("mas/yr"), None),
                    col("hpmag", "double", Some("mag"), Some("phot.mag")),
                    col("b_v", "double", Some("mag"), None),
                    col("name", "char", None, None),
                ],
                position: Some(pos("hip")),
                description: Some("Hipparcos".into()),
            },
            TableMeta {
                schema: Some("gaia".into()),
                name: "dr3_g10".into(),
                sql_name: SqlName {
                    schema: None,
                    table: "gaia.dr3_g10".into(),
                },
                columns: vec![
                    col("source_id", "long", None, Some("meta.id;meta.main")),
                    col("ra", "double", Some("deg"), Some("pos.eq.ra;meta.main")),
                    col("dec", "double", Some("deg"), Some("pos.eq.dec;meta.main")),
                    col("phot_g_mean_mag", "double", Some("mag"), None),
                ],
                position: Some(pos("gaia")),
                description: None,
            },
            TableMeta {
                schema: Some("TAP_SCHEMA".into()),
                name: "tables".into(),
                sql_name: SqlName {
                    schema: None,
                    table: "TAP_SCHEMA.tables".into(),
                },
                columns: vec![
                    col("schema_name", "char", None, None),
                    col("table_name", "char", None, None),
                    col("description", "char", None, None),
                    col("table_index", "int", None, None),
                ],
                position: None,
                description: None,
            },
            TableMeta {
                schema: Some("demo".into()),
                name: "obs".into(),
                sql_name: SqlName {
                    schema: Some("demo".into()),
                    table: "obs".into(),
                },
                columns: vec![
                    col("obs_id", "char", None, None),
                    ColumnMeta {
                        name: "s_region".into(),
                        sql_name: "s_region".into(),
                        datatype: "double".into(),
                        arraysize: Some("*".into()),
                        xtype: Some("polygon".into()),
                        ..Default::default()
                    },
                    ColumnMeta {
                        name: "center".into(),
                        sql_name: "center".into(),
                        datatype: "double".into(),
                        arraysize: Some("2".into()),
                        xtype: Some("point".into()),
                        unit: Some("deg".into()),
                        ..Default::default()
                    },
                    col("t_min", "double", Some("d"), None),
                    ColumnMeta {
                        name: "Weird Name".into(),
                        sql_name: "Weird Name".into(),
                        datatype: "int".into(),
                        ..Default::default()
                    },
                ],
                position: None,
                description: None,
            },
        ],
        udfs: adql::standard_udfs(),
    }
}

pub fn sql(adql: &str, dialect: adql::Dialect) -> Result<String, adql::AdqlError> {
    let q = adql::parse(adql)?;
    let c = adql::check(&q, &fixture())?;
    adql::translate(
        &c,
        &adql::TranslateOptions {
            dialect,
            row_limit: None,
        },
    )
}
