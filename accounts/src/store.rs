//! The users store: accounts, tokens, passwords and groups in the service database (SQLite or PostgreSQL).

use crate::Principal;
use crate::error::AccountsError;
use crate::secret;
use almagest_db::exec::{Arg, Pool};
use almagest_db::migrate::{self, Migration};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sqlite: include_str!("../../schemas/accounts/sqlite/001_users.sql"),
    postgres: include_str!("../../schemas/accounts/postgres/001_users.sql"),
}];

/// How long a checked Basic password is remembered, so a client sending it with every request does not pay the
/// (deliberately slow) key derivation each time.
const PASSWORD_CACHE: Duration = Duration::from_secs(300);
const PASSWORD_CACHE_MAX: usize = 10_000;

/// The accounts of the service. Cheap to clone (a pool and a shared cache).
#[derive(Debug, Clone)]
pub struct Accounts {
    pool: Pool,
    /// digest(name NUL password) → when it was verified.
    verified: Arc<Mutex<HashMap<String, (String, Instant)>>>,
}

/// Whether `name` can be a user name: 1 to 64 of `a-z A-Z 0-9 . _ -`, not starting with `.` or `-`. The name
/// becomes a VOSpace home container and a UWS owner, so it must need no escaping anywhere.
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `almagest user add NAME`: creates the user (migrating the accounts schema first) and returns the new bearer
/// token, to be printed on the last line. Safe while the server runs on the same database: the server reads
/// accounts from the database on every authentication, and VOSpace creates the home container `/NAME` at the
/// user's first request.
pub async fn add_user_cli(pool: &Pool, name: &str) -> Result<String, AccountsError> {
    let accounts = Accounts::open(pool.clone()).await?;
    accounts.add_user(name, None).await
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Accounts {
    /// Opens the store, creating or upgrading its tables.
    pub async fn open(pool: Pool) -> Result<Accounts, AccountsError> {
        migrate::apply(&pool, "accounts_schema", MIGRATIONS)
            .await
            .map_err(|e| AccountsError::Migration(e.to_string()))?;
        Ok(Accounts {
            pool,
            verified: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The database pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Creates a user with an optional password; returns a new bearer token for it (shown once: only its digest
    /// is stored).
    pub async fn add_user(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> Result<String, AccountsError> {
        if !valid_user_name(name) {
            return Err(AccountsError::InvalidName(name.to_string()));
        }
        let token = secret::new_token();
        let mut tx = self.pool.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO accounts_users (name, password_hash, created) VALUES ($1, $2, $3)",
                &[
                    name.into(),
                    password.map(secret::hash_password).into(),
                    now().into(),
                ],
            )
            .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(AccountsError::Duplicate(name.to_string()));
            }
            other => other?,
        };
        tx.execute(
            "INSERT INTO accounts_tokens (token_hash, name, created) VALUES ($1, $2, $3)",
            &[secret::digest(&token).into(), name.into(), now().into()],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user = name, "user added");
        Ok(token)
    }

    /// Whether a user exists.
    pub async fn exists(&self, name: &str) -> Result<bool, AccountsError> {
        let rows = self
            .pool
            .fetch(
                "SELECT 1 FROM accounts_users WHERE name = $1",
                &[name.into()],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Issues one more token for an existing user.
    pub async fn new_token(&self, name: &str) -> Result<String, AccountsError> {
        if !self.exists(name).await? {
            return Err(AccountsError::NoSuchUser(name.to_string()));
        }
        let token = secret::new_token();
        self.pool
            .execute(
                "INSERT INTO accounts_tokens (token_hash, name, created) VALUES ($1, $2, $3)",
                &[secret::digest(&token).into(), name.into(), now().into()],
            )
            .await?;
        Ok(token)
    }

    /// Sets (or with `None` removes) a user's password.
    pub async fn set_password(
        &self,
        name: &str,
        password: Option<&str>,
    ) -> Result<(), AccountsError> {
        let n = self
            .pool
            .execute(
                "UPDATE accounts_users SET password_hash = $1 WHERE name = $2",
                &[password.map(secret::hash_password).into(), name.into()],
            )
            .await?;
        if n == 0 {
            return Err(AccountsError::NoSuchUser(name.to_string()));
        }
        if let Ok(mut cache) = self.verified.lock() {
            cache.retain(|_, (user, _)| user != name);
        }
        Ok(())
    }

    /// The user a bearer token belongs to, if any.
    pub async fn verify_token(&self, token: &str) -> Result<Option<Principal>, AccountsError> {
        let rows = self
            .pool
            .fetch(
                "SELECT name FROM accounts_tokens WHERE token_hash = $1",
                &[secret::digest(token).into()],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(Arg::text)
            .map(|name| Principal { name }))
    }

    /// The user of a Basic `name:password` pair, if it matches. The password may also be one of the user's tokens
    /// (clients that only speak Basic, such as `vos` with a `.netrc`, can then use a token).
    pub async fn verify_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<Principal>, AccountsError> {
        let key = secret::digest(&format!("{name}\0{password}"));
        if let Ok(cache) = self.verified.lock()
            && let Some((user, at)) = cache.get(&key)
            && at.elapsed() < PASSWORD_CACHE
        {
            return Ok(Some(Principal { name: user.clone() }));
        }
        if let Some(p) = self.verify_token(password).await?
            && p.name == name
        {
            return Ok(Some(p));
        }
        let rows = self
            .pool
            .fetch(
                "SELECT password_hash FROM accounts_users WHERE name = $1",
                &[name.into()],
            )
            .await?;
        let Some(stored) = rows.first().and_then(|r| r.first()).and_then(Arg::text) else {
            return Ok(None);
        };
        let password_owned = password.to_string();
        let ok =
            tokio_free_blocking(move || secret::verify_password(&password_owned, &stored)).await;
        if !ok {
            return Ok(None);
        }
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= PASSWORD_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, (name.to_string(), Instant::now()));
        }
        Ok(Some(Principal {
            name: name.to_string(),
        }))
    }

    /// Adds a user to a group (created on first use).
    pub async fn add_to_group(&self, name: &str, group: &str) -> Result<(), AccountsError> {
        if !self.exists(name).await? {
            return Err(AccountsError::NoSuchUser(name.to_string()));
        }
        let r = self
            .pool
            .execute(
                "INSERT INTO accounts_groups (grp, name) VALUES ($1, $2)",
                &[group.into(), name.into()],
            )
            .await;
        match r {
            Err(e) if is_unique_violation(&e) => Ok(()),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// The groups a user belongs to.
    pub async fn groups_of(&self, name: &str) -> Result<Vec<String>, AccountsError> {
        let rows = self
            .pool
            .fetch(
                "SELECT grp FROM accounts_groups WHERE name = $1 ORDER BY grp",
                &[name.into()],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.first().and_then(Arg::text))
            .collect())
    }
}

/// Runs the slow key derivation off the async worker threads, so one login does not stall other requests.
async fn tokio_free_blocking<F: FnOnce() -> bool + Send + 'static>(f: F) -> bool {
    tokio::task::spawn_blocking(f).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        for ok in ["alice", "a", "Bob_2", "x.y-z"] {
            assert!(valid_user_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "a b",
            "é",
            "..",
            &"x".repeat(65),
        ] {
            assert!(!valid_user_name(bad), "{bad}");
        }
    }
}
