//! Versioned migrations of the job store (`schemas/uws/{sqlite,postgres}/NNN_*.sql`), applied at start-up in
//! order, each in its own transaction together with the row that records it, so a crash never leaves a
//! half-applied version behind.

use crate::error::UwsError;
use almagest_db::exec::Pool;
use almagest_db::migrate::{Migration, apply};

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

/// Brings the schema to [`LATEST`]. Two services of one process opening the same database at once (TAP's job
/// list and VOSpace's transfers) are serialised by a process-wide lock; two processes by the database (the first
/// statement of each migration transaction writes, so SQLite takes its write lock and PostgreSQL locks the
/// version table).
pub async fn migrate(pool: &Pool) -> Result<i64, UwsError> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    apply(pool, "uws_schema", MIGRATIONS)
        .await
        .map_err(|e| UwsError::Internal(format!("job store: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use almagest_db::migrate::statements;

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
