//! Fuzzing the ADQL front end with proptest:
//! - random queries from a grammar of ADQL over two fixture tables (expressions of every type, geometry, joins of
//!   every form, grouping, set operators, WITH, derived tables, subqueries): parse, check and translate never
//!   panic, and every query that passes the checker translates to SQL that SQLite (and PostgreSQL when
//!   `ALMAGEST_TEST_PG_URL` is set) accepts (`EXPLAIN`);
//! - the same queries with tokens deleted, repeated, swapped or inserted: whatever the checker still accepts must
//!   translate to SQL both databases accept (this is where a translator that trusts the grammar too much breaks);
//! - mutated IVOA corpus queries and arbitrary text: the front end never panics.
//!
//! The number of generated queries per round is `PROPTEST_CASES` (default 256); `ADQL_FUZZ_SECONDS=600` loops
//! until that many seconds have passed and prints the count (the figure in adql/BENCHMARKS.md).

use adql::{
    Catalog, ColumnMeta, Dialect, PositionIndex, SqlName, TableMeta, TranslateOptions, Udf,
};
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

fn col(name: &str, datatype: &str, unit: Option<&str>) -> ColumnMeta {
    ColumnMeta {
        name: name.into(),
        sql_name: name.into(),
        datatype: datatype.into(),
        arraysize: (datatype == "char").then(|| "*".into()),
        unit: unit.map(Into::into),
        ..Default::default()
    }
}

/// `f.t` (id, ra, dec, mag, name) and `f.s` (id, ra, dec, flux, label), both with a sky index.
fn fixture(pg: bool) -> Fixture {
    let table = |name: &str, extra: [ColumnMeta; 2]| {
        let [a, b] = extra;
        TableMeta {
            schema: Some("f".into()),
            name: name.into(),
            sql_name: if pg {
                SqlName {
                    schema: Some("f".into()),
                    table: name.into(),
                }
            } else {
                SqlName {
                    schema: None,
                    table: format!("f.{name}"),
                }
            },
            columns: vec![
                col("id", "long", None),
                col("ra", "double", Some("deg")),
                col("dec", "double", Some("deg")),
                a,
                b,
            ],
            position: Some(PositionIndex {
                ra: "ra".into(),
                dec: "dec".into(),
                hpx_column: "_hpx".into(),
                depth: 29,
            }),
            description: None,
        }
    };
    Fixture(
        vec![
            table(
                "t",
                [col("mag", "double", Some("mag")), col("name", "char", None)],
            ),
            table(
                "s",
                [
                    col("flux", "double", Some("Jy")),
                    col("label", "char", None),
                ],
            ),
        ],
        adql::standard_udfs(),
    )
}

async fn setup(pool: &Pool) {
    let pg = pool.is_postgres();
    let real = if pg { "DOUBLE PRECISION" } else { "REAL" };
    if pg {
        pool.execute("CREATE SCHEMA IF NOT EXISTS f", &[])
            .await
            .unwrap();
    }
    for (name, extra) in [
        ("t", "mag {real}, name TEXT"),
        ("s", "flux {real}, label TEXT"),
    ] {
        let table = if pg {
            format!("\"f\".\"{name}\"")
        } else {
            format!("\"f.{name}\"")
        };
        let extra = extra.replace("{real}", real);
        pool.execute(&format!("DROP TABLE IF EXISTS {table}"), &[])
            .await
            .unwrap();
        pool.execute(
            &format!(
                "CREATE TABLE {table} (id BIGINT, ra {real}, dec {real}, {extra}, \"_hpx\" BIGINT)"
            ),
            &[],
        )
        .await
        .unwrap();
    }
}

type S = BoxedStrategy<String>;

/// The names an expression may use where it stands: one table, a join of two, or a derived table / CTE `w`.
#[derive(Clone, Copy)]
struct Ctx {
    nums: &'static [&'static str],
    strs: &'static [&'static str],
    /// (ra, dec) pairs
    pos: &'static [(&'static str, &'static str)],
    id: &'static str,
}

const ONE: Ctx = Ctx {
    nums: &["ra", "dec", "mag", "t.id", "id"],
    strs: &["name", "t.name"],
    pos: &[("ra", "dec"), ("t.ra", "t.dec")],
    id: "t.id",
};
const JOIN: Ctx = Ctx {
    nums: &["a.ra", "a.dec", "a.mag", "a.id", "b.flux", "b.id", "b.dec"],
    strs: &["a.name", "b.label"],
    pos: &[("a.ra", "a.dec"), ("b.ra", "b.dec")],
    id: "a.id",
};
/// `f.t AS a JOIN f.s AS b USING (id, ra)`
const USING: Ctx = Ctx {
    nums: &["id", "ra", "a.dec", "a.mag", "b.flux"],
    strs: &["a.name", "b.label"],
    pos: &[("ra", "a.dec"), ("ra", "b.dec")],
    id: "id",
};
const DERIVED: Ctx = Ctx {
    nums: &["ra", "dec", "mag", "w.id"],
    strs: &["name", "w.name"],
    pos: &[("ra", "dec"), ("w.ra", "w.dec")],
    id: "w.id",
};

fn pick(names: &'static [&'static str]) -> S {
    proptest::sample::select(names)
        .prop_map(str::to_string)
        .boxed()
}

fn position(ctx: Ctx) -> S {
    proptest::sample::select(ctx.pos)
        .prop_map(|(r, d)| format!("{r}, {d}"))
        .boxed()
}

fn num_expr(ctx: Ctx) -> S {
    let leaf = prop_oneof![
        4 => pick(ctx.nums),
        1 => (0u32..1000).prop_map(|n| n.to_string()),
        1 => (-90.0f64..90.0).prop_map(|x| format!("{x:.3}")),
        1 => Just("PI()".to_string()),
        1 => Just("RAND()".to_string()),
        1 => Just("RAND(3)".to_string()),
        1 => Just("(SELECT MAX(mag) FROM f.t)".to_string()),
        1 => position(ctx).prop_map(|p| format!("DISTANCE(POINT({p}), POINT(10, 20))")),
        1 => position(ctx).prop_map(|p| format!("DISTANCE({p}, 10.5, -20)")),
        1 => position(ctx).prop_map(|p| format!("COORD1(POINT({p}))")),
        1 => position(ctx).prop_map(|p| format!("COORD2(POINT('ICRS', {p}))")),
        1 => position(ctx).prop_map(|p| format!("AREA(CIRCLE({p}, 1))")),
        1 => Just("AREA(POLYGON(0, 0, 1, 0, 1, 1))".to_string()),
        1 => proptest::sample::select(ctx.pos).prop_map(|(r, _)| format!("IN_UNIT({r}, 'arcsec')")),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")],
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (
                prop_oneof![
                    Just("ABS"),
                    Just("SQRT"),
                    Just("SIN"),
                    Just("COS"),
                    Just("TAN"),
                    Just("COT"),
                    Just("ASIN"),
                    Just("ACOS"),
                    Just("ATAN"),
                    Just("FLOOR"),
                    Just("CEILING"),
                    Just("EXP"),
                    Just("LOG"),
                    Just("LOG10"),
                    Just("RADIANS"),
                    Just("DEGREES"),
                    Just("ROUND"),
                    Just("TRUNCATE")
                ],
                inner.clone()
            )
                .prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("ROUND({a}, {n})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("TRUNCATE({a}, {n})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("MOD({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("POWER({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("ATAN2({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("COALESCE({a}, {b})")),
            (
                inner,
                prop_oneof![
                    Just("INTEGER"),
                    Just("BIGINT"),
                    Just("SMALLINT"),
                    Just("REAL"),
                    Just("DOUBLE PRECISION")
                ]
            )
                .prop_map(|(a, t)| format!("CAST({a} AS {t})")),
        ]
    })
    .boxed()
}

fn str_literal() -> S {
    "[a-zA-Z' %]{0,5}"
        .prop_map(|s| format!("'{}'", s.replace('\'', "''")))
        .boxed()
}

fn str_expr(ctx: Ctx) -> S {
    let leaf = prop_oneof![
        3 => pick(ctx.strs),
        1 => str_literal(),
        1 => num_expr(ctx).prop_map(|n| format!("CAST({n} AS VARCHAR(8))")),
        1 => pick(ctx.nums).prop_map(|n| format!("CAST({n} AS CHAR(5))")),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| format!("UPPER({a})")),
            inner.clone().prop_map(|a| format!("LOWER({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("COALESCE({a}, {b})")),
        ]
    })
    .boxed()
}

fn geom_expr(ctx: Ctx) -> S {
    prop_oneof![
        position(ctx).prop_map(|p| format!("POINT({p})")),
        position(ctx).prop_map(|p| format!("POINT('ICRS', {p})")),
        position(ctx).prop_map(|p| format!("CIRCLE({p}, 0.5)")),
        position(ctx).prop_map(|p| format!("CIRCLE(POINT({p}), 2)")),
        position(ctx).prop_map(|p| format!("BOX({p}, 1, 2)")),
        position(ctx).prop_map(|p| format!("CENTROID(CIRCLE({p}, 1))")),
        region(),
        Just("CAST('1 2 3' AS CIRCLE)".to_string()),
    ]
    .boxed()
}

fn region() -> S {
    prop_oneof![
        (0.0f64..360.0, -90.0f64..90.0, 0.001f64..30.0)
            .prop_map(|(a, d, r)| format!("CIRCLE({a:.4}, {d:.4}, {r:.4})")),
        (0.0f64..360.0, -90.0f64..90.0, 0.001f64..30.0)
            .prop_map(|(a, d, r)| format!("CIRCLE('ICRS', POINT({a:.4}, {d:.4}), {r:.4})")),
        (0.0f64..360.0, -80.0f64..80.0, 0.1f64..5.0).prop_map(|(a, d, s)| format!(
            "POLYGON({:.3}, {:.3}, {:.3}, {:.3}, {:.3}, {:.3})",
            a,
            d - s,
            a + s,
            d - s,
            a,
            d + s
        )),
        (0.0f64..360.0, -80.0f64..80.0, 0.1f64..5.0)
            .prop_map(|(a, d, s)| format!("BOX({a:.3}, {d:.3}, {s:.3}, {s:.3})")),
        Just("REGION('Circle ICRS 10 20 1')".to_string()),
    ]
    .boxed()
}

fn cond(ctx: Ctx) -> S {
    let cmp = prop_oneof![
        Just("="),
        Just("<>"),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">=")
    ];
    let leaf = prop_oneof![
        4 => (num_expr(ctx), cmp.clone(), num_expr(ctx)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (str_expr(ctx), cmp, str_expr(ctx)).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
        1 => (num_expr(ctx), any::<bool>(), num_expr(ctx), num_expr(ctx))
            .prop_map(|(a, not, b, c)| format!("{a} {}BETWEEN {b} AND {c}", if not { "NOT " } else { "" })),
        1 => (num_expr(ctx), proptest::collection::vec(0u32..100, 1..4))
            .prop_map(|(a, l)| format!("{a} IN ({})", l.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))),
        1 => (str_expr(ctx), prop_oneof![Just("LIKE"), Just("NOT LIKE"), Just("ILIKE"), Just("NOT ILIKE")], "[a-zA-Z%_ ]{0,6}")
            .prop_map(|(s, op, p)| format!("{s} {op} '{p}'")),
        1 => (pick(ctx.strs), any::<bool>()).prop_map(|(c, not)| format!("{c} IS {}NULL", if not { "NOT " } else { "" })),
        1 => (pick(ctx.nums), any::<bool>()).prop_map(|(c, not)| format!("{c} IS {}NULL", if not { "NOT " } else { "" })),
        2 => (position(ctx), region()).prop_map(|(p, r)| format!("1 = CONTAINS(POINT({p}), {r})")),
        1 => (position(ctx), region()).prop_map(|(p, r)| format!("CONTAINS(POINT({p}), {r}) = 0")),
        1 => (position(ctx), region()).prop_map(|(p, r)| format!("1 = INTERSECTS({r}, POINT({p}))")),
        1 => (position(ctx), region()).prop_map(|(p, r)| format!("INTERSECTS(CIRCLE({p}, 0.1), {r}) = 1")),
        1 => (position(ctx), 0.0f64..360.0, -90.0f64..90.0, 0.01f64..10.0)
            .prop_map(|(p, a, d, r)| format!("DISTANCE({p}, {a:.3}, {d:.3}) < {r:.3}")),
        1 => (position(ctx), 0.0f64..360.0, -90.0f64..90.0, 0.01f64..10.0)
            .prop_map(|(p, a, d, r)| format!("DISTANCE(POINT({a:.3}, {d:.3}), POINT({p})) <= {r:.3}")),
        1 => Just(format!("{} IN (SELECT id FROM f.s WHERE flux > 1)", ctx.id)),
        1 => Just(format!("{} NOT IN (SELECT TOP 3 id FROM f.s ORDER BY flux)", ctx.id)),
        1 => Just(format!("EXISTS (SELECT 1 FROM f.s AS u WHERE u.id = {})", ctx.id)),
    ];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            inner.prop_map(|a| format!("NOT ({a})")),
        ]
    })
    .boxed()
}

fn select_item(ctx: Ctx) -> S {
    prop_oneof![4 => num_expr(ctx), 2 => str_expr(ctx), 1 => geom_expr(ctx)].boxed()
}

/// SELECT [DISTINCT] [TOP n] items FROM `from` [WHERE c] [ORDER BY 1] [OFFSET n].
fn simple(ctx: Ctx, from: &'static str, items: std::ops::Range<usize>, order: bool) -> S {
    simple_of(select_item, ctx, from, items, order)
}

/// [`simple`] with select items from `item`.
fn simple_of(
    item: fn(Ctx) -> S,
    ctx: Ctx,
    from: &'static str,
    items: std::ops::Range<usize>,
    order: bool,
) -> S {
    (
        proptest::option::of(0u32..50),
        any::<bool>(),
        proptest::collection::vec(item(ctx), items),
        proptest::option::of(cond(ctx)),
        any::<bool>(),
        proptest::option::of(0u32..20),
    )
        .prop_map(move |(top, distinct, items, where_, ord, offset)| {
            let mut q = String::from("SELECT ");
            if distinct {
                q.push_str("DISTINCT ");
            }
            if let Some(n) = top {
                q.push_str(&format!("TOP {n} "));
            }
            let list: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, e)| format!("{e} AS c{i}"))
                .collect();
            q.push_str(&list.join(", "));
            q.push_str(" FROM ");
            q.push_str(from);
            if let Some(c) = where_ {
                q.push_str(" WHERE ");
                q.push_str(&c);
            }
            if order && ord {
                q.push_str(" ORDER BY 1 DESC");
            }
            if order && let Some(o) = offset {
                q.push_str(&format!(" OFFSET {o}"));
            }
            q
        })
        .boxed()
}

fn grouped() -> S {
    (
        num_expr(ONE),
        num_expr(ONE),
        proptest::option::of(cond(ONE)),
        proptest::option::of(0u32..5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(a, b, where_, having, order, by_name)| {
            let mut q = format!(
                "SELECT name, COUNT(*) AS n, COUNT(DISTINCT mag) AS nd, AVG({a}) AS m, SUM({b}) AS s, MAX(ra) AS x, MIN(name) AS mn, \
                 ivo_string_agg(name, ',') AS agg FROM f.t"
            );
            if let Some(c) = where_ {
                q.push_str(&format!(" WHERE {c}"));
            }
            q.push_str(if by_name { " GROUP BY name" } else { " GROUP BY t.name" });
            if let Some(k) = having {
                q.push_str(&format!(" HAVING COUNT(*) > {k}"));
            }
            if order {
                q.push_str(" ORDER BY n DESC, name");
            }
            q
        })
        .boxed()
}

fn joined() -> S {
    let join = prop_oneof![
        Just("JOIN"),
        Just("INNER JOIN"),
        Just("LEFT JOIN"),
        Just("LEFT OUTER JOIN"),
        Just("RIGHT OUTER JOIN"),
        Just("FULL OUTER JOIN")
    ];
    let on = prop_oneof![
        cond(JOIN),
        (0.001f64..2.0)
            .prop_map(|r| format!("1 = CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, {r:.3}))")),
        (0.001f64..2.0)
            .prop_map(|r| format!("DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < {r:.3}")),
        Just("a.id = b.id".to_string()),
    ];
    prop_oneof![
        (join.clone(), on, simple(JOIN, "@JOIN@", 1..4, false)).prop_map(
            |(j, on, sel)| sel.replace("@JOIN@", &format!("f.t AS a {j} f.s AS b ON {on}"))
        ),
        (join.clone(), simple(USING, "@JOIN@", 1..3, false)).prop_map(
            |(j, sel)| sel.replace("@JOIN@", &format!("f.t AS a {j} f.s AS b USING (id, ra)"))
        ),
        join.prop_map(|j| format!("SELECT * FROM f.t NATURAL {j} f.s")),
        Just("SELECT a.*, b.id FROM f.t AS a, f.s AS b WHERE a.id = b.id".to_string()),
        Just("SELECT * FROM f.t, f.s".to_string()),
    ]
    .boxed()
}

fn query() -> S {
    // (INTERSECT ALL and EXCEPT ALL are refused for SQLite, which has neither)
    let set_op = prop_oneof![
        Just("UNION"),
        Just("UNION ALL"),
        Just("INTERSECT"),
        Just("EXCEPT")
    ];
    prop_oneof![
        6 => simple(ONE, "f.t", 1..4, true),
        2 => grouped(),
        3 => joined(),
        1 => (simple_of(num_expr, ONE, "f.t", 1..2, false), set_op.clone(), simple_of(num_expr, JOIN, "f.t AS a, f.s AS b", 1..2, false), any::<bool>())
            .prop_map(|(a, op, b, order)| format!("{a} {op} {b}{}", if order { " ORDER BY 1" } else { "" })),
        1 => (simple_of(str_expr, ONE, "f.t", 1..2, false), set_op, simple_of(str_expr, ONE, "f.t", 1..2, true))
            .prop_map(|(a, op, b)| format!("{a} {op} ({b})")),
        1 => (proptest::option::of(cond(ONE)), simple(DERIVED, "w", 1..4, true))
            .prop_map(|(c, q)| format!("WITH w AS (SELECT id, ra, dec, mag, name FROM f.t{}) {q}", c.map(|c| format!(" WHERE {c}")).unwrap_or_default())),
        1 => (proptest::option::of(cond(ONE)), simple(DERIVED, "(SELECT TOP 100 * FROM f.t ORDER BY mag) AS w", 1..4, true))
            .prop_map(|(c, q)| match c {
                Some(c) => q.replace("ORDER BY mag)", &format!("WHERE {c} ORDER BY mag)")),
                None => q,
            }),
    ]
    .boxed()
}

/// Tokens inserted by the mutator: pieces of ADQL a person might misplace.
const TOKENS: &[&str] = &[
    ",",
    "(",
    ")",
    "AND",
    "OR",
    "NOT",
    "SELECT",
    "FROM",
    "WHERE",
    "1",
    "-2.5",
    "'x'",
    "*",
    "ra",
    "t.ra",
    "AS",
    "JOIN",
    "ON",
    "GROUP BY name",
    "ORDER BY 1",
    "DISTINCT",
    "TOP 3",
    "NULL",
    "IS",
    "IN",
    "LIKE",
    "+",
    "-",
    "/",
    "||",
    "=",
    "<",
    "POINT(ra, dec)",
    "CIRCLE(1, 2, 3)",
    "COUNT(*)",
    "UNION",
    "EXISTS",
    "BETWEEN",
    "ALL",
    "OFFSET 2",
    "mag",
    "name",
    "f.s",
    "f.t",
    "AVG(mag)",
    "1=CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3))",
    "CAST(",
    "AS INTEGER)",
    "(SELECT id FROM f.s)",
];

/// A generated query with tokens (split at spaces) deleted, repeated, swapped or inserted.
fn mutated() -> S {
    (
        query(),
        proptest::collection::vec((any::<usize>(), any::<usize>(), 0u8..4), 1..3),
    )
        .prop_map(|(q, edits)| {
            let mut toks: Vec<String> = q.split(' ').map(str::to_string).collect();
            for (i, j, kind) in edits {
                let n = toks.len().max(1);
                let (i, j) = (i % n, j % n);
                match kind {
                    0 if toks.len() > 1 => {
                        toks.remove(i);
                    }
                    1 if !toks.is_empty() => {
                        let t = toks[i].clone();
                        toks.insert(i, t);
                    }
                    2 if !toks.is_empty() => toks.swap(i, j),
                    _ => toks.insert(i, TOKENS[j % TOKENS.len()].to_string()),
                }
            }
            toks.join(" ")
        })
        .boxed()
}

/// Parses, checks and translates; returns the SQL when the query is valid.
fn front_end(q: &str, pg: bool) -> Option<String> {
    translated(q, pg).ok()
}

/// Parses, checks and translates; the SQL or the error message.
fn translated(q: &str, pg: bool) -> Result<String, String> {
    let parsed = adql::parse(q).map_err(|e| e.to_string())?;
    let checked = adql::check(&parsed, &fixture(pg)).map_err(|e| e.to_string())?;
    let dialect = if pg {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    };
    adql::translate(
        &checked,
        &TranslateOptions {
            dialect,
            row_limit: Some(100),
        },
    )
    .map_err(|e| e.to_string())
}

fn corpus_queries() -> Vec<String> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ivoa/adql-corpus");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            for block in text.split("<adql").skip(1) {
                if let Some(body) = block
                    .split_once('>')
                    .and_then(|(_, b)| b.split("</adql>").next())
                {
                    out.push(
                        body.replace("<![CDATA[", "")
                            .replace("]]>", "")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&"),
                    );
                }
            }
        }
    }
    out
}

/// What one stream of queries gave.
#[derive(Default)]
struct Tally {
    total: u64,
    valid: u64,
    /// PostgreSQL met a runtime data error while folding constants (see `explain`).
    data_errors: u64,
    /// A few distinct checker messages with the query that caused them.
    rejected: Vec<(String, String)>,
}

struct Backends {
    sqlite: Database,
    pg: Option<Database>,
}

impl Backends {
    /// Runs one query through the front end and, when it is accepted, EXPLAINs its SQL on every backend.
    async fn explain(&self, q: &str, tally: &mut Tally) {
        tally.total += 1;
        let sql = match translated(q, false) {
            Ok(sql) => sql,
            Err(e) => {
                if tally.rejected.len() < 6 && !tally.rejected.iter().any(|(m, _)| *m == e) {
                    tally.rejected.push((e, q.to_string()));
                }
                return;
            }
        };
        tally.valid += 1;
        if let Err(e) = self
            .sqlite
            .rw()
            .execute(&format!("EXPLAIN {sql}"), &[])
            .await
        {
            panic!("SQLite rejects\n  {q}\n  {sql}\n  {e}");
        }
        if let Some(pg) = &self.pg {
            let sql = translated(q, true)
                .unwrap_or_else(|e| panic!("valid for SQLite, not for PostgreSQL: {e}\n  {q}"));
            if let Err(e) = pg.rw().fetch(&format!("EXPLAIN {sql}"), &[]).await {
                // PostgreSQL folds constant subexpressions while planning, so EXPLAIN can meet a runtime data
                // error (class 22: a negative number to a fractional power, division by zero): the SQL was
                // accepted, the values are what ADQL asked for. Anything else is a translation bug.
                let data_error = matches!(&e, sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("22")));
                assert!(data_error, "PostgreSQL rejects\n  {q}\n  {sql}\n  {e}");
                tally.data_errors += 1;
            }
        }
    }
}

fn report(label: &str, t: &Tally, pg: bool) {
    println!(
        "adql fuzz, {label}: {} queries, {} accepted by the checker, all of those accepted by SQLite{}",
        t.total,
        t.valid,
        if pg {
            format!(
                " and PostgreSQL ({} met a data error while PostgreSQL folded constants)",
                t.data_errors
            )
        } else {
            String::new()
        }
    );
    for (e, q) in &t.rejected {
        println!("  rejected, e.g.: {e}\n    {q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_queries_never_panic_and_their_sql_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Database::open(
        &format!("sqlite://{}", dir.path().join("f.sqlite").display()),
        &DbOptions::default(),
    )
    .await
    .unwrap();
    setup(sqlite.rw()).await;
    let pg = match std::env::var("ALMAGEST_TEST_PG_URL") {
        Ok(url) => {
            let db = Database::open(&url, &DbOptions::default()).await.unwrap();
            setup(db.rw()).await;
            Some(db)
        }
        Err(_) => {
            eprintln!("PostgreSQL half skipped: ALMAGEST_TEST_PG_URL not set");
            None
        }
    };
    let backends = Backends { sqlite, pg };
    let seconds: u64 = std::env::var("ADQL_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let (generated, mutations) = (query(), mutated());
    // a fresh random seed per run; a failing query is printed whole, so no shrinking is needed
    let mut runner = TestRunner::new(Config::default());
    let (mut plain, mut mutant) = (Tally::default(), Tally::default());
    loop {
        for _ in 0..cases {
            let q = generated.new_tree(&mut runner).unwrap().current();
            backends.explain(&q, &mut plain).await;
            let q = mutations.new_tree(&mut runner).unwrap().current();
            backends.explain(&q, &mut mutant).await;
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    report("generated", &plain, backends.pg.is_some());
    report("mutated", &mutant, backends.pg.is_some());
    assert!(
        plain.valid * 10 > plain.total * 9,
        "the generator should produce valid queries ({} of {})",
        plain.valid,
        plain.total
    );
    assert!(
        mutant.valid > 0 && mutant.valid < mutant.total,
        "mutations should break some queries and not others"
    );
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
