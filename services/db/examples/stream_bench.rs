//! Throughput of the query path and of the runtime functions (numbers in services/db/BENCHMARKS.md).
//!
//!     CARGO_TARGET_DIR=/work/target-db cargo run --release -p almagest-db --example stream_bench -- [ROWS]
//!
//! With `ALMAGEST_TEST_PG_URL` set, PostgreSQL is measured too (tables `bench_*` are created there).
//! Reports rows/s of `stream_query` decoding a 5-column numeric table into `formats::Value`, the peak RSS, and the
//! cost of a full scan through each geometry function.
#![allow(clippy::unwrap_used)]

use almagest_db::{Database, DbOptions, RwPool, Value};
use futures_util::StreamExt;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Streams all rows, checks their shape, returns (rows, seconds).
async fn stream(db: &Database, sql: &str, columns: usize) -> (u64, f64) {
    let t = Instant::now();
    let (mut rows, _c) = db.stream_query(sql.to_string(), None);
    let mut n = 0u64;
    let mut checksum = 0.0;
    while let Some(r) = rows.next().await {
        let r = r.unwrap();
        assert_eq!(r.len(), columns);
        if let Value::Float(x) = r[1] {
            checksum += x;
        }
        n += 1;
    }
    std::hint::black_box(checksum);
    (n, t.elapsed().as_secs_f64())
}

async fn scalar(db: &Database, sql: &str) -> (Value, f64) {
    let t = Instant::now();
    let (mut rows, _c) = db.stream_query(sql.to_string(), None);
    let v = rows.next().await.unwrap().unwrap().remove(0);
    (v, t.elapsed().as_secs_f64())
}

async fn run(name: &str, db: &Database, table: &str, n: u64) {
    let sql = format!("SELECT id, ra, dec, mag, plx FROM {table}");
    // warm the cache, then the best of three
    stream(db, &sql, 5).await;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (rows, secs) = stream(db, &sql, 5).await;
        assert_eq!(rows, n);
        best = best.min(secs);
    }
    println!(
        "{name}: stream {n} rows x 5 columns: {best:.3} s = {:.2} M rows/s; peak RSS so far {:.1} MB",
        n as f64 / best / 1e6,
        peak_rss_mb()
    );
    let poly = "'5 15 15 15 15 25 5 25'";
    for (what, cond) in [
        ("plain range (baseline)", "ra BETWEEN 5 AND 15".to_string()),
        (
            "adql_distance(...) <= 5",
            "adql_distance(ra, dec, 10, 20) <= 5".to_string(),
        ),
        (
            "adql_in_circle(...) = 1",
            "adql_in_circle(ra, dec, 10, 20, 5) = 1".to_string(),
        ),
        (
            "adql_in_polygon(.., 4 vertices) = 1",
            format!("adql_in_polygon(ra, dec, {poly}) = 1"),
        ),
        (
            "adql_contains(adql_point(..), circle) = 1",
            "adql_contains(adql_point(ra, dec), '10 20 5') = 1".to_string(),
        ),
        (
            "adql_healpix(29, ...) > 0",
            "adql_healpix(29, ra, dec) >= 0".to_string(),
        ),
    ] {
        let (count, secs) = scalar(db, &format!("SELECT COUNT(*) FROM {table} WHERE {cond}")).await;
        println!(
            "{name}:   full scan with {what}: {secs:.3} s ({:.2} M rows/s), count {count:?}",
            n as f64 / secs / 1e6
        );
    }
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let db = Database::open(&url, &DbOptions::default()).await.unwrap();
    let RwPool::Sqlite(p) = db.rw() else {
        unreachable!()
    };
    let t = Instant::now();
    sqlx::query("CREATE TABLE bench (id INTEGER, ra REAL, dec REAL, mag REAL, plx REAL)")
        .execute(p)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO bench WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) \
         SELECT x, abs(random() % 360000000) / 1e6, degrees(asin((random() % 1000000) / 1e6)), \
         5 + abs(random() % 15000) / 1e3, abs(random() % 100000) / 1e3 FROM c"
    )))
    .execute(p)
    .await
    .unwrap();
    println!(
        "SQLite: {n} rows loaded in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    run("SQLite", &db, "bench", n).await;

    if let Ok(url) = std::env::var("ALMAGEST_TEST_PG_URL") {
        let pg = Database::open(&url, &DbOptions::default()).await.unwrap();
        let RwPool::Postgres(p) = pg.rw() else {
            unreachable!()
        };
        let t = Instant::now();
        for sql in [
            "DROP TABLE IF EXISTS bench_rows".to_string(),
            "CREATE TABLE bench_rows (id bigint, ra float8, dec float8, mag float8, plx float8)"
                .to_string(),
            format!(
                "INSERT INTO bench_rows SELECT g, random() * 360, degrees(asin(2 * random() - 1)), \
                 5 + random() * 15, random() * 100 FROM generate_series(1, {n}) AS g"
            ),
            "VACUUM ANALYZE bench_rows".to_string(),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .unwrap();
        }
        println!(
            "PostgreSQL: {n} rows loaded in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        run("PostgreSQL", &pg, "bench_rows", n).await;
    }
}
