//! Versioned schema migrations applied at start-up, each in one transaction together with the row recording it,
//! so a crash never leaves a half-applied version. Used by `accounts` and by `vospace` (each with its own version
//! table); the same shape as the job store's migrations in `uws`.

use almagest_db::exec::{Arg, Pool};

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
) -> Result<i64, sqlx::Error> {
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
                tx.execute(&stmt, &[]).await?;
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
