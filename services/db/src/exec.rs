//! Statements on either backend through one API: a transaction type over SQLite and PostgreSQL with positional
//! `$N` arguments (SQLite accepts them too), so service state (TAP_SCHEMA, jobs, nodes) is written once.
//!
//! Callers pass SQL they generated from checked names; values always travel as bound arguments, never in the SQL
//! text.

pub use crate::database::RwPool as Pool;

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// NULL, typed as text (PostgreSQL checks the type of every parameter: see the typed nulls below).
    Null,
    /// NULL for an integer column.
    NullInt,
    /// NULL for a floating-point column.
    NullFloat,
    /// NULL for a boolean column.
    NullBool,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// A boolean (PostgreSQL BOOLEAN; 0/1 in SQLite).
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        s.map(Arg::Text).unwrap_or(Arg::Null)
    }
}

impl From<Option<&str>> for Arg {
    fn from(s: Option<&str>) -> Self {
        s.map(|s| Arg::Text(s.into())).unwrap_or(Arg::Null)
    }
}

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}

impl From<Option<i64>> for Arg {
    fn from(i: Option<i64>) -> Self {
        i.map(Arg::Int).unwrap_or(Arg::NullInt)
    }
}

impl From<Option<f64>> for Arg {
    fn from(f: Option<f64>) -> Self {
        f.map(Arg::Float).unwrap_or(Arg::NullFloat)
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Arg::Int(b as i64)
    }
}

/// An open transaction.
pub enum Tx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_postgres() {
            "Tx(Postgres)"
        } else {
            "Tx(Sqlite)"
        })
    }
}

/// The `VALUES` rows of a multi-row INSERT of `nrows` rows of `ncols` values: `($1, $2), ($3, $4)` on
/// PostgreSQL, `(?, ?), (?, ?)` on SQLite. Not `$N` on SQLite: sqlx looks up every parameter's name with
/// `sqlite3_bind_parameter_name`, a linear search of the statement's names, which made binding a 15,000-value
/// INSERT quadratic (79 % of an ingest's time); anonymous parameters have no names to search.
pub fn values_rows(postgres: bool, ncols: usize, nrows: usize) -> String {
    let mut sql = String::with_capacity(nrows * ncols * 6);
    for r in 0..nrows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        if postgres {
            sql.push_str(&placeholders(r * ncols + 1, ncols));
        } else {
            for c in 0..ncols {
                sql.push_str(if c == 0 { "?" } else { ", ?" });
            }
        }
        sql.push(')');
    }
    sql
}

/// Placeholders `$1, $2, ...` work on both backends (SQLite accepts `$NNN`).
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Null => q.bind(None::<String>),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::NullFloat => q.bind(None::<f64>),
                Arg::NullBool => q.bind(None::<bool>),
                Arg::Int(i) => q.bind(*i),
                Arg::Float(f) => q.bind(*f),
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Bool(b) => q.bind(*b),
            };
        }
        q
    }};
}

impl Pool {
    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Runs one statement outside a transaction.
    pub async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin().await?;
        let n = tx.execute(sql, args).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Fetches all rows of a small query as text/number cells (catalogue metadata, not results).
    pub async fn fetch(&self, sql: &str, args: &[Arg]) -> Result<Vec<Vec<Arg>>, sqlx::Error> {
        use sqlx::{Row, TypeInfo, ValueRef};
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        let mut out = Vec::new();
        match self {
            Pool::Sqlite(p) => {
                for row in bind_all!(sqlx::query(sql), args).fetch_all(p).await? {
                    let mut cells = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        let raw = row.try_get_raw(i)?;
                        let cell = if raw.is_null() {
                            Arg::Null
                        } else {
                            match raw.type_info().name() {
                                "INTEGER" => Arg::Int(row.try_get(i)?),
                                "REAL" => Arg::Float(row.try_get(i)?),
                                _ => Arg::Text(row.try_get(i)?),
                            }
                        };
                        cells.push(cell);
                    }
                    out.push(cells);
                }
            }
            Pool::Postgres(p) => {
                for row in bind_all!(sqlx::query(sql), args).fetch_all(p).await? {
                    let mut cells = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        let raw = row.try_get_raw(i)?;
                        let cell = if raw.is_null() {
                            Arg::Null
                        } else {
                            match raw.type_info().name() {
                                "INT2" => Arg::Int(row.try_get::<i16, _>(i)? as i64),
                                "INT4" => Arg::Int(row.try_get::<i32, _>(i)? as i64),
                                "INT8" => Arg::Int(row.try_get(i)?),
                                "FLOAT4" => Arg::Float(row.try_get::<f32, _>(i)? as f64),
                                "FLOAT8" => Arg::Float(row.try_get(i)?),
                                _ => Arg::Text(row.try_get(i)?),
                            }
                        };
                        cells.push(cell);
                    }
                    out.push(cells);
                }
            }
        }
        Ok(out)
    }
}

impl Tx {
    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// Runs one statement; returns the number of rows affected.
    pub async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        Ok(match self {
            Tx::Sqlite(tx) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// Rolls back (also what dropping does).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }
}

impl Arg {
    /// The text of a cell, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer of a cell (text holding an integer too).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Arg::Int(i) => Some(*i),
            Arg::Float(f) => Some(*f as i64),
            Arg::Text(s) => s.parse().ok(),
            Arg::Bool(b) => Some(*b as i64),
            Arg::Null | Arg::NullInt | Arg::NullFloat | Arg::NullBool => None,
        }
    }

    /// Owned optional text.
    pub fn text(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }
}
