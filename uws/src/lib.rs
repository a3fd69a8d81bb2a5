//! UWS 1.1 (Universal Worker Service): a general asynchronous job service. TAP's `/async` is its first user;
//! VOSpace transfers and cross-matches plug in their own [`JobRunner`].
//!
//! ```no_run
//! # async fn mount(store: uws::Store, runner: std::sync::Arc<dyn uws::JobRunner>, cfg: uws::UwsConfig)
//! #     -> Result<(), uws::UwsError> {
//! let svc = uws::UwsService::start(cfg, store, runner).await?;
//! let app = actix_web::App::new()
//!     .service(actix_web::web::scope("/tap/async").configure(|c| svc.configure(c)));
//! # let _ = app; Ok(()) }
//! ```
//!
//! The cut follows OpenCADC's UWS (STYLE.md §5): [`model`] (job, phases, the phase machine) and [`xml`];
//! [`store`], whose phase changes are compare-and-set; the runner side ([`JobRunner`], [`RunContext`]: what a
//! runner sees), the runner pool with cancellation, WAIT notifications, destruction and restart recovery
//! ([`UwsService`]); [`routes`], the REST binding. Bytes (results, inline parameters, error documents) live in
//! the byte store (opendal) under `jobs/<id>/`.
#![deny(missing_docs)]
// Tests may unwrap (team rule); request paths may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bytes;
pub mod demo;
mod error;
pub mod model;
mod notify;
mod pool;
mod queue;
pub mod routes;
mod runner;
mod service;
pub mod store;
pub mod xml;

pub use error::UwsError;
pub use model::{ErrorSummary, ErrorType, Job, Param, Phase, ResultRef};
pub use pool::{RESTARTED, SHUT_DOWN};
pub use runner::{JobFailure, JobRunner, NewResult, ResultWriter, RunContext, RunOutcome};
pub use service::{UwsConfig, UwsService};
pub use store::{ListFilter, Store};
