//! Versioned schema migrations applied at start-up, each in one transaction together with the row recording it,
//! so a crash never leaves a half-applied version. Every store keeps its own version table: the job store (`uws`),
//! the accounts and VOSpace's nodes.

use crate::exec::{Arg, Pool};

/// A migration that could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A statement of a migration failed.
    #[error("{table} migration {version:03} failed at `{statement}`: {source}")]
    Statement {
        /// The version table.
        table: &'static str,
        /// The migration.
        version: i64,
        /// The statement.
        statement: String,
        /// The database's error.
        source: sqlx::Error,
    },
    /// The version bookkeeping failed.
    #[error("{table}: {source}")]
    Database {
        /// The version table.
        table: &'static str,
        /// The database's error.
        source: sqlx::Error,
    },
}

/// One migration: its version and its statements for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, 3... in order.
    pub version: i64,
    /// SQLite DDL (statements end with `;` at the end of a line).
    pub sqlite: &'static str,
    /// PostgreSQL DDL.
    pub postgres: &'static str,
}

/// Statements of a migration file: split at `;` ending a line, `--` comment lines dropped (the files hold DDL
/// only, without semicolons inside literals).
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let line = line.trim_end();
        if line.trim_start().starts_with("--") || line.trim().is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.ends_with(';') {
            let stmt = current.trim().trim_end_matches(';').trim().to_string();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Brings the schema recorded in `table` (a trusted, constant name) up to the last of `migrations`. Two
/// processes migrating at once are serialised by the database: the first statement of each transaction writes
/// (SQLite takes its write lock) or locks the version table (PostgreSQL).
pub async fn apply(
    pool: &Pool,
    table: &'static str,
    migrations: &[Migration],
) -> Result<i64, MigrateError> {
    apply_inner(pool, table, migrations)
        .await
        .map_err(|e| match e {
            Inner::Db(source) => MigrateError::Database { table, source },
            Inner::Statement(version, statement, source) => MigrateError::Statement {
                table,
                version,
                statement,
                source,
            },
        })
}

enum Inner {
    Db(sqlx::Error),
    Statement(i64, String, sqlx::Error),
}

impl From<sqlx::Error> for Inner {
    fn from(e: sqlx::Error) -> Self {
        Inner::Db(e)
    }
}

async fn apply_inner(
    pool: &Pool,
    table: &'static str,
    migrations: &[Migration],
) -> Result<i64, Inner> {
    pool.execute(
        &format!(
            "CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY, applied TEXT NOT NULL)"
        ),
        &[],
    )
    .await?;
    let mut version = 0;
    for m in migrations {
        let mut tx = pool.begin().await?;
        if tx.is_postgres() {
            tx.execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"), &[])
                .await?;
        } else {
            tx.execute(&format!("DELETE FROM {table} WHERE version < 0"), &[])
                .await?;
        }
        let done = tx
            .execute(
                &format!("UPDATE {table} SET applied = applied WHERE version = $1"),
                &[Arg::Int(m.version)],
            )
            .await?;
        if done == 0 {
            let sql = if tx.is_postgres() {
                m.postgres
            } else {
                m.sqlite
            };
            for stmt in statements(sql) {
                if let Err(e) = tx.execute(&stmt, &[]).await {
                    return Err(Inner::Statement(m.version, stmt, e));
                }
            }
            tx.execute(
                &format!("INSERT INTO {table} (version, applied) VALUES ($1, $2)"),
                &[
                    Arg::Int(m.version),
                    Arg::Text(chrono::Utc::now().to_rfc3339()),
                ],
            )
            .await?;
            tracing::info!(table, version = m.version, "schema migrated");
        }
        tx.commit().await?;
        version = m.version;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_line_ending_semicolons() {
        let s = statements(
            "-- a comment; not split\nCREATE TABLE a (\n  x INTEGER\n);\n\nCREATE INDEX i ON a (x);\n",
        );
        assert_eq!(
            s,
            vec![
                "CREATE TABLE a (\n  x INTEGER\n)",
                "CREATE INDEX i ON a (x)"
            ]
        );
    }
}
