//! Grammar corners the IVOA corpus does not reach (found by the fuzzer in services/db/tests/adql_fuzz.rs), and
//! the nesting limit that keeps deep queries from exhausting the stack.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn parenthesised_values_may_start_with_a_scalar_subquery() {
    for q in [
        "SELECT ((SELECT MAX(hpmag) FROM hip.main) / 2) AS x FROM hip.main",
        "SELECT (((SELECT MAX(hpmag) FROM hip.main) - 1) * 2) FROM hip.main",
        "SELECT a FROM t WHERE ((SELECT MAX(b) FROM u) <= a AND a > 0)",
        "SELECT a FROM t WHERE ((SELECT MAX(b) FROM u) + 1) < a",
        "SELECT a FROM t WHERE (SELECT MAX(b) FROM u) < a",
        "SELECT a FROM t WHERE a IN ((SELECT b FROM u) UNION (SELECT c FROM v))",
        "SELECT ((SELECT b FROM u) UNION (SELECT c FROM v)) FROM t",
        "SELECT a FROM t WHERE (((a = 1)))",
    ] {
        adql::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    for (q, want) in [
        (
            "SELECT ((SELECT MAX(b) FROM u) / ) FROM t",
            "line 1, column 34: expected a value",
        ),
        (
            "SELECT (SELECT MAX(b) FROM u / 2) FROM t",
            "line 1, column 30: expected ')', found '/'",
        ),
        (
            "SELECT a FROM t WHERE ((SELECT MAX(b) FROM u) <= ) ",
            "line 1, column 50: expected a value",
        ),
    ] {
        let e = adql::parse(q).unwrap_err().to_string();
        assert!(e.starts_with(want), "{q}: {e}");
    }
}

/// Every way of nesting, at the deepest level the parser accepts, goes through parse + check + translate on a
/// 2 MB thread stack (the usual size of a worker thread) without overflowing it; one level deeper is refused with
/// a clear message. A stack overflow would abort the whole test binary.
#[test]
fn the_deepest_accepted_queries_fit_a_worker_stack() {
    let shapes: &[(&str, &str, bool)] = &[
        ("(", ")", false),
        ("((SELECT 1 FROM hip.main) + ", ")", false),
        ("ABS(", ")", false),
        ("-(", ")", false),
        ("(1 = 1 AND (", "))", true),
        ("1 IN (SELECT hip FROM hip.main WHERE ", ")", true),
        (
            "EXISTS (SELECT hip FROM (SELECT hip FROM hip.main WHERE ",
            ") AS q)",
            true,
        ),
        ("hpmag + ", "", false),
        ("name || ", "", false),
    ];
    for &(open, close, is_cond) in shapes {
        let query = |n: usize| {
            let inner = match (is_cond, open) {
                (true, _) => "1 = 1",
                (false, "name || ") => "'x'",
                _ => "1",
            };
            let tail = if is_cond {
                ""
            } else if open == "name || " {
                " = 'y'"
            } else {
                " = 1"
            };
            format!(
                "SELECT hip FROM hip.main WHERE {}{inner}{}{tail}",
                open.repeat(n),
                close.repeat(n)
            )
        };
        let deepest = (1..200)
            .take_while(|&n| adql::parse(&query(n)).is_ok())
            .last()
            .unwrap_or_else(|| panic!("{open}: not even one level parses"));
        let e = adql::parse(&query(deepest + 1)).unwrap_err().to_string();
        assert!(e.contains("nested too deeply (more than 40 levels)"), "{e}");
        let q = query(deepest);
        let sql = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || common::sql(&q, adql::Dialect::Postgres).map_err(|e| e.to_string()))
            .unwrap()
            .join()
            .unwrap();
        assert!(sql.is_ok(), "{open} x {deepest}: {sql:?}");
    }
}

#[test]
fn long_and_or_lists_are_flat() {
    let ors: Vec<String> = (0..20_000).map(|i| format!("hip = {i}")).collect();
    let q = format!("SELECT hip FROM hip.main WHERE {}", ors.join(" OR "));
    let sql = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || common::sql(&q, adql::Dialect::Sqlite).unwrap())
        .unwrap()
        .join()
        .unwrap();
    assert!(
        sql.contains(r#"("t0"."hip" = 0) OR ("t0"."hip" = 1) OR"#),
        "{}",
        &sql[..200]
    );
    assert!(
        sql.ends_with(r#"OR ("t0"."hip" = 19999))"#),
        "{}",
        &sql[sql.len() - 100..]
    );
}
