//! Fuzzing the ADQL front end with proptest:
//! - random queries from a grammar of ADQL over a fixture table: parse, check and translate never panic, and every
//!   query that passes the checker translates to SQL that SQLite (and PostgreSQL when `ALMAGEST_TEST_PG_URL` is
//!   set) accepts (`EXPLAIN`);
//! - mutated IVOA corpus queries and arbitrary text: the parser never panics.
//!
//! The number of cases is `PROPTEST_CASES` (default 256); the long run reported in BENCHMARKS.md used
//! `ADQL_FUZZ_SECONDS=600`, which loops until that many seconds have passed and prints the count.

use adql::{Catalog, ColumnMeta, Dialect, PositionIndex, SqlName, TableMeta, TranslateOptions, Udf};
use almagest_db::exec::Pool;
use almagest_db::{Database, DbOptions};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
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

fn fixture(pg: bool) -> Fixture {
    let col = |n: &str, t: &str| ColumnMeta {
        name: n.into(),
        sql_name: n.into(),
        datatype: t.into(),
        arraysize: (t == "char").then(|| "*".into()),
        unit: Some("deg".into()),
        ..Default::default()
    };
    Fixture(
        vec![TableMeta {
            schema: Some("f".into()),
            name: "t".into(),
            sql_name: if pg { SqlName { schema: Some("f".into()), table: "t".into() } } else { SqlName { schema: None, table: "f.t".into() } },
            columns: vec![col("id", "long"), col("ra", "double"), col("dec", "double"), col("mag", "double"), col("name", "char")],
            position: Some(PositionIndex { ra: "ra".into(), dec: "dec".into(), hpx_column: "_hpx".into(), depth: 29 }),
            description: None,
        }],
        adql::standard_udfs(),
    )
}

async fn setup(pool: &Pool) {
    let pg = pool.is_postgres();
    let (schema, table) = if pg { ("CREATE SCHEMA IF NOT EXISTS f", "\"f\".\"t\"") } else { ("SELECT 1", "\"f.t\"") };
    let real = if pg { "DOUBLE PRECISION" } else { "REAL" };
    pool.execute(schema, &[]).await.unwrap();
    pool.execute(&format!("DROP TABLE IF EXISTS {table}"), &[]).await.unwrap();
    pool.execute(&format!("CREATE TABLE {table} (id BIGINT, ra {real}, dec {real}, mag {real}, name TEXT, \"_hpx\" BIGINT)"), &[])
        .await
        .unwrap();
}

fn num_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("ra".to_string()),
        Just("dec".to_string()),
        Just("mag".to_string()),
        Just("t.id".to_string()),
        (0u32..1000).prop_map(|n| n.to_string()),
        (-90.0f64..90.0).prop_map(|x| format!("{x:.3}")),
        Just("PI()".to_string()),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")], inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (prop_oneof![Just("ABS"), Just("SQRT"), Just("SIN"), Just("COS"), Just("FLOOR"), Just("CEILING"), Just("EXP"), Just("LOG"), Just("LOG10"), Just("RADIANS"), Just("DEGREES")], inner.clone())
                .prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("ROUND({a}, {n})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("TRUNCATE({a}, {n})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("MOD({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("POWER({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("ATAN2({a}, {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("COALESCE({a}, {b})")),
            Just("DISTANCE(POINT(ra, dec), POINT(10, 20))".to_string()),
            Just("IN_UNIT(ra, 'rad')".to_string()),
            Just("CAST(mag AS INTEGER)".to_string()),
        ]
    })
}

fn region() -> impl Strategy<Value = String> {
    prop_oneof![
        (0.0f64..360.0, -90.0f64..90.0, 0.001f64..30.0).prop_map(|(a, d, r)| format!("CIRCLE({a:.4}, {d:.4}, {r:.4})")),
        (0.0f64..360.0, -80.0f64..80.0, 0.1f64..5.0).prop_map(|(a, d, s)| format!(
            "POLYGON({:.3}, {:.3}, {:.3}, {:.3}, {:.3}, {:.3})",
            a, d - s, a + s, d - s, a, d + s
        )),
        (0.0f64..360.0, -80.0f64..80.0, 0.1f64..5.0).prop_map(|(a, d, s)| format!("BOX({a:.3}, {d:.3}, {s:.3}, {s:.3})")),
    ]
}

fn cond() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (num_expr(), prop_oneof![Just("="), Just("<>"), Just("<"), Just("<="), Just(">"), Just(">=")], num_expr())
            .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        (num_expr(), num_expr(), num_expr()).prop_map(|(a, b, c)| format!("{a} BETWEEN {b} AND {c}")),
        (num_expr(), proptest::collection::vec(0u32..100, 1..4))
            .prop_map(|(a, l)| format!("{a} IN ({})", l.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))),
        "[a-zA-Z%_ ]{0,6}".prop_map(|p| format!("name LIKE '{p}'")),
        "[a-zA-Z%_ ]{0,6}".prop_map(|p| format!("name ILIKE '{p}'")),
        Just("name IS NULL".to_string()),
        Just("mag IS NOT NULL".to_string()),
        region().prop_map(|r| format!("1 = CONTAINS(POINT(ra, dec), {r})")),
        region().prop_map(|r| format!("CONTAINS(POINT(ra, dec), {r}) = 0")),
        (0.0f64..360.0, -90.0f64..90.0, 0.01f64..10.0).prop_map(|(a, d, r)| format!("DISTANCE(ra, dec, {a:.3}, {d:.3}) < {r:.3}")),
        Just("id IN (SELECT id FROM f.t WHERE mag < 3)".to_string()),
        Just("EXISTS (SELECT 1 FROM f.t AS u WHERE u.id = t.id)".to_string()),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    (
        proptest::option::of(0u32..50),
        any::<bool>(),
        proptest::collection::vec(num_expr(), 1..4),
        proptest::option::of(cond()),
        any::<bool>(),
        proptest::option::of(0u32..20),
    )
        .prop_map(|(top, distinct, items, where_, order, offset)| {
            let mut q = String::from("SELECT ");
            if distinct {
                q.push_str("DISTINCT ");
            }
            if let Some(n) = top {
                q.push_str(&format!("TOP {n} "));
            }
            let list: Vec<String> = items.iter().enumerate().map(|(i, e)| format!("{e} AS c{i}")).collect();
            q.push_str(&list.join(", "));
            q.push_str(" FROM f.t");
            if let Some(c) = where_ {
                q.push_str(" WHERE ");
                q.push_str(&c);
            }
            if order {
                q.push_str(" ORDER BY 1 DESC");
            }
            if let Some(o) = offset {
                q.push_str(&format!(" OFFSET {o}"));
            }
            q
        })
}

/// Parses, checks and translates; returns the SQL when the query is valid.
fn front_end(q: &str, pg: bool) -> Option<String> {
    translated(q, pg).ok()
}

/// Parses, checks and translates; the SQL or the error message.
fn translated(q: &str, pg: bool) -> Result<String, String> {
    let parsed = adql::parse(q).map_err(|e| e.to_string())?;
    let checked = adql::check(&parsed, &fixture(pg)).map_err(|e| e.to_string())?;
    let dialect = if pg { Dialect::Postgres } else { Dialect::Sqlite };
    adql::translate(&checked, &TranslateOptions { dialect, row_limit: Some(100) }).map_err(|e| e.to_string())
}

fn corpus_queries() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ivoa/adql-corpus");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            for block in text.split("<adql").skip(1) {
                if let Some(body) = block.split_once('>').and_then(|(_, b)| b.split("</adql>").next()) {
                    out.push(body.replace("<![CDATA[", "").replace("]]>", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_queries_never_panic_and_their_sql_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::open(&format!("sqlite://{}", dir.path().join("f.sqlite").display()), &DbOptions::default()).await.unwrap();
    setup(sqlite.rw()).await;
    let pg = match std::env::var("ALMAGEST_TEST_PG_URL") {
        Ok(url) => {
            let db = Database::open(&url, &DbOptions::default()).await.unwrap();
            setup(db.rw()).await;
            Some(db)
        }
        Err(_) => None,
    };
    let seconds: u64 = std::env::var("ADQL_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cases: u32 = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    let (mut total, mut valid, mut data_errors) = (0u64, 0u64, 0u64);
    let mut rejected: Vec<(String, String)> = Vec::new();
    let strategy = query();
    // a fresh random seed per run; the failing query is printed whole, so no shrinking is needed
    let mut runner = TestRunner::new(Config::default());
    loop {
        for _ in 0..cases {
            let q = strategy.new_tree(&mut runner).unwrap().current();
            total += 1;
            let sql = match translated(&q, false) {
                Ok(sql) => sql,
                Err(e) => {
                    if rejected.len() < 5 && !rejected.iter().any(|(m, _)| *m == e) {
                        rejected.push((e, q));
                    }
                    continue;
                }
            };
            valid += 1;
            let explain = format!("EXPLAIN {sql}");
            sqlite.rw().execute(&explain, &[]).await.unwrap_or_else(|e| panic!("SQLite rejects\n  {q}\n  {sql}\n  {e}"));
            if let Some(pg) = &pg {
                let sql = front_end(&q, true).expect("valid on SQLite, valid on PostgreSQL");
                if let Err(e) = pg.rw().fetch(&format!("EXPLAIN {sql}"), &[]).await {
                    // PostgreSQL folds constant subexpressions while planning, so EXPLAIN can meet a runtime data
                    // error (class 22: a negative number to a fractional power, division by zero): the SQL was
                    // accepted, the values are what ADQL asked for. Anything else is a translation bug.
                    let data_error = matches!(&e, sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("22")));
                    assert!(data_error, "PostgreSQL rejects\n  {q}\n  {sql}\n  {e}");
                    data_errors += 1;
                }
            }
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    println!(
        "adql fuzz: {total} generated queries, {valid} valid, all accepted by SQLite{}",
        if pg.is_some() { format!(" and PostgreSQL ({data_errors} met a data error while PostgreSQL folded constants)") } else { String::new() }
    );
    for (e, q) in &rejected {
        println!("  rejected, e.g.: {e}\n    {q}");
    }
    assert!(valid * 2 > total, "the generator should produce mostly valid queries ({valid} of {total})");
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    /// Mutated corpus queries: the front end answers (Ok or Err), never panics.
    #[test]
    fn mutated_corpus_queries_never_panic(seed in any::<usize>(), edits in proptest::collection::vec((any::<usize>(), any::<char>(), 0u8..3), 1..8)) {
        let corpus = corpus_queries();
        prop_assume!(!corpus.is_empty());
        let mut q: Vec<char> = corpus[seed % corpus.len()].chars().collect();
        for (pos, c, kind) in edits {
            if q.is_empty() { break; }
            let i = pos % q.len();
            match kind {
                0 => { q.remove(i); }
                1 => q.insert(i, c),
                _ => q[i] = c,
            }
        }
        let text: String = q.into_iter().collect();
        let _ = front_end(&text, false);
        let _ = front_end(&text, true);
    }

    /// Arbitrary text.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = adql::parse(&text);
        let _ = front_end(&text, false);
    }
}
