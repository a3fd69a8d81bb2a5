//! The PostgreSQL backend: rows decoded by type, read-only query connections, cancellation, time limits, and a
//! dropped stream stopping its statement.
//!
//! Needs `ALMAGEST_TEST_PG_URL` (CI starts a server with scripts/pg-test-server.sh); skipped when unset.
#![allow(clippy::unwrap_used)]

use almagest_db::{Backend, Database, DbError, DbOptions, RwPool, Value};
use futures_util::StreamExt;
use std::time::Duration;

/// Counts to 1e10 in a recursive CTE: hours of work, one row at the end, bounded memory. The tag tells the tests
/// (which run at the same time) their statements apart in pg_stat_activity.
fn long(tag: &str) -> String {
    format!(
        "/* {tag} */ WITH RECURSIVE c(x) AS (SELECT 1::bigint UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) \
         SELECT max(x) FROM c"
    )
}

async fn open(opts: DbOptions) -> Option<Database> {
    let Ok(url) = std::env::var("ALMAGEST_TEST_PG_URL") else {
        eprintln!("skipping: ALMAGEST_TEST_PG_URL not set");
        return None;
    };
    let db = Database::open(&url, &opts).await.unwrap();
    assert_eq!(db.backend(), Backend::Postgres);
    Some(db)
}

async fn all(db: &Database, sql: &str) -> Result<Vec<Vec<Value>>, DbError> {
    let (mut rows, _c) = db.stream_query(sql.to_string(), None);
    let mut out = Vec::new();
    while let Some(r) = rows.next().await {
        out.push(r?);
    }
    Ok(out)
}

/// Statements of `long(tag)` running on the server.
async fn running_long(db: &Database, tag: &str) -> i64 {
    let RwPool::Postgres(p) = db.rw() else {
        panic!()
    };
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND starts_with(query, $1)",
    )
    .bind(format!("/* {tag} */"))
    .fetch_one(p)
    .await
    .unwrap()
}

/// Waits (up to a minute) until no `long(tag)` statement runs any more; false if one still does.
async fn long_statements_end(db: &Database, tag: &str) -> bool {
    for _ in 0..600 {
        if running_long(db, tag).await == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits (up to a minute) until a `long(tag)` statement runs.
async fn starts_running(db: &Database, tag: &str) -> bool {
    for _ in 0..1200 {
        if running_long(db, tag).await > 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn rows_are_decoded_by_type() {
    let Some(db) = open(DbOptions::default()).await else {
        return;
    };
    let r = all(
        &db,
        "SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.5::float8, 'x'::text, 'y'::varchar, 'z'::char(2), true, \
         '\\x01ff'::bytea, NULL::int4, 'NaN'::float8, '-Infinity'::float8, '-9223372036854775808'::int8",
    )
    .await
    .unwrap();
    assert_eq!(r.len(), 1);
    let row = &r[0];
    assert_eq!(row[..3], [Value::Int(1), Value::Int(2), Value::Int(3)]);
    assert_eq!(row[3], Value::Float(1.5));
    assert_eq!(row[4], Value::Float(2.5));
    assert_eq!(row[5], Value::Text("x".into()));
    assert_eq!(row[6], Value::Text("y".into()));
    assert_eq!(row[7], Value::Text("z ".into()));
    assert_eq!(row[8], Value::Bool(true));
    assert_eq!(row[9], Value::Bytes(vec![1, 255]));
    assert_eq!(row[10], Value::Null);
    assert!(matches!(row[11], Value::Float(x) if x.is_nan()));
    assert_eq!(row[12], Value::Float(f64::NEG_INFINITY));
    assert_eq!(row[13], Value::Int(i64::MIN));
    // types sqlx leaves to optional features
    let r = all(
        &db,
        "SELECT 12345.678::numeric, -0.0001::numeric, 0::numeric, 'NaN'::numeric, 1e300::numeric(400,0), \
         TIMESTAMP '2024-02-29 13:14:15.25', TIMESTAMP '1969-07-20 20:17:40', \
         TIMESTAMPTZ '2001-01-01 00:00:00+02', DATE '1858-11-17', TIME '23:59:59.999999', \
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{\"a\": [1, 2]}'::jsonb, 'x'::\"char\"",
    )
    .await
    .unwrap();
    let text = |s: &str| Value::Text(s.into());
    assert!(matches!(r[0][3], Value::Float(x) if x.is_nan()));
    let mut row = r[0].clone();
    row.remove(3);
    assert_eq!(
        row,
        vec![
            Value::Float(12345.678),
            Value::Float(-0.0001),
            Value::Float(0.0),
            Value::Float(1e300),
            text("2024-02-29T13:14:15.25"),
            text("1969-07-20T20:17:40"),
            text("2000-12-31T22:00:00"),
            text("1858-11-17"),
            text("23:59:59.999999"),
            text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            text("{\"a\": [1, 2]}"),
            text("x"),
        ]
    );
    let e = all(&db, "SELECT ARRAY[1, 2]").await.unwrap_err();
    assert!(e.to_string().contains("CAST it"), "{e}");
    // many rows, in order, through the batches
    let r = all(
        &db,
        "SELECT g FROM generate_series(1, 20000) AS g ORDER BY g",
    )
    .await
    .unwrap();
    assert_eq!(r.len(), 20000);
    assert!(
        r.iter()
            .enumerate()
            .all(|(i, row)| row[0] == Value::Int(i as i64 + 1))
    );
    db.ping().await.unwrap();
}

#[tokio::test]
async fn query_connections_are_read_only() {
    let Some(db) = open(DbOptions::default()).await else {
        return;
    };
    let RwPool::Postgres(p) = db.rw() else {
        panic!()
    };
    sqlx::query("CREATE TABLE IF NOT EXISTS ro_check (x int)")
        .execute(p)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO ro_check VALUES (1)",
        "DELETE FROM ro_check",
        "CREATE TABLE ro_sneaky (x int)",
        "SELECT x INTO ro_sneaky2 FROM ro_check",
    ] {
        let e = all(&db, sql).await.unwrap_err();
        assert!(
            e.to_string().contains("read-only transaction"),
            "{sql}: {e}"
        );
    }
    // the read-write pool still writes
    sqlx::query("INSERT INTO ro_check VALUES (1)")
        .execute(p)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_time_limit_stops_the_statement_on_the_server() {
    let Some(db) = open(DbOptions::default()).await else {
        return;
    };
    let (mut rows, _c) = db.stream_query(long("timeout"), Some(Duration::from_millis(300)));
    let r = rows.next().await.unwrap();
    assert!(matches!(r, Err(DbError::Timeout)), "{r:?}");
    assert!(rows.next().await.is_none());
    assert!(long_statements_end(&db, "timeout").await);
}

#[tokio::test]
async fn cancelling_stops_the_statement_and_the_connection_serves_again() {
    // one query connection: each query below reuses the one that ran the cancelled statement
    let Some(db) = open(DbOptions {
        query_connections: 1,
        ..DbOptions::default()
    })
    .await
    else {
        return;
    };
    let (mut rows, control) = db.stream_query(long("cancel"), None);
    let waiter = tokio::spawn(async move { rows.next().await });
    // cancel once the statement runs on the server
    assert!(starts_running(&db, "cancel").await);
    control.cancel();
    let r = waiter.await.unwrap().unwrap();
    assert!(matches!(r, Err(DbError::Cancelled)), "{r:?}");
    assert!(long_statements_end(&db, "cancel").await);
    for i in 0..5 {
        assert_eq!(
            all(&db, &format!("SELECT {i}::int8")).await.unwrap(),
            vec![vec![Value::Int(i)]]
        );
    }
}

#[tokio::test]
async fn dropping_the_stream_stops_the_statement() {
    let Some(db) = open(DbOptions {
        query_connections: 1,
        ..DbOptions::default()
    })
    .await
    else {
        return;
    };
    let (rows, control) = db.stream_query(long("drop"), None);
    assert!(starts_running(&db, "drop").await);
    drop(rows);
    drop(control);
    assert!(long_statements_end(&db, "drop").await);
    // and the single query connection is free again
    assert_eq!(
        all(&db, "SELECT 7::int8").await.unwrap(),
        vec![vec![Value::Int(7)]]
    );
}

#[tokio::test]
async fn sql_errors_reach_the_stream() {
    let Some(db) = open(DbOptions::default()).await else {
        return;
    };
    let e = all(&db, "SELECT * FROM no_such_table").await.unwrap_err();
    assert!(
        matches!(&e, DbError::Query(m) if m.contains("no_such_table")),
        "{e}"
    );
    let e = all(&db, "SELECT adql_point(1, 95)").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "adql_point: latitude 95 is outside [-90, 90]"
    );
}
