//! ADQL translated for both backends and run on a real SQLite database and a real PostgreSQL server holding the
//! same fixture catalogue (2,000 Hipparcos stars plus positions at the poles and around RA 0/360): the answers
//! must agree, and cone and polygon searches must agree with a brute-force check computed here.
//!
//! PostgreSQL runs when `ALMAGEST_TEST_PG_URL` is set (CI starts one with scripts/pg-test-server.sh).

use adql::{
    Catalog, ColumnMeta, Dialect, PositionIndex, SqlName, TableMeta, TranslateOptions, Udf,
};
use almagest_db::exec::{Arg, Pool, placeholders};
use almagest_db::{Database, DbOptions, Value};
use futures_util::StreamExt;
use std::io::BufRead;

struct Fixture {
    tables: Vec<TableMeta>,
    udfs: Vec<Udf>,
}

impl Catalog for Fixture {
    fn tables(&self) -> &[TableMeta] {
        &self.tables
    }
    fn udfs(&self) -> &[Udf] {
        &self.udfs
    }
}

fn col(name: &str, datatype: &str, unit: Option<&str>) -> ColumnMeta {
    ColumnMeta {
        name: name.into(),
        sql_name: name.into(),
        datatype: datatype.into(),
        arraysize: (datatype == "char").then(|| "*".to_string()),
        unit: unit.map(Into::into),
        ..Default::default()
    }
}

fn catalog(pg: bool) -> Fixture {
    Fixture {
        tables: vec![TableMeta {
            schema: Some("hip".into()),
            name: "main".into(),
            sql_name: if pg {
                SqlName {
                    schema: Some("hip".into()),
                    table: "main".into(),
                }
            } else {
                SqlName {
                    schema: None,
                    table: "hip.main".into(),
                }
            },
            columns: vec![
                col("hip", "int", None),
                col("ra", "double", Some("deg")),
                col("dec", "double", Some("deg")),
                col("plx", "double", Some("mas")),
                col("hpmag", "double", Some("mag")),
                col("b_v", "double", Some("mag")),
                col("name", "char", None),
            ],
            position: Some(PositionIndex {
                ra: "ra".into(),
                dec: "dec".into(),
                hpx_column: "_hpx".into(),
                depth: 29,
            }),
            description: None,
        }],
        udfs: adql::standard_udfs(),
    }
}

/// (hip, ra, dec, plx, hpmag, b_v, name)
type Star = (i64, f64, f64, Option<f64>, f64, Option<f64>, Option<String>);

fn stars() -> Vec<Star> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/hip2_main.csv.gz");
    let f = std::fs::File::open(path).expect("demo/hip2_main.csv.gz");
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    let mut lines = r.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let idx = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (ih, ir, id, ip, im, ib) = (
        idx("hip"),
        idx("ra"),
        idx("dec"),
        idx("plx"),
        idx("hpmag"),
        idx("b_v"),
    );
    let mut out: Vec<Star> = Vec::new();
    // every 59th star: 2,000 spread over the whole sky
    for (i, line) in lines.step_by(59).take(2000).enumerate() {
        let line = line.unwrap();
        let v: Vec<&str> = line.split(',').collect();
        let num = |s: &str| s.parse::<f64>().ok();
        out.push((
            v[ih].parse().unwrap(),
            num(v[ir]).unwrap(),
            num(v[id]).unwrap(),
            num(v[ip]),
            num(v[im]).unwrap_or(0.0),
            num(v[ib]),
            (i % 3 != 0).then(|| format!("{} {}", if i % 2 == 0 { "HD" } else { "hd" }, v[ih])),
        ));
    }
    // positions that stress geometry: poles, RA wrap, antipodes of the test cones
    let extra = [
        (0.0, 90.0),
        (123.0, 89.95),
        (10.0, -89.99),
        (359.999, 0.0),
        (0.001, 0.01),
        (180.0, 0.0),
        (359.5, -0.3),
        (0.4, 0.2),
    ];
    for (k, (ra, dec)) in extra.iter().enumerate() {
        out.push((
            900_000 + k as i64,
            *ra,
            *dec,
            None,
            5.0,
            None,
            Some("pole 'n' wrap".into()),
        ));
    }
    out
}

async fn load(pool: &Pool, stars: &[Star]) {
    let pg = pool.is_postgres();
    let table = if pg {
        "\"hip\".\"main\""
    } else {
        "\"hip.main\""
    };
    let mut tx = pool.begin().await.unwrap();
    if pg {
        tx.execute("CREATE SCHEMA IF NOT EXISTS hip", &[])
            .await
            .unwrap();
    }
    tx.execute(&format!("DROP TABLE IF EXISTS {table}"), &[])
        .await
        .unwrap();
    let real = if pg { "DOUBLE PRECISION" } else { "REAL" };
    tx.execute(
        &format!("CREATE TABLE {table} (hip INTEGER, ra {real}, dec {real}, plx {real}, hpmag {real}, b_v {real}, name TEXT, \"_hpx\" BIGINT)"),
        &[],
    )
    .await
    .unwrap();
    for chunk in stars.chunks(200) {
        let mut sql = format!("INSERT INTO {table} VALUES ");
        let mut args = Vec::new();
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({})", placeholders(i * 8 + 1, 8)));
            let hpx = cdshealpix::nested::hash(29, s.1.to_radians(), s.2.to_radians()) as i64;
            args.extend([
                Arg::Int(s.0),
                Arg::Float(s.1),
                Arg::Float(s.2),
                s.3.into(),
                Arg::Float(s.4),
                s.5.into(),
                s.6.clone().into(),
                Arg::Int(hpx),
            ]);
        }
        tx.execute(&sql, &args).await.unwrap();
    }
    tx.execute(&format!("CREATE INDEX hpx_idx ON {table} (\"_hpx\")"), &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn run(db: &Database, pg: bool, adql: &str) -> Result<Vec<Vec<Value>>, String> {
    let q = adql::parse(adql).map_err(|e| e.to_string())?;
    let c = adql::check(&q, &catalog(pg)).map_err(|e| e.to_string())?;
    let dialect = if pg {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    };
    let sql = adql::translate(
        &c,
        &TranslateOptions {
            dialect,
            row_limit: None,
        },
    )
    .map_err(|e| e.to_string())?;
    let (mut rows, _c) = db.stream_query(sql.clone(), None);
    let mut out = Vec::new();
    while let Some(r) = rows.next().await {
        out.push(r.map_err(|e| format!("{e}\n  SQL: {sql}"))?);
    }
    Ok(out)
}

fn same(a: &Value, b: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(*b as i64 as f64),
        _ => None,
    };
    match (num(a), num(b)) {
        // REAL values: PostgreSQL keeps single precision, SQLite doubles; written as VOTable float they agree
        (Some(x), Some(y)) => {
            x == y
                || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300)
                || (x as f32) == (y as f32)
        }
        _ => match (a, b) {
            (Value::Text(x), Value::Text(y)) => {
                // geometry text: compare number by number
                let nx: Vec<f64> = x
                    .split_whitespace()
                    .filter_map(|t| t.parse().ok())
                    .collect();
                let ny: Vec<f64> = y
                    .split_whitespace()
                    .filter_map(|t| t.parse().ok())
                    .collect();
                x == y
                    || (!nx.is_empty()
                        && nx.len() == ny.len()
                        && nx
                            .iter()
                            .zip(&ny)
                            .all(|(p, q)| (p - q).abs() <= 1e-9 * p.abs().max(1.0)))
            }
            _ => a == b,
        },
    }
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

const QUERIES: &[&str] = &[
    "SELECT COUNT(*) FROM hip.main",
    "SELECT TOP 10 hip, ra, dec FROM hip.main ORDER BY hip",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(10, 5, 3))",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(0, 0, 1))",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(0, 90, 0.5))",
    "SELECT hip FROM hip.main WHERE DISTANCE(POINT(ra, dec), POINT(1, 1)) < 5",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), POLYGON(359, -2, 2, -2, 2, 2, 359, 2))",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), BOX(5, 5, 10, 6))",
    "SELECT hip FROM hip.main WHERE 0=CONTAINS(POINT(ra, dec), CIRCLE(10, 5, 60)) AND hip < 500",
    "SELECT hip, DISTANCE(POINT(ra, dec), POINT(0, 0)) AS d, POINT(ra, dec) AS p FROM hip.main WHERE hip < 50",
    "SELECT FLOOR(b_v * 10) / 10 AS bin, COUNT(*) AS n, AVG(hpmag) AS m, SUM(hip) AS s, MIN(name) AS mn FROM hip.main GROUP BY bin",
    "SELECT hip, LOG(plx), LOG10(plx), SQRT(plx), EXP(b_v), POWER(b_v, 2), ABS(b_v), CEILING(b_v), FLOOR(b_v) FROM hip.main WHERE plx > 0 AND b_v IS NOT NULL AND hip < 200",
    "SELECT hip, ROUND(plx, 1), TRUNCATE(plx, 1), MOD(hip, 7), MOD(plx, 2.5), DEGREES(1), RADIANS(ra), PI(), COT(1), ATAN2(dec, ra), SIN(dec), COS(dec), TAN(1) FROM hip.main WHERE hip < 100 AND plx IS NOT NULL",
    "SELECT hip, IN_UNIT(ra, 'rad'), IN_UNIT(plx, 'arcsec') FROM hip.main WHERE hip < 30",
    "SELECT name FROM hip.main WHERE name LIKE 'HD%'",
    "SELECT name FROM hip.main WHERE name ILIKE 'hd 1%'",
    "SELECT name FROM hip.main WHERE name NOT LIKE '%0'",
    "SELECT UPPER(name), LOWER(name), name || '!' FROM hip.main WHERE hip < 40",
    "SELECT CAST(plx AS INTEGER), CAST(hip AS VARCHAR(3)), CAST(hip AS DOUBLE PRECISION), CAST(hpmag AS REAL) FROM hip.main WHERE hip < 30",
    "SELECT COALESCE(name, 'none'), COALESCE(plx, 0) FROM hip.main WHERE hip < 30",
    "SELECT a.hip, b.hip FROM hip.main AS a JOIN hip.main AS b ON 1=CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, 0.5)) WHERE a.hip < 100 AND a.hip <> b.hip",
    // a full outer join on a spatial condition (PostgreSQL needs the translator's hash key for it)
    "SELECT a.hip, b.hip FROM (SELECT * FROM hip.main WHERE hip < 3000) AS a FULL OUTER JOIN (SELECT * FROM hip.main WHERE hip BETWEEN 2000 AND 6000) AS b ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < 2 AND a.hip <> b.hip",
    "SELECT hip FROM hip.main WHERE hip < 10 UNION SELECT hip FROM hip.main WHERE hip BETWEEN 20 AND 25",
    "SELECT hip FROM hip.main WHERE hip < 50 INTERSECT SELECT hip FROM hip.main WHERE hip > 40",
    "SELECT hip FROM hip.main WHERE hip < 50 EXCEPT SELECT hip FROM hip.main WHERE hip > 10",
    "WITH bright AS (SELECT hip, hpmag FROM hip.main WHERE hpmag < 6) SELECT COUNT(*) FROM bright",
    "SELECT hip FROM hip.main WHERE hip IN (SELECT hip FROM hip.main WHERE hpmag < 5) AND EXISTS (SELECT 1 FROM hip.main AS x WHERE x.hip = hip.main.hip)",
    "SELECT hip, (SELECT MAX(hpmag) FROM hip.main) FROM hip.main WHERE hip < 5",
    "SELECT TOP 5 hip FROM hip.main ORDER BY hpmag DESC, hip OFFSET 3",
    "SELECT AREA(CIRCLE(0, 0, 1)), AREA(POLYGON(0, 0, 1, 0, 1, 1)), CENTROID(POLYGON(0, 0, 2, 0, 2, 2, 0, 2)), COORD1(POINT(3, 4)), COORD2(POINT(3, 4)) FROM hip.main WHERE hip = 1",
    "SELECT hip FROM hip.main WHERE hip < 3 AND 1=INTERSECTS(CIRCLE(0, 0, 1), CIRCLE(1.5, 0, 1))",
    "SELECT hip FROM hip.main WHERE 1=INTERSECTS(CIRCLE(0, 0, 1), CIRCLE(ra, dec, 1))",
    "SELECT hip FROM hip.main WHERE 1=CONTAINS(CIRCLE(ra, dec, 0.1), CIRCLE(0, 0, 3))",
    "SELECT ivo_hasword(name, 'hd'), ivo_hashlist_has('a#hd#c', 'HD'), ivo_nocasematch(name, 'HD%'), ivo_healpix_index(6, ra, dec) FROM hip.main WHERE hip < 30 AND name IS NOT NULL",
    "SELECT name, ivo_string_agg(name, ',') FROM hip.main WHERE hip < 20 GROUP BY name",
    "SELECT CAST('10.5 -3' AS POINT), CAST('1 2 3' AS CIRCLE) FROM hip.main WHERE hip = 1",
    "SELECT RAND(7) FROM hip.main WHERE hip = 1",
];

fn brute_cone(stars: &[Star], lon: f64, lat: f64, r: f64) -> Vec<i64> {
    let mut v: Vec<i64> = stars
        .iter()
        .filter(|s| almagest_db::sky::distance(s.1, s.2, lon, lat) <= r)
        .map(|s| s.0)
        .collect();
    v.sort();
    v
}

fn ids(rows: &[Vec<Value>]) -> Vec<i64> {
    let mut v: Vec<i64> = rows
        .iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            _ => -1,
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn translated_queries_agree_on_both_backends_and_with_brute_force() {
    let data = stars();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::open(
        &format!("sqlite://{}", dir.path().join("x.sqlite").display()),
        &DbOptions::default(),
    )
    .await
    .unwrap();
    load(sqlite.rw(), &data).await;
    let pg = match std::env::var("ALMAGEST_TEST_PG_URL") {
        Ok(url) => {
            let db = Database::open(&url, &DbOptions::default()).await.unwrap();
            load(db.rw(), &data).await;
            Some(db)
        }
        Err(_) => {
            eprintln!("skipping the PostgreSQL half: ALMAGEST_TEST_PG_URL not set");
            None
        }
    };

    // brute force: cones (incl. the pole and across RA 0/360) and a polygon across RA 0
    for (lon, lat, r) in [
        (10.0, 5.0, 12.0),
        (56.75, 24.12, 8.0),
        (0.0, 0.0, 1.0),
        (0.0, 90.0, 0.5),
        (359.8, -0.1, 0.6),
        (200.0, -89.9, 1.0),
        (250.0, -40.0, 20.0),
    ] {
        let want = brute_cone(&data, lon, lat, r);
        let q = format!(
            "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE({lon}, {lat}, {r}))"
        );
        assert_eq!(
            ids(&run(&sqlite, false, &q).await.unwrap()),
            want,
            "SQLite {q}"
        );
        if let Some(pg) = &pg {
            assert_eq!(
                ids(&run(pg, true, &q).await.unwrap()),
                want,
                "PostgreSQL {q}"
            );
        }
        assert!(
            !want.is_empty(),
            "cone ({lon}, {lat}, {r}) should hold stars"
        );
    }
    let poly =
        almagest_db::sky::Polygon::new(&[(359.0, -2.0), (2.0, -2.0), (2.0, 2.0), (359.0, 2.0)]);
    let mut want: Vec<i64> = data
        .iter()
        .filter(|s| poly.contains(s.1, s.2))
        .map(|s| s.0)
        .collect();
    want.sort();
    let q = "SELECT hip FROM hip.main WHERE 1=CONTAINS(POINT(ra, dec), POLYGON(359, -2, 2, -2, 2, 2, 359, 2))";
    assert_eq!(ids(&run(&sqlite, false, q).await.unwrap()), want);
    if let Some(pg) = &pg {
        assert_eq!(ids(&run(pg, true, q).await.unwrap()), want);
    }
    assert!(
        want.len() >= 4,
        "the polygon across RA 0 should hold the wrap test points"
    );

    // a positional join: the pairs of brute force on both backends; on SQLite the inner table is read through its
    // HEALPix index (per-row ranges from adql_cone_range), not scanned once per outer row
    let q = "SELECT a.hip, b.hip FROM hip.main AS a JOIN hip.main AS b ON 1=CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, 3)) WHERE a.hip <> b.hip ORDER BY a.hip, b.hip";
    let near = |a: &Star, b: &Star| {
        let (l1, p1, l2, p2) = (
            a.1.to_radians(),
            a.2.to_radians(),
            b.1.to_radians(),
            b.2.to_radians(),
        );
        let h =
            ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
        (2.0 * h.sqrt().min(1.0).asin()).to_degrees() <= 3.0
    };
    let mut want = Vec::new();
    for a in &data {
        for b in data.iter().filter(|b| b.0 != a.0 && near(a, b)) {
            want.push(vec![Value::Int(a.0), Value::Int(b.0)]);
        }
    }
    want.sort_by_key(|r| match (&r[0], &r[1]) {
        (Value::Int(x), Value::Int(y)) => (*x, *y),
        _ => (0, 0),
    });
    assert!(
        want.len() >= 1000,
        "the join should find pairs: {}",
        want.len()
    );
    assert_eq!(run(&sqlite, false, q).await.unwrap(), want, "SQLite {q}");
    if let Some(pg) = &pg {
        assert_eq!(run(pg, true, q).await.unwrap(), want, "PostgreSQL {q}");
    }
    let checked = adql::check(&adql::parse(q).unwrap(), &catalog(false)).unwrap();
    let sql = adql::translate(
        &checked,
        &TranslateOptions {
            dialect: Dialect::Sqlite,
            row_limit: None,
        },
    )
    .unwrap();
    let (mut plan_rows, _c) = sqlite.stream_query(format!("EXPLAIN QUERY PLAN {sql}"), None);
    let mut plan = String::new();
    while let Some(r) = plan_rows.next().await {
        plan.push_str(&format!("{:?}\n", r.unwrap()));
    }
    assert!(
        plan.contains("MULTI-INDEX OR") || plan.contains("_hpx>? AND _hpx<?"),
        "the inner side of a positional join uses the HEALPix index:\n{plan}"
    );

    // every query: same answers on both backends
    let mut ran = 0;
    for q in QUERIES {
        let q = q.to_string();
        let a = run(&sqlite, false, &q)
            .await
            .unwrap_or_else(|e| panic!("SQLite: {q}\n{e}"));
        if let Some(pg) = &pg {
            let b = run(pg, true, &q)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL: {q}\n{e}"));
            let ordered = q.contains("ORDER BY");
            let (a, b) = if ordered {
                (a.clone(), b)
            } else {
                (sorted(a.clone()), sorted(b))
            };
            assert_eq!(a.len(), b.len(), "row counts differ for {q}");
            for (ra, rb) in a.iter().zip(&b) {
                assert!(
                    ra.iter().zip(rb).all(|(x, y)| same(x, y)),
                    "{q}\n  SQLite:     {ra:?}\n  PostgreSQL: {rb:?}"
                );
            }
        }
        ran += 1;
    }
    assert_eq!(ran, QUERIES.len());
}
