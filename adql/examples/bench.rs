//! Parse + check + translate throughput for typical queries:
//! `cargo run --release -p adql --example bench [-- SECONDS]`.
#![allow(clippy::unwrap_used)]

use adql::{
    Catalog, ColumnMeta, Dialect, PositionIndex, SqlName, TableMeta, TranslateOptions, Udf,
};
use std::time::{Duration, Instant};

struct Fixture(Vec<TableMeta>, Vec<Udf>);

impl Catalog for Fixture {
    fn tables(&self) -> &[TableMeta] {
        &self.0
    }
    fn udfs(&self) -> &[Udf] {
        &self.1
    }
}

fn table(schema: &str, name: &str, cols: &[&str]) -> TableMeta {
    TableMeta {
        schema: Some(schema.into()),
        name: name.into(),
        sql_name: SqlName {
            schema: None,
            table: format!("{schema}.{name}"),
        },
        columns: cols
            .iter()
            .map(|c| ColumnMeta {
                name: c.to_string(),
                sql_name: c.to_string(),
                datatype: "double".into(),
                unit: Some("deg".into()),
                ..Default::default()
            })
            .collect(),
        position: Some(PositionIndex {
            ra: "ra".into(),
            dec: "dec".into(),
            hpx_column: "_hpx".into(),
            depth: 29,
        }),
        description: None,
    }
}

const QUERIES: &[(&str, &str)] = &[
    (
        "cone",
        "SELECT TOP 100 source_id, ra, dec, phot_g_mean_mag FROM gaia.dr3_g10 WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 1)) ORDER BY phot_g_mean_mag",
    ),
    (
        "join+group",
        "SELECT h.hip, COUNT(*) AS n, AVG(g.phot_g_mean_mag) AS g FROM hip.main AS h JOIN gaia.dr3_g10 AS g ON 1 = CONTAINS(POINT(g.ra, g.dec), CIRCLE(h.ra, h.dec, 0.001)) WHERE h.hpmag < 6 AND h.plx BETWEEN 10 AND 100 GROUP BY h.hip HAVING COUNT(*) > 1 ORDER BY n DESC",
    ),
    (
        "474-char mixed",
        "SELECT TOP 50 h.hip, h.ra, h.dec, DISTANCE(POINT(h.ra, h.dec), POINT(83.82, -5.39)) AS d, g.source_id FROM hip.main AS h LEFT OUTER JOIN gaia.dr3_g10 AS g ON 1 = CONTAINS(POINT(g.ra, g.dec), CIRCLE(h.ra, h.dec, 1.0/3600)) WHERE 1 = CONTAINS(POINT(h.ra, h.dec), POLYGON(80, -8, 88, -8, 88, -2, 80, -2)) AND h.hpmag BETWEEN 2 AND 9 AND h.hip IN (SELECT hip FROM hip.main WHERE plx > 2) AND h.b_v IS NOT NULL ORDER BY d",
    ),
];

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let cat = Fixture(
        vec![
            table("hip", "main", &["hip", "ra", "dec", "hpmag", "plx", "b_v"]),
            table(
                "gaia",
                "dr3_g10",
                &["source_id", "ra", "dec", "phot_g_mean_mag"],
            ),
        ],
        adql::standard_udfs(),
    );
    let opts = TranslateOptions {
        dialect: Dialect::Sqlite,
        row_limit: Some(100_001),
    };
    for (name, q) in QUERIES {
        let t = Instant::now();
        let mut n = 0u64;
        while t.elapsed() < Duration::from_secs_f64(secs) {
            for _ in 0..100 {
                let parsed = adql::parse(q).expect("valid");
                let checked = adql::check(&parsed, &cat).expect("checks");
                let sql = adql::translate(&checked, &opts).expect("translates");
                std::hint::black_box(sql);
                n += 1;
            }
        }
        let per = t.elapsed().as_secs_f64() / n as f64;
        println!(
            "{name:16} {:>7} chars: {:>9.0} queries/s ({:.1} µs each)",
            q.len(),
            1.0 / per,
            per * 1e6
        );
    }
}
