//! Versioned migrations of the job store (`schemas/uws/{sqlite,postgres}/NNN_*.sql`), applied at start-up in
//! order, each in its own transaction together with the row that records it, so a crash never leaves a
//! half-applied version behind.

use crate::error::UwsError;
use almagest_db::exec::{Arg, Pool};

/// One migration: its version and its statements.
struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("../../../schemas/uws/sqlite/001_jobs.sql"),
        postgres: include_str!("../../../schemas/uws/postgres/001_jobs.sql"),
    },
    Migration {
        version: 2,
        sqlite: include_str!("../../../schemas/uws/sqlite/002_post_refs_order.sql"),
        postgres: include_str!("../../../schemas/uws/postgres/002_post_refs_order.sql"),
    },
];

/// The latest schema version this code knows.
pub const LATEST: i64 = 2;

/// Statements of a migration file: split at `;` ending a line, `--` comment lines dropped (the files hold DDL
/// only, without semicolons inside literals).
pub(super) fn statements(sql: &str) -> Vec<String> {
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

/// Brings the schema to [`LATEST`]. Two services of one process opening the same database at once (TAP's job
/// list and VOSpace's transfers) are serialised by a process-wide lock; two processes by the database (the first
/// statement of each migration transaction writes, so SQLite takes its write lock and PostgreSQL locks the
/// version table).
pub async fn migrate(pool: &Pool) -> Result<i64, UwsError> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    pool.execute(
        "CREATE TABLE IF NOT EXISTS uws_schema (version BIGINT PRIMARY KEY, applied TEXT NOT NULL)",
        &[],
    )
    .await?;
    let mut version = 0;
    for m in MIGRATIONS {
        let mut tx = pool.begin().await?;
        if tx.is_postgres() {
            tx.execute("LOCK TABLE uws_schema IN EXCLUSIVE MODE", &[])
                .await?;
        } else {
            // A write first: SQLite takes the write lock now instead of failing to upgrade a read lock later.
            tx.execute("DELETE FROM uws_schema WHERE version < 0", &[])
                .await?;
        }
        let done = tx
            .execute(
                "UPDATE uws_schema SET applied = applied WHERE version = $1",
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
                tx.execute(&stmt, &[]).await.map_err(|e| {
                    UwsError::Internal(format!(
                        "job store migration {:03} failed at `{stmt}`: {e}",
                        m.version
                    ))
                })?;
            }
            tx.execute(
                "INSERT INTO uws_schema (version, applied) VALUES ($1, $2)",
                &[
                    Arg::Int(m.version),
                    crate::model::iso(&chrono::Utc::now()).into(),
                ],
            )
            .await?;
            tracing::info!(version = m.version, "job store migrated");
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

    #[test]
    fn every_migration_file_parses_and_versions_are_in_order() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(!statements(m.sqlite).is_empty());
            assert_eq!(statements(m.sqlite).len(), statements(m.postgres).len());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST));
    }
}
