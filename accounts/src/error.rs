//! What can go wrong with accounts.

/// Errors of the accounts store and of authentication.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The user name is not acceptable (it becomes a VOSpace container name and a job owner).
    #[error(
        "invalid user name '{0}': use 1 to 64 characters among a-z A-Z 0-9 . _ - , not starting with '.' or '-'"
    )]
    InvalidName(String),
    /// A user of that name exists already.
    #[error("user '{0}' already exists")]
    Duplicate(String),
    /// No user of that name.
    #[error("no user named '{0}'")]
    NoSuchUser(String),
    /// The credentials of a request were given but are wrong (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// The database failed.
    #[error("accounts database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("accounts schema: {0}")]
    Migration(String),
}
