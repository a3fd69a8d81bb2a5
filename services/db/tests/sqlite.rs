//! The SQLite backend: runtime functions registered, queries streamed, read-only query connections, cancellation.
#![allow(clippy::unwrap_used)]

use almagest_db::{Database, DbError, DbOptions, RwPool, Value};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

async fn db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
    let db = Database::open(&url, &DbOptions::default()).await.unwrap();
    let RwPool::Sqlite(p) = db.rw() else { panic!() };
    sqlx::query("CREATE TABLE t (id INTEGER, ra REAL, dec REAL, name TEXT)")
        .execute(p)
        .await
        .unwrap();
    for i in 0..1000 {
        sqlx::query("INSERT INTO t VALUES ($1, $2, $3, $4)")
            .bind(i)
            .bind((i as f64 * 0.36) % 360.0)
            .bind(((i % 180) as f64) - 89.5)
            .bind(if i % 2 == 0 {
                Some(format!("HD {i}"))
            } else {
                None
            })
            .execute(p)
            .await
            .unwrap();
    }
    (dir, db)
}

async fn all(db: &Database, sql: &str) -> Result<Vec<Vec<Value>>, DbError> {
    let (mut rows, _c) = db.stream_query(sql.to_string(), None);
    let mut out = Vec::new();
    while let Some(r) = rows.next().await {
        out.push(r?);
    }
    Ok(out)
}

#[tokio::test]
async fn rows_stream_with_their_storage_classes() {
    let (_d, db) = db().await;
    let rows = all(
        &db,
        "SELECT id, ra, name, NULL FROM t WHERE id < 2 ORDER BY id",
    )
    .await
    .unwrap();
    assert_eq!(
        rows[0],
        vec![
            Value::Int(0),
            Value::Float(0.0),
            Value::Text("HD 0".into()),
            Value::Null
        ]
    );
    assert_eq!(rows[1][2], Value::Null);
    assert_eq!(
        all(&db, "SELECT COUNT(*) FROM t").await.unwrap(),
        vec![vec![Value::Int(1000)]]
    );
}

#[tokio::test]
async fn runtime_functions_and_math_are_there() {
    let (_d, db) = db().await;
    let r = all(&db, "SELECT adql_distance(10, 20, 10.5, 20.5), adql_point(1.5, -2), sqrt(16), ln(1), \
                     adql_like('HD 1', 'hd%'), adql_ilike('HD 1', 'hd%'), ivo_healpix_index(10, 10, 20)")
        .await
        .unwrap();
    let Value::Float(d) = r[0][0] else {
        panic!("{r:?}")
    };
    assert!((d - 0.685601).abs() < 1e-5);
    assert_eq!(r[0][1], Value::Text("1.5 -2".into()));
    assert_eq!(r[0][2], Value::Float(4.0));
    assert_eq!(r[0][4], Value::Int(0));
    assert_eq!(r[0][5], Value::Int(1));
    assert_eq!(r[0][6], Value::Int(5085024));
    assert_eq!(
        all(&db, "SELECT adql_point(NULL, 1)").await.unwrap()[0][0],
        Value::Null
    );
    let e = all(&db, "SELECT adql_contains('1 2', 'not a shape')")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a number"), "{e}");
}

#[tokio::test]
async fn query_connections_are_read_only() {
    let (_d, db) = db().await;
    let e = all(&db, "DELETE FROM t").await.unwrap_err();
    assert!(
        e.to_string().to_lowercase().contains("readonly")
            || e.to_string().contains("read-only")
            || e.to_string().contains("query_only"),
        "{e}"
    );
    assert_eq!(
        all(&db, "SELECT COUNT(*) FROM t").await.unwrap(),
        vec![vec![Value::Int(1000)]]
    );
}

/// A query that would count to 1e10 stops when cancelled or timed out, and the connection is usable after.
#[tokio::test]
async fn long_queries_are_interrupted() {
    let (_d, db) = db().await;
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) SELECT MAX(x) FROM c";
    let started = Instant::now();
    let (mut rows, _c) = db.stream_query(long.into(), Some(Duration::from_millis(300)));
    let r = rows.next().await.unwrap();
    assert!(matches!(r, Err(DbError::Timeout)), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let (mut rows, control) = db.stream_query(long.into(), None);
    control.cancel();
    assert!(matches!(
        rows.next().await.unwrap(),
        Err(DbError::Cancelled)
    ));
    for _ in 0..8 {
        assert_eq!(
            all(&db, "SELECT 1").await.unwrap(),
            vec![vec![Value::Int(1)]]
        );
    }
}

/// A dropped stream stops its statement: with a single query connection, the next query gets it at once
/// (otherwise it would wait for a count to 1e10 and fail when the pool gives up).
#[tokio::test]
async fn dropping_the_stream_frees_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.sqlite").display());
    let db = Database::open(
        &url,
        &DbOptions {
            query_connections: 1,
            ..DbOptions::default()
        },
    )
    .await
    .unwrap();
    let long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) SELECT MAX(x) FROM c";
    for _ in 0..3 {
        let (rows, control) = db.stream_query(long.into(), None);
        // let the statement start on the connection
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(rows);
        drop(control);
        assert_eq!(
            all(&db, "SELECT 2").await.unwrap(),
            vec![vec![Value::Int(2)]]
        );
    }
}

/// The time limit holds while a slow consumer lets the buffer fill: the stream ends with Timeout long before the
/// billion rows.
#[tokio::test]
async fn a_slow_consumer_does_not_escape_the_time_limit() {
    let (_d, db) = db().await;
    let many = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT x FROM c";
    let (mut rows, _c) = db.stream_query(many.into(), Some(Duration::from_millis(300)));
    assert_eq!(rows.next().await.unwrap().unwrap(), vec![Value::Int(1)]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut n = 1u64;
    let last = loop {
        match rows.next().await {
            Some(Ok(_)) => n += 1,
            other => break other,
        }
    };
    assert!(
        matches!(last, Some(Err(DbError::Timeout))),
        "{last:?} after {n} rows"
    );
    assert!(n < 100_000_000, "{n}");
}

#[tokio::test]
async fn writes_through_the_query_path_fail() {
    let (_d, db) = db().await;
    for sql in [
        "INSERT INTO t VALUES (5000, 1.0, 2.0, 'x')",
        "UPDATE t SET ra = 0",
        "CREATE TABLE sneaky (x)",
        "DROP TABLE t",
    ] {
        let e = all(&db, sql).await.unwrap_err();
        let m = e.to_string().to_lowercase();
        assert!(
            m.contains("readonly") || m.contains("read-only"),
            "{sql}: {e}"
        );
    }
    assert_eq!(
        all(&db, "SELECT COUNT(*) FROM t WHERE ra = 0")
            .await
            .unwrap(),
        vec![vec![Value::Int(1)]]
    );
}

/// A constant polygon is prepared once for the whole scan (SQLite auxiliary data); the answers must be those of a
/// polygon prepared afresh for each row.
#[tokio::test]
async fn polygon_searches_match_a_fresh_check_per_row() {
    let (_d, db) = db().await;
    let vertices = [(10.0, -50.0), (100.0, -50.0), (120.0, 40.0), (10.0, 40.0)];
    let poly = almagest_db::sky::Polygon::new(&vertices);
    let text = "10 -50 100 -50 120 40 10 40";
    let rows = all(
        &db,
        &format!(
            "SELECT id, ra, dec FROM t WHERE adql_in_polygon(ra, dec, '{text}') = 1 ORDER BY id"
        ),
    )
    .await
    .unwrap();
    let got: Vec<i64> = rows
        .iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            _ => panic!("{r:?}"),
        })
        .collect();
    let expected: Vec<i64> = (0..1000i64)
        .filter(|i| poly.contains((*i as f64 * 0.36) % 360.0, ((i % 180) as f64) - 89.5))
        .collect();
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(got, expected);
}
