//! The databases of Almagest: SQLite (embedded default) and PostgreSQL, with the ADQL runtime functions
//! (FUNCTIONS.md) available on both, and generated queries run on read-only connections with their rows streamed.
#![deny(missing_docs)]

mod database;
mod error;
pub mod exec;
pub mod migrate;
mod pg_decode;
mod scalar;
pub mod sky;
mod sqlite_stream;
mod sqlite_udf;

pub use database::{Backend, Database, DbOptions, QueryControl, RowStream, RwPool};
pub use error::DbError;
pub use formats::Value;
