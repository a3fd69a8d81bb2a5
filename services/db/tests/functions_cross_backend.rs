//! Every runtime function of FUNCTIONS.md gives the same answer on SQLite (Rust UDFs) and PostgreSQL (PL/pgSQL):
//! a table of hand-picked cases (poles, RA wrap, antipodes, NULLs, bad input) and a sweep of random geometry,
//! compared value for value — floats to the bit, texts and error messages exactly.
//!
//! Needs `ALMAGEST_TEST_PG_URL` (CI starts a server with scripts/pg-test-server.sh); skipped when unset.
#![allow(clippy::unwrap_used)]

use almagest_db::{Database, DbError, DbOptions, RwPool, Value};
use futures_util::StreamExt;

async fn open_both() -> Option<(tempfile::TempDir, Database, Database)> {
    let Ok(url) = std::env::var("ALMAGEST_TEST_PG_URL") else {
        eprintln!("skipping: ALMAGEST_TEST_PG_URL not set");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = format!("sqlite://{}", dir.path().join("f.sqlite").display());
    let lite = Database::open(&lite, &DbOptions::default()).await.unwrap();
    let pg = Database::open(&url, &DbOptions::default()).await.unwrap();
    Some((dir, lite, pg))
}

async fn rows(db: &Database, sql: &str) -> Result<Vec<Vec<Value>>, DbError> {
    let (mut s, _c) = db.stream_query(sql.to_string(), None);
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        out.push(r?);
    }
    Ok(out)
}

/// Same value: floats bit for bit (NaN never appears: SQLite has none).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (*x == 0.0 && *y == 0.0)
        }
        _ => a == b,
    }
}

/// Expressions written the same way for both backends. Those marked `!` are bad input: they must fail on both,
/// with the same message.
fn cases() -> Vec<&'static str> {
    vec![
        // constructors and DALI text
        "adql_point(10, 20)",
        "adql_point(0.00001, -1.5e-7)",
        "adql_point(359.99999999999994, 90)",
        "adql_point(123456789012345.6, 0.1)",
        "adql_point(1e15, 0)",
        "adql_point(-0.0, -90)",
        "!adql_point(1, 90.5)",
        "adql_point(NULL, 1)",
        "adql_circle(10, 20, 0.5)",
        "!adql_circle(10, 20, 0)",
        "!adql_circle(10, 20, 181)",
        "!adql_circle(1, -91, 1)",
        "adql_polygon(0, 0, 1, 0, 1, 1)",
        "adql_polygon(359.5, -1, 0.5, -1, 0.5, 1, 359.5, 1)",
        "!adql_polygon(0, 0, 1, 0, 1, 100)",
        "!adql_polygon(0, 0, 1, 0, 1)",
        "adql_polygon(0, 0, 1, NULL, 1, 1)",
        "adql_box(10, 20, 2, 1)",
        "adql_box(0, 89.8, 1, 1)",
        "adql_box(180, -60, 3, 4)",
        "adql_geometry('1 2', 'point')",
        "adql_geometry(' 1.50  2 ', 'point')",
        "adql_geometry('1 2 3', 'circle')",
        "adql_geometry('1 2 3 4 5 6', 'polygon')",
        "!adql_geometry('1 2 3', 'point')",
        "!adql_geometry('1 2 3 4', 'polygon')",
        "!adql_geometry('1 x', 'point')",
        "!adql_geometry('', 'point')",
        "!adql_geometry('1 NaN', 'point')",
        "!adql_geometry('1 95', 'point')",
        "adql_coord1('12.5 -3')",
        "adql_coord2('12.5 -3')",
        "!adql_coord1('1 2 3')",
        "adql_coord2(NULL)",
        // distances: tiny, antipodal, across RA 0, at the poles
        "adql_distance(10, 20, 10.5, 20.5)",
        "adql_distance(0, 0, 180, 0)",
        "adql_distance(12, 30, 192, -30)",
        "adql_distance(12, 30, 192, -29.999)",
        "adql_distance(359.9, 0, 0.1, 0)",
        "adql_distance(-0.1, 0, 0.1, 0)",
        "adql_distance(0, 90, 123, 90)",
        "adql_distance(0, 89, 180, 89)",
        "adql_distance(45, 45, 45, 45.0000002777778)",
        "adql_distance(33, -12, 33, -12)",
        "adql_distance(1, 2, NULL, 4)",
        "adql_geom_distance('10 20', '10.5 20.5')",
        "!adql_geom_distance('10 20', '10 20 1')",
        "adql_in_circle(0.5, 0, 0, 0, 0.5)",
        "adql_in_circle(359.8, 0.1, 0.1, 0, 0.5)",
        "adql_in_circle(0, 89.9, 180, 89.9, 0.2)",
        "adql_in_circle(0, 89.9, 180, 89.9, 0.1)",
        "adql_in_circle(0, 0, 180, 0, 180)",
        "adql_in_polygon(0, 0, '359 -1 1 -1 1 1 359 1')",
        "adql_in_polygon(0, 0, '359 1 1 1 1 -1 359 -1')",
        "adql_in_polygon(180, 0, '359 -1 1 -1 1 1 359 1')",
        "adql_in_polygon(45, 80.1, '0 80 90 80 180 80 270 80')",
        "adql_in_polygon(0, -90, '0 80 90 80 180 80 270 80')",
        "!adql_in_polygon(0, 0, '1 2 3')",
        "adql_in_polygon(0, 0, NULL)",
        // CONTAINS and INTERSECTS, every pair of kinds
        "adql_contains('10 20', '10 20')",
        "adql_contains('10 20', '10.2 20')",
        "adql_contains('10.2 20', '10 20 1')",
        "adql_contains('11.2 20', '10 20 1')",
        "adql_contains('0 89.5', '180 89.5 1.1')",
        "adql_contains('10 20 1', '10 20')",
        "adql_contains('10 20 0.5', '10 20 1')",
        "adql_contains('10 20 1.5', '10 20 1')",
        "adql_contains('10 20 0.5', '9 19 11 19 11 21 9 21')",
        "adql_contains('10 20 1.5', '9 19 11 19 11 21 9 21')",
        "adql_contains('9 19 11 19 11 21 9 21', '10 20 2')",
        "adql_contains('9 19 11 19 11 21 9 21', '10 20 1.2')",
        "adql_contains('150 0 160 -5 160 5', '0 0 170')",
        "adql_contains('170 0 190 -15 190 15', '0 0 170')",
        "adql_contains('9.5 19.5 10.5 19.5 10 20.5', '9 19 11 19 11 21 9 21')",
        "adql_contains('9 19 11 19 11 21 9 21', '9.5 19.5 10.5 19.5 10 20.5')",
        "adql_contains('0 -1 10 -1 10 1 0 1', '4 -5 6 -5 6 5 4 5')",
        "!adql_contains('1 2', 'not a shape')",
        "!adql_contains('1 2 3 4', '1 2')",
        "adql_intersects('10 20', '10 20 1')",
        "adql_intersects('10 20 1', '10.5 20')",
        "adql_intersects('12 20 1.5', '10 20 1')",
        "adql_intersects('13 20 1.5', '10 20 1')",
        "adql_intersects('10 20 1', '9 19 11 19 11 21 9 21')",
        "adql_intersects('9 19 11 19 11 21 9 21', '12 20 0.9')",
        "adql_intersects('9 19 11 19 11 21 9 21', '12 20 1.1')",
        "adql_intersects('0 -1 10 -1 10 1 0 1', '4 -5 6 -5 6 5 4 5')",
        "adql_intersects('0 -1 10 -1 10 1 0 1', '100 -1 110 -1 110 1')",
        "adql_intersects('359 -1 1 -1 1 1 359 1', '0.5 0.5 2 0.5 2 2')",
        // area and centroid
        "adql_area('0 0 90 0 0 90')",
        "adql_area('0 90 90 0 0 0')",
        "adql_area('0 -1 2 -1 2 1 0 1')",
        "adql_area('0 0 1')",
        "adql_area('0 0 180')",
        "adql_area('5 5')",
        "adql_centroid('0 -1 2 -1 2 1 0 1')",
        "adql_centroid('359 -1 1 -1 1 1 359 1')",
        "adql_centroid('0 80 90 80 180 80 270 80')",
        "adql_centroid('5 6 1')",
        "adql_centroid('5.5 6')",
        // HEALPix
        "adql_healpix(10, 10, 20)",
        "adql_healpix(0, 0, 90)",
        "adql_healpix(0, 0, -90)",
        "adql_healpix(29, 359.9999999, -45)",
        "adql_healpix(29, -0.0000001, 0)",
        "adql_healpix(12, -10, 5)",
        "adql_healpix(12, 350, 5)",
        "adql_healpix(29, 45, 41.8103148957786)",
        "!adql_healpix(30, 0, 0)",
        "!adql_healpix(5, 0, 91)",
        "ivo_healpix_index(8, 123.4, -56.7)",
        // LIKE, ILIKE and the RegTAP functions
        "adql_like('HD 1234', 'HD%')",
        "adql_like('hd 1234', 'HD%')",
        "adql_like('a%b', 'a%b')",
        "adql_like('a\\b', 'a\\b')",
        "adql_like('ab', 'a\\b')",
        "adql_like('', '%')",
        "adql_like('', '_')",
        "adql_like('ünïcödé', '_n_c%é')",
        "adql_like(NULL, '%')",
        "adql_ilike('hd 1234', 'HD%')",
        "adql_ilike('ÉTOILE', 'étoile')",
        "adql_ilike('ΣΑΣ', 'σας')",
        "adql_ilike('ΣΑΣ', 'σασ')",
        "adql_ilike('İstanbul', 'istanbul')",
        "ivo_nocasematch('Gaia DR3', 'gaia%')",
        "ivo_nocasematch('Gaia DR3', 'dr3')",
        "ivo_hasword('A quasar catalogue', 'QUASAR')",
        "ivo_hasword('quasar', ' quasar ')",
        "ivo_hasword('radio, quasar.', 'quasar')",
        "ivo_hasword('quasars everywhere', 'quasar')",
        "ivo_hasword('a_quasar', 'quasar')",
        "ivo_hasword('ba a a', 'a a')",
        "ivo_hasword('x xx x', 'x x')",
        "ivo_hasword('Étoiles doubles', 'ÉTOILES')",
        "ivo_hasword('anything', '')",
        "ivo_hasword('c++ code', 'C++')",
        "ivo_hasword('(a.b) x', 'a.b')",
        "ivo_hasword('axb', 'a.b')",
        "ivo_hashlist_has('optical#radio', 'Radio')",
        "ivo_hashlist_has('optical#Radio', 'radio')",
        "ivo_hashlist_has('optical#radio', 'x-ray')",
        "ivo_hashlist_has('optical#radio', 'optical#radio')",
        "ivo_hashlist_has('', '')",
        "ivo_hashlist_has('a##b', '')",
        "ivo_hashlist_has('optical', NULL)",
        // numbers
        "adql_truncate(3.149, 2)",
        "adql_truncate(-3.149, 1)",
        "adql_truncate(1234.5, -2)",
        "adql_truncate(0.3, 17)",
        "adql_round(4.55, 1)",
        "adql_round(2.5, 0)",
        "adql_round(-2.5, 0)",
        "adql_round(1234.5678, 2)",
        "adql_round(0.30000000000000004, 17)",
        "adql_round(0.30000000000000004, 1)",
        "adql_round(9.999, 2)",
        "adql_round(-0.005, 2)",
        "adql_round(1234567890123.125, 2)",
        "adql_round(1250, -2)",
        "adql_round(-1250, -2)",
        "adql_round(123, -5)",
        "adql_round(1e300, 2)",
        "adql_rand(42)",
        "adql_rand(-7)",
        "adql_rand(0)",
    ]
}

#[tokio::test]
async fn every_function_gives_the_same_answers_on_both_backends() {
    let Some((_dir, lite, pg)) = open_both().await else {
        return;
    };
    let mut failures = Vec::new();
    for case in cases() {
        let (must_fail, expr) = match case.strip_prefix('!') {
            Some(e) => (true, e),
            None => (false, case),
        };
        let sql = format!("SELECT {expr}");
        let (a, b) = (rows(&lite, &sql).await, rows(&pg, &sql).await);
        let agree = match (&a, &b) {
            (Ok(a), Ok(b)) => {
                !must_fail && a.len() == 1 && b.len() == 1 && same(&a[0][0], &b[0][0])
            }
            (Err(DbError::Query(x)), Err(DbError::Query(y))) => {
                must_fail && x == y && x.starts_with("adql_")
            }
            _ => false,
        };
        if !agree {
            failures.push(format!("{case}:\n  SQLite     {a:?}\n  PostgreSQL {b:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Hand-checked answers: agreement alone would not catch both backends being wrong the same way.
#[tokio::test]
async fn sqlite_answers_are_the_expected_ones() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e.sqlite").display());
    let db = Database::open(&url, &DbOptions::default()).await.unwrap();
    let one = |v: &str| Value::Text(v.into());
    for (expr, want) in [
        ("adql_point(0.00001, -1.5e-7)", one("1e-5 -1.5e-7")),
        ("adql_point(-0.0, -90)", one("0 -90")),
        ("adql_polygon(0, 0, 1, 0, 1, 1)", one("0 0 1 0 1 1")),
        ("adql_geometry(' 1.50  2 ', 'point')", one("1.5 2")),
        ("adql_distance(0, 0, 180, 0)", Value::Float(180.0)),
        ("adql_distance(10, 20, 10, 20)", Value::Float(0.0)),
        (
            "adql_in_polygon(0, 0, '359 1 1 1 1 -1 359 -1')",
            Value::Int(1),
        ),
        (
            "adql_contains('170 0 190 -15 190 15', '0 0 170')",
            Value::Int(0),
        ),
        (
            "adql_contains('150 0 160 -5 160 5', '0 0 170')",
            Value::Int(1),
        ),
        (
            "adql_intersects('0 -1 10 -1 10 1 0 1', '4 -5 6 -5 6 5 4 5')",
            Value::Int(1),
        ),
        ("adql_healpix(10, 10, 20)", Value::Int(5_085_024)),
        ("adql_healpix(0, 0, -90)", Value::Int(8)),
        ("adql_like('a\\b', 'a\\b')", Value::Int(1)),
        ("adql_ilike('ÉTOILE', 'étoile')", Value::Int(1)),
        ("ivo_hasword('quasars everywhere', 'quasar')", Value::Int(0)),
        ("ivo_hashlist_has('optical#Radio', 'radio')", Value::Int(1)),
        ("ivo_hashlist_has('', '')", Value::Int(0)),
        ("adql_round(4.55, 1)", Value::Float(4.6)),
        ("adql_round(-2.5, 0)", Value::Float(-3.0)),
        ("adql_round(0.30000000000000004, 17)", Value::Float(0.3)),
        ("adql_truncate(-3.149, 1)", Value::Float(-3.1)),
        ("adql_coord2(NULL)", Value::Null),
    ] {
        let got = rows(&db, &format!("SELECT {expr}")).await.unwrap();
        assert!(
            same(&got[0][0], &want),
            "{expr}: {:?} != {want:?}",
            got[0][0]
        );
    }
    // a box of height 0 at latitude 20: both edges 2 degrees long, so stretched by 1/cos(20°) in longitude
    let b = rows(&db, "SELECT adql_box(10, 20, 2, 0)").await.unwrap();
    let Value::Text(b) = &b[0][0] else {
        panic!("{b:?}")
    };
    let s = 1.0 / 20f64.to_radians().cos();
    let want = [
        10.0 - s,
        20.0,
        10.0 + s,
        20.0,
        10.0 + s,
        20.0,
        10.0 - s,
        20.0,
    ];
    let got: Vec<f64> = b.split(' ').map(|x| x.parse().unwrap()).collect();
    assert_eq!(got.len(), 8, "{b}");
    assert!(
        got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12),
        "{b}"
    );
    let pole = rows(
        &db,
        "SELECT adql_distance(0, 90, 123, 90), adql_distance(0, -89, 180, -89)",
    )
    .await
    .unwrap();
    assert!(
        matches!(pole[0][0], Value::Float(d) if d.abs() < 1e-12),
        "{pole:?}"
    );
    assert!(
        matches!(pole[0][1], Value::Float(d) if (d - 2.0).abs() < 1e-12),
        "{pole:?}"
    );
    let area = rows(&db, "SELECT adql_area('0 0 90 0 0 90')")
        .await
        .unwrap();
    let Value::Float(a) = area[0][0] else {
        panic!("{area:?}")
    };
    assert!((a - 41_252.961_249_419_27 / 8.0).abs() < 1e-9, "{a}");
    for (expr, message) in [
        (
            "adql_point(1, 90.5)",
            "adql_point: latitude 90.5 is outside [-90, 90]",
        ),
        (
            "adql_contains('1 2', 'not a shape')",
            "adql_contains: 'not' is not a number in geometry 'not a shape'",
        ),
        (
            "adql_geometry('1 2 3', 'point')",
            "adql_geometry: '1 2 3' is a circle, not a point",
        ),
        (
            "adql_healpix(30, 0, 0)",
            "adql_healpix: HEALPix depth 30 is outside 0..29",
        ),
    ] {
        match rows(&db, &format!("SELECT {expr}")).await {
            Err(DbError::Query(m)) => assert_eq!(m, message),
            other => panic!("{expr}: {other:?}"),
        }
    }
}

/// Thousands of random cases through the same SQL on both backends: positions anywhere (poles and RA 0/360
/// included), circles and polygons around them.
#[tokio::test]
async fn random_geometry_agrees_to_the_bit() {
    let Some((_dir, lite, pg)) = open_both().await else {
        return;
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut cases = Vec::new();
    for id in 0..3000i64 {
        let special = [0.0, 90.0, -90.0, 89.999999, -89.999999];
        let lat = |r: f64, x: f64| {
            if r < 0.05 {
                special[(x * 5.0) as usize % 5]
            } else {
                (2.0 * x - 1.0).asin().to_degrees()
            }
        };
        let (a, b, c, d) = (rnd(), rnd(), rnd(), rnd());
        let lon1 = if a < 0.1 { 360.0 - b * 1e-6 } else { b * 360.0 };
        let lat1 = lat(a, c);
        // the second position near the first (cones, small polygons) or anywhere (antipodes included)
        let (lon2, lat2) = if d < 0.5 {
            (
                lon1 + (rnd() - 0.5) * 4.0,
                (lat1 + (rnd() - 0.5) * 4.0).clamp(-90.0, 90.0),
            )
        } else if d < 0.6 {
            (lon1 + 180.0, -lat1)
        } else {
            (rnd() * 360.0, lat(rnd(), rnd()))
        };
        let r = 10f64.powf(-4.0 + 6.0 * rnd()).min(180.0);
        let n = 3 + (rnd() * 5.0) as usize;
        let size = 10f64.powf(-3.0 + 4.0 * rnd());
        let mut poly = Vec::new();
        for i in 0..n {
            let pa = (i as f64 + rnd() * 0.8) * std::f64::consts::TAU / n as f64;
            let s = size * (0.3 + 0.7 * rnd());
            let plat = (lat2 + s * pa.cos()).clamp(-90.0, 90.0);
            let plon = lon2 + s * pa.sin() / plat.to_radians().cos().max(0.01);
            poly.push(format!("{plon} {plat}"));
        }
        cases.push((id, lon1, lat1, lon2, lat2, r, poly.join(" ")));
    }
    load(&lite, &cases).await;
    load(&pg, &cases).await;
    let sql = "SELECT id, adql_distance(lon1, lat1, lon2, lat2), adql_in_circle(lon1, lat1, lon2, lat2, r), \
               adql_point(lon1, lat1), adql_circle(lon2, lat2, r), adql_in_polygon(lon1, lat1, poly), \
               adql_contains(adql_circle(lon1, lat1, r), poly), adql_intersects(adql_circle(lon1, lat1, r), poly), \
               adql_contains(poly, adql_circle(lon1, lat1, r)), \
               adql_intersects(poly, adql_polygon(lon1, lat1, lon1 + 1, lat1 * 0.5, lon2, lat2)), \
               adql_area(poly), adql_centroid(poly), adql_healpix(29, lon1, lat1), adql_healpix(7, lon2, lat2), \
               adql_geometry(poly, 'polygon'), adql_rand(id), adql_truncate(lon1, 3), adql_round(lat1, 4), \
               adql_in_polygon(lon1, lat1, '350 -60 30 -60 30 60 350 60') \
               FROM cross_cases ORDER BY id";
    let (a, b) = (
        rows(&lite, sql).await.unwrap(),
        rows(&pg, sql).await.unwrap(),
    );
    assert_eq!(a.len(), cases.len());
    assert_eq!(b.len(), cases.len());
    let mut differences = Vec::new();
    let mut inside = 0;
    for (x, y) in a.iter().zip(&b) {
        for (col, (u, v)) in x.iter().zip(y).enumerate() {
            if !same(u, v) {
                differences.push(format!("case {:?} column {col}: {u:?} vs {v:?}", x[0]));
            }
        }
        inside += (x[5] == Value::Int(1)) as usize;
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // the sweep exercised both outcomes
    assert!(inside > 50 && inside < cases.len() - 50, "{inside}");
}

type Case = (i64, f64, f64, f64, f64, f64, String);

async fn load(db: &Database, cases: &[Case]) {
    let create = "CREATE TABLE cross_cases (id BIGINT, lon1 DOUBLE PRECISION, lat1 DOUBLE PRECISION, \
                  lon2 DOUBLE PRECISION, lat2 DOUBLE PRECISION, r DOUBLE PRECISION, poly TEXT)";
    match db.rw() {
        RwPool::Sqlite(p) => {
            sqlx::query(create).execute(p).await.unwrap();
            let mut tx = p.begin().await.unwrap();
            for c in cases {
                sqlx::query("INSERT INTO cross_cases VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(c.0)
                    .bind(c.1)
                    .bind(c.2)
                    .bind(c.3)
                    .bind(c.4)
                    .bind(c.5)
                    .bind(&c.6)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        RwPool::Postgres(p) => {
            sqlx::query("DROP TABLE IF EXISTS cross_cases")
                .execute(p)
                .await
                .unwrap();
            sqlx::query(create).execute(p).await.unwrap();
            let mut tx = p.begin().await.unwrap();
            for c in cases {
                sqlx::query("INSERT INTO cross_cases VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(c.0)
                    .bind(c.1)
                    .bind(c.2)
                    .bind(c.3)
                    .bind(c.4)
                    .bind(c.5)
                    .bind(&c.6)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
    }
}
