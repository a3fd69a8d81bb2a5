//! ABORT and the execution duration really stop database work: the query database has ONE read-only connection,
//! so a long query that kept running would hold it and a following trivial query could not run.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use uws::demo::DemoRunner;
use uws::{Param, Phase, Store, UwsConfig, UwsService};

/// Counts to a billion: minutes of SQLite work, one row at the end.
const LONG_SQLITE: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT MAX(x) FROM c";

async fn service(
    dir: &std::path::Path,
    db: almagest_db::Database,
) -> (Arc<UwsService>, DemoRunner) {
    let state = almagest_db::Database::open(
        &format!("sqlite://{}", dir.join("state.sqlite").display()),
        &almagest_db::DbOptions::default(),
    )
    .await
    .unwrap();
    let runner = DemoRunner {
        db: Some(db),
        ..Default::default()
    };
    let cfg = UwsConfig {
        list: "q".into(),
        base_url: "http://localhost/q".into(),
        slots: 2,
        default_execution_duration: 600,
        max_execution_duration: 600,
        retention: Duration::from_secs(3600),
        max_active_per_owner: 0,
        max_wait: Duration::from_secs(30),
        dir: dir.join("jobs"),
    };
    let svc = UwsService::start(
        cfg,
        Store::open(state.rw().clone()).await.unwrap(),
        Arc::new(runner.clone()),
    )
    .await
    .unwrap();
    (svc, runner)
}

async fn until_executing(svc: &UwsService, id: &str) {
    let j = svc
        .wait(id, None, Duration::from_secs(10), Some(Phase::Queued))
        .await
        .unwrap();
    assert_eq!(j.phase, Phase::Executing);
    tokio::time::sleep(Duration::from_millis(300)).await; // the query is running now
}

/// A trivial query must get the only query connection and finish well before the long one could have.
async fn trivial_query_runs(svc: &UwsService, sql: &str) -> Duration {
    let t = Instant::now();
    let id = svc
        .create(None, vec![Param::new("QUERY", sql)], vec![], true)
        .await
        .unwrap();
    let j = svc
        .wait_for_end(&id, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(j.phase, Phase::Completed, "{:?}", j.error);
    t.elapsed()
}

async fn abort_then_timeout(svc: &UwsService, runner: &DemoRunner, long: &str, trivial: &str) {
    let id = svc
        .create(None, vec![Param::new("QUERY", long)], vec![], true)
        .await
        .unwrap();
    until_executing(svc, &id).await;
    svc.abort(&id).await.unwrap();
    let took = trivial_query_runs(svc, trivial).await;
    println!("after ABORT, a trivial query on the single connection ran in {took:?}");
    assert_eq!(svc.get(&id, None).await.unwrap().phase, Phase::Aborted);
    assert_eq!(runner.stats.dropped.load(Ordering::SeqCst), 1);

    let id = svc
        .create(
            None,
            vec![
                Param::new("QUERY", long),
                Param::new("EXECUTIONDURATION", "1"),
            ],
            vec![],
            true,
        )
        .await
        .unwrap();
    let j = svc
        .wait_for_end(&id, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(j.phase, Phase::Error);
    assert!(
        j.error
            .unwrap()
            .message
            .contains("execution duration of 1 s exceeded")
    );
    let took = trivial_query_runs(svc, trivial).await;
    println!("after the execution duration ran out, a trivial query ran in {took:?}");
}

#[tokio::test]
async fn abort_stops_a_long_sqlite_query() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalogue.sqlite").display());
    let opts = almagest_db::DbOptions {
        query_connections: 1,
        rw_connections: 1,
    };
    let db = almagest_db::Database::open(&url, &opts).await.unwrap();
    let (svc, runner) = service(dir.path(), db).await;
    abort_then_timeout(&svc, &runner, LONG_SQLITE, "SELECT 1").await;
}

#[tokio::test]
async fn abort_stops_a_long_postgres_query() {
    let Ok(url) = std::env::var("ALMAGEST_TEST_PG_URL") else {
        eprintln!("skipping: ALMAGEST_TEST_PG_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = almagest_db::DbOptions {
        query_connections: 1,
        rw_connections: 1,
    };
    let db = almagest_db::Database::open(&url, &opts).await.unwrap();
    let (svc, runner) = service(dir.path(), db).await;
    abort_then_timeout(&svc, &runner, "SELECT pg_sleep(600)", "SELECT 1").await;
    // and the server itself no longer runs it
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(600)%' AND state = 'active'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(left, 0, "the cancelled pg_sleep is gone from the server");
}
