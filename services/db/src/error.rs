//! Database errors.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be opened or reached.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// The database refused or failed a statement.
    #[error("{0}")]
    Query(String),
    /// The query was cancelled (client gone, job aborted).
    #[error("the query was cancelled")]
    Cancelled,
    /// The query ran longer than its time limit.
    #[error("the query ran longer than its time limit")]
    Timeout,
    /// A value could not be decoded.
    #[error("cannot decode column {column}: {message}")]
    Decode {
        /// Column index.
        column: usize,
        /// Why.
        message: String,
    },
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Database(d) => {
                let msg = d.message().to_string();
                if msg.contains("interrupted")
                    || msg.contains("canceling statement due to user request")
                {
                    DbError::Cancelled
                } else if msg.contains("statement timeout") {
                    DbError::Timeout
                } else {
                    DbError::Query(msg)
                }
            }
            sqlx::Error::PoolTimedOut => {
                DbError::Connect("all database connections are busy".into())
            }
            other => DbError::Query(other.to_string()),
        }
    }
}
