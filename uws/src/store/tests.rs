//! The store on SQLite, and on PostgreSQL when `ALMAGEST_TEST_PG_URL` is set (CI sets it).

use super::*;
use crate::model::Phase::*;

fn job(id: &str, owner: Option<&str>, creation: &str) -> Job {
    Job {
        id: id.into(),
        run_id: Some("r1".into()),
        owner: owner.map(str::to_string),
        phase: Pending,
        creation: parse_time(creation).unwrap(),
        start: None,
        end: None,
        execution_duration: 60,
        destruction: parse_time("2999-01-01T00:00:00Z"),
        params: vec![
            Param::new("REQUEST", "doQuery"),
            Param {
                name: "UPLOAD".into(),
                value: "a,param:a".into(),
                by_reference: false,
                is_post: false,
            },
            Param::new("upload", "b,http://x/b"),
        ],
        results: vec![],
        error: None,
    }
}

async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
    let db = almagest_db::Database::open(&url, &almagest_db::DbOptions::default())
        .await
        .unwrap();
    Store::open(db.rw().clone()).await.unwrap()
}

/// A fresh schema in the test PostgreSQL server (each run its own schema, dropped at the end).
async fn pg_store() -> Option<(Store, sqlx::PgPool, String)> {
    let Ok(url) = std::env::var("ALMAGEST_TEST_PG_URL") else {
        eprintln!("skipping the PostgreSQL store test: ALMAGEST_TEST_PG_URL is not set");
        return None;
    };
    let schema = format!("uws_test_{}", crate::service::new_id());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(opts.options([("search_path", schema.as_str())]))
        .await
        .unwrap();
    Some((Store::postgres(pool).await.unwrap(), admin, schema))
}

async fn exercise(s: &Store) {
    let l = "tap";
    assert!(
        s.insert(l, &job("j1", Some("alice"), "2024-01-01T00:00:01Z"), None)
            .await
            .unwrap()
    );
    let got = s.get(l, "j1").await.unwrap().unwrap();
    assert_eq!(got.phase, Pending);
    assert_eq!(got.run_id.as_deref(), Some("r1"));
    let names: Vec<_> = got
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str(), p.is_post))
        .collect();
    assert_eq!(
        names,
        vec![
            ("REQUEST", "doQuery", true),
            ("UPLOAD", "a,param:a", false),
            ("upload", "b,http://x/b", true)
        ],
        "submission order, repeated names and isPost kept"
    );
    assert!(
        s.get("other-list", "j1").await.unwrap().is_none(),
        "lists are apart"
    );

    // compare-and-set: only one of two racing changes wins
    assert!(s.set_phase("j1", &[Pending, Held], Queued).await.unwrap());
    assert!(
        !s.set_phase("j1", &[Pending, Held], Queued).await.unwrap(),
        "already QUEUED"
    );
    assert!(s.set_phase("j1", &[Queued], Executing).await.unwrap());
    assert!(s.get(l, "j1").await.unwrap().unwrap().start.is_some());
    assert!(
        s.set_phase("j1", &[Pending, Queued, Executing], Aborted)
            .await
            .unwrap()
    );
    let done = ResultRef {
        id: "result".into(),
        mime: "text/plain".into(),
        size: 3,
        href: None,
    };
    assert!(
        !s.complete("j1", std::slice::from_ref(&done)).await.unwrap(),
        "an aborted job cannot complete"
    );
    let e = ErrorSummary {
        message: "x".into(),
        kind: ErrorType::Fatal,
        has_detail: false,
    };
    assert!(
        !s.set_error("j1", &[Executing], &e, None).await.unwrap(),
        "nor fail"
    );
    let got = s.get(l, "j1").await.unwrap().unwrap();
    assert_eq!(got.phase, Aborted);
    assert!(got.results.is_empty() && got.error.is_none() && got.end.is_some());
    assert!(
        s.set_phase("j1", &[Aborted], Executing).await.is_err(),
        "the machine refuses ABORTED -> EXECUTING"
    );

    // completion with results, failure with a detail document
    assert!(
        s.insert(l, &job("j2", Some("alice"), "2024-01-01T00:00:02Z"), None)
            .await
            .unwrap()
    );
    assert!(
        s.set_phase("j2", &[Pending], Queued).await.unwrap()
            && s.set_phase("j2", &[Queued], Executing).await.unwrap()
    );
    let ext = ResultRef {
        id: "data".into(),
        mime: "".into(),
        size: 0,
        href: Some("http://h/d".into()),
    };
    assert!(
        s.complete("j2", &[done.clone(), ext.clone()])
            .await
            .unwrap()
    );
    let got = s.get(l, "j2").await.unwrap().unwrap();
    assert_eq!((got.phase, got.results), (Completed, vec![done, ext]));
    assert!(
        s.insert(l, &job("j3", None, "2024-01-01T00:00:03Z"), None)
            .await
            .unwrap()
    );
    assert!(
        s.set_phase("j3", &[Pending], Queued).await.unwrap()
            && s.set_phase("j3", &[Queued], Executing).await.unwrap()
    );
    let e = ErrorSummary {
        message: "bad query".into(),
        kind: ErrorType::Transient,
        has_detail: true,
    };
    assert!(
        s.set_error("j3", &[Executing], &e, Some("text/xml"))
            .await
            .unwrap()
    );
    let got = s.get(l, "j3").await.unwrap().unwrap();
    assert_eq!((got.phase, got.error), (Error, Some(e)));
    assert_eq!(
        s.error_detail_mime("j3").await.unwrap().as_deref(),
        Some("text/xml")
    );

    // parameters change only while PENDING; a new value replaces all of that name, case-insensitively
    assert!(
        !s.update_params("j2", &[Param::new("x", "1")])
            .await
            .unwrap()
    );
    assert!(
        s.insert(l, &job("j4", Some("bob"), "2024-01-01T00:00:04Z"), None)
            .await
            .unwrap()
    );
    assert!(
        s.update_params(
            "j4",
            &[Param::new("UPLOAD", "c,param:c"), Param::new("runId", "r2")]
        )
        .await
        .unwrap()
    );
    let got = s.get(l, "j4").await.unwrap().unwrap();
    let names: Vec<_> = got
        .params
        .iter()
        .map(|p| format!("{}={}", p.name, p.value))
        .collect();
    assert_eq!(
        names,
        vec!["REQUEST=doQuery", "UPLOAD=c,param:c", "runId=r2"]
    );
    assert_eq!(got.run_id.as_deref(), Some("r2"));
    assert!(s.set_execution_duration("j4", 5).await.unwrap());
    assert!(
        !s.set_execution_duration("j2", 5).await.unwrap(),
        "only while PENDING"
    );

    // lists: per owner, phase filters, AFTER, LAST newest first
    let ids = |v: Vec<Job>| v.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let all = ListFilter::default();
    assert_eq!(
        ids(s.list(l, "alice", &all).await.unwrap()),
        vec!["j1", "j2"]
    );
    let last = ListFilter {
        last: Some(1),
        ..Default::default()
    };
    assert_eq!(ids(s.list(l, "alice", &last).await.unwrap()), vec!["j2"]);
    let ph = ListFilter {
        phases: vec![Aborted, Pending],
        ..Default::default()
    };
    assert_eq!(ids(s.list(l, "alice", &ph).await.unwrap()), vec!["j1"]);
    let after = ListFilter {
        after: parse_time("2024-01-01T00:00:01.500Z"),
        ..Default::default()
    };
    assert_eq!(ids(s.list(l, "alice", &after).await.unwrap()), vec!["j2"]);
    assert!(s.set_phase("j2", &[Completed], Archived).await.unwrap());
    assert_eq!(
        ids(s.list(l, "alice", &all).await.unwrap()),
        vec!["j1"],
        "ARCHIVED only when asked"
    );
    let arch = ListFilter {
        phases: vec![Archived],
        ..Default::default()
    };
    assert_eq!(ids(s.list(l, "alice", &arch).await.unwrap()), vec!["j2"]);

    // the per-owner limit is checked in the insert itself
    assert_eq!(s.count_active(l, "bob").await.unwrap(), 1);
    assert!(
        !s.insert(l, &job("j5", Some("bob"), "2024-01-01T00:00:05Z"), Some(1))
            .await
            .unwrap()
    );
    assert!(s.get(l, "j5").await.unwrap().is_none());
    assert!(
        s.insert(l, &job("j5", Some("bob"), "2024-01-01T00:00:05Z"), Some(2))
            .await
            .unwrap()
    );

    // recovery lists and expiry
    assert_eq!(
        s.ids_in(l, Pending).await.unwrap(),
        vec![
            ("j4".to_string(), Some("bob".to_string())),
            ("j5".into(), Some("bob".into()))
        ]
    );
    assert!(
        s.set_destruction("j4", &parse_time("2020-01-01T00:00:00Z").unwrap())
            .await
            .unwrap()
    );
    assert_eq!(s.expired(l, &Utc::now(), 100).await.unwrap(), vec!["j4"]);
    assert!(
        s.expired("other-list", &Utc::now(), 100)
            .await
            .unwrap()
            .is_empty()
    );
    s.delete("j4").await.unwrap();
    assert!(s.get(l, "j4").await.unwrap().is_none());
    assert_eq!(s.phase("j4").await.unwrap(), None);
    assert_eq!(s.phase("j5").await.unwrap(), Some(Pending));
}

#[tokio::test]
async fn store_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_store(&dir).await;
    exercise(&s).await;
    // re-opening runs no migration twice and keeps the jobs
    let again = sqlite_store(&dir).await;
    assert_eq!(again.phase("j5").await.unwrap(), Some(Pending));
}

#[tokio::test]
async fn store_on_postgres() {
    let Some((s, admin, schema)) = pg_store().await else {
        return;
    };
    exercise(&s).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}

/// A database made by the first, unversioned store (same tables without the later columns) is migrated in place.
#[tokio::test]
async fn an_unversioned_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.sqlite").display());
    let db = almagest_db::Database::open(&url, &almagest_db::DbOptions::default())
        .await
        .unwrap();
    for stmt in
        almagest_db::migrate::statements(include_str!("../../../schemas/uws/sqlite/001_jobs.sql"))
    {
        db.rw().execute(&stmt, &[]).await.unwrap();
    }
    db.rw()
        .execute(
            "INSERT INTO uws_param (job_id, seq, name, value, by_reference) VALUES ('old', 0, 'QUERY', 'x', 0)",
            &[],
        )
        .await
        .unwrap();
    let s = Store::open(db.rw().clone()).await.unwrap();
    let rows = db
        .rw()
        .fetch("SELECT is_post FROM uws_param WHERE job_id = 'old'", &[])
        .await
        .unwrap();
    assert_eq!(rows[0][0].as_i64(), Some(1));
    let v = db
        .rw()
        .fetch("SELECT MAX(version) FROM uws_schema", &[])
        .await
        .unwrap();
    assert_eq!(v[0][0].as_i64(), Some(SCHEMA_VERSION));
    drop(s);
}
