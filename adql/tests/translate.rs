//! Translation golden tests: each ADQL query in `golden/translate.txt` with its expected SQL for SQLite and
//! PostgreSQL. `UPDATE_GOLDEN=1 cargo test -p adql --test translate` rewrites the file (review the diff!).
#![allow(clippy::unwrap_used)]

mod common;

use adql::Dialect;
use std::path::PathBuf;

const QUERIES: &[&str] = &[
    "SELECT TOP 5 hip, ra FROM hip.main ORDER BY hpmag DESC",
    // positional joins: index ranges per row of the other table (SQLite), the exact test alone (PostgreSQL)
    "SELECT h.hip, g.source_id FROM hip.main AS h JOIN gaia.dr3_g10 AS g ON 1=CONTAINS(POINT(g.ra, g.dec), CIRCLE(h.ra, h.dec, 1.0/3600))",
    "SELECT h.hip FROM hip.main AS h, gaia.dr3_g10 AS g WHERE DISTANCE(h.ra, h.dec, g.ra, g.dec) < 0.001",
    // constant sort keys order nothing and are left out (PostgreSQL refuses them; found by the fuzzer)
    "SELECT TOP 3 hip FROM hip.main ORDER BY -74.203 DESC, 'x', hip",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 0.5))",
    "SELECT hip FROM hip.main WHERE CONTAINS(POINT(ra, dec), CIRCLE(359.9, -10, 0.2)) = 1",
    "SELECT hip FROM hip.main WHERE 1=INTERSECTS(CIRCLE(10, 20, 0.1), POINT(ra, dec))",
    "SELECT hip FROM hip.main WHERE DISTANCE(POINT(ra, dec), POINT(10, 20)) < 0.1",
    "SELECT hip FROM hip.main WHERE 0.1 >= DISTANCE(ra, dec, 10, 20)",
    "SELECT hip FROM hip.main WHERE 0=CONTAINS(POINT(ra, dec), CIRCLE(10, 20, 1))",
    "SELECT ra FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), POLYGON(82.5, -2.5, 86.0, -2.5, 86.0, 0.5))",
    "SELECT ra FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), BOX(84, -1, 2, 2))",
    "SELECT h.hip, g.source_id FROM hip.main AS h JOIN gaia.dr3_g10 AS g ON 1=CONTAINS(POINT(g.ra, g.dec), CIRCLE(h.ra, h.dec, 5.0/3600))",
    "SELECT POINT(ra, dec) AS p, CIRCLE(ra, dec, 1) AS c, DISTANCE(POINT(ra, dec), POINT(0, 0)) FROM hip.main",
    "SELECT COUNT(*), AVG(plx), SUM(hip), MIN(name) FROM hip.main GROUP BY b_v HAVING COUNT(*) > 2",
    "SELECT IN_UNIT(pmra, 'rad/yr') AS pm, LOG(plx), LOG10(plx), ROUND(plx, 2), TRUNCATE(plx, 1), MOD(hip, 7), COT(plx) FROM hip.main",
    "SELECT name FROM hip.main WHERE name LIKE 'HD%' AND name NOT ILIKE 'hd 1%'",
    "SELECT CAST(plx AS INTEGER), CAST(hip AS VARCHAR(10)), CAST(hip AS DOUBLE PRECISION) FROM hip.main",
    "SELECT a.ra FROM hip.main a UNION SELECT TOP 3 ra FROM gaia.dr3_g10 ORDER BY 1 OFFSET 2",
    "SELECT ra FROM hip.main INTERSECT SELECT ra FROM gaia.dr3_g10 EXCEPT SELECT ra FROM hip.main WHERE plx > 10",
    "WITH b AS (SELECT hip, hpmag FROM hip.main WHERE hpmag < 3) SELECT * FROM b",
    "SELECT * FROM hip.main NATURAL JOIN gaia.dr3_g10",
    "SELECT hip FROM hip.main AS h LEFT OUTER JOIN gaia.dr3_g10 AS g USING (ra)",
    "SELECT h.hip, g.source_id FROM hip.main AS h FULL OUTER JOIN gaia.dr3_g10 AS g ON DISTANCE(POINT(g.ra, g.dec), POINT(h.ra, h.dec)) < 0.01",
    "WITH w AS (SELECT hip, NULL AS ra, dec FROM hip.main) SELECT DISTANCE(POINT(ra, dec), POINT(1, 2)) FROM w WHERE 1 = CONTAINS(POINT(w.ra, w.dec), CIRCLE(10, 20, 1))",
    "SELECT COALESCE(name) AS n FROM hip.main",
    "SELECT hip FROM hip.main WHERE hip IN (SELECT source_id FROM gaia.dr3_g10) AND EXISTS (SELECT 1 FROM gaia.dr3_g10 AS g WHERE g.ra = hip.main.ra)",
    "SELECT hip, (SELECT MAX(plx) FROM hip.main) AS maxplx FROM hip.main WHERE name IS NOT NULL AND plx BETWEEN 1 AND 2",
    "SELECT \"Weird Name\", obs_id || '-x' FROM demo.obs WHERE 1=INTERSECTS(s_region, CIRCLE(10, 10, 1))",
    "SELECT ivo_hasword(name, 'star'), ivo_healpix_index(6, ra, dec) FROM hip.main",
    "SELECT name, ivo_string_agg(name, ',') FROM hip.main GROUP BY name",
    "SELECT table_name FROM TAP_SCHEMA.tables WHERE schema_name = 'it''s' OFFSET 10",
    "SELECT AREA(CIRCLE(0, 0, 1)), CENTROID(s_region), COORD1(center), COORD2(POINT(1, 2)) FROM demo.obs",
];

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/translate.txt")
}

fn render() -> String {
    let mut out = String::new();
    for q in QUERIES {
        out.push_str("-- adql\n");
        out.push_str(q);
        out.push('\n');
        for (name, d) in [("sqlite", Dialect::Sqlite), ("postgres", Dialect::Postgres)] {
            out.push_str(&format!("-- {name}\n"));
            match common::sql(q, d) {
                Ok(s) => out.push_str(&s),
                Err(e) => out.push_str(&format!("ERROR {e}")),
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[test]
fn translations_match_the_golden_file() {
    let got = render();
    let path = golden_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want =
        std::fs::read_to_string(&path).expect("golden file (create it with UPDATE_GOLDEN=1)");
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            if g != w {
                panic!(
                    "golden mismatch at line {}:\n  want: {w}\n  got:  {g}",
                    i + 1
                );
            }
        }
        panic!("golden file has a different number of lines");
    }
}

#[test]
fn every_golden_query_translates() {
    for q in QUERIES {
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            if let Err(e) = common::sql(q, d) {
                assert!(
                    matches!(e.kind(), adql::ErrorKind::Unsupported) && d == Dialect::Sqlite,
                    "{q} ({d:?}): {e}"
                );
            }
        }
    }
}

#[test]
fn limits_combine_top_and_maxrec() {
    let q = adql::parse("SELECT TOP 10 hip FROM hip.main").unwrap();
    let c = adql::check(&q, &common::fixture()).unwrap();
    let sql = |l| {
        adql::translate(
            &c,
            &adql::TranslateOptions {
                dialect: Dialect::Sqlite,
                row_limit: l,
            },
        )
        .unwrap()
    };
    assert!(sql(Some(4)).ends_with("LIMIT 4"));
    assert!(sql(Some(100)).ends_with("LIMIT 10"));
    assert!(sql(None).ends_with("LIMIT 10"));
}

#[test]
fn string_literals_and_names_cannot_break_out() {
    let s = common::sql("SELECT hip AS \"x\"\"; DROP TABLE t; --\" FROM hip.main WHERE name = 'a''; DROP TABLE t; --'", Dialect::Sqlite).unwrap();
    assert!(s.contains("AS \"x\"\"; DROP TABLE t; --\""), "{s}");
    assert!(s.contains("= 'a''; DROP TABLE t; --'"), "{s}");
}
