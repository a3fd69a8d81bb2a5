//! User accounts of Almagest: who is calling.
//!
//! The HTTP layer authenticates a request (HTTP Bearer token or Basic password, [`http`]) and inserts a
//! [`Principal`] into the request's extensions; every service (UWS job owners, VOSpace permissions) reads it from
//! there. A request without a `Principal` extension is anonymous.
//!
//! ```no_run
//! # async fn demo(pool: almagest_db::exec::Pool) -> Result<(), accounts::AccountsError> {
//! let accounts = accounts::Accounts::open(pool).await?;
//! let token = accounts.add_user("alice", None).await?;      // printed once, stored only as a digest
//! assert_eq!(accounts.verify_token(&token).await?.map(|p| p.name), Some("alice".to_string()));
//! let app = actix_web::App::new()
//!     .app_data(actix_web::web::Data::new(accounts.clone()))
//!     .wrap(actix_web::middleware::from_fn(accounts::http::authenticate));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod error;
pub mod http;
/// The shared migration runner (moved to `almagest-db`; kept here for the stores that import it from accounts).
pub use almagest_db::migrate;
mod secret;
mod store;

pub use error::AccountsError;
pub use store::{Accounts, add_user_cli, valid_user_name};

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The account name (also the name of the user's VOSpace home container).
    pub name: String,
}
