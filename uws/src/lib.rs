//! UWS 1.1 (Universal Worker Service): a general asynchronous job service. TAP's `/async` is its first user;
//! VOSpace transfers and cross-matches plug in their own [`JobRunner`].
//!
//! The cut follows OpenCADC's UWS (STYLE.md §5): [`model`] (job, phases, transitions) and [`xml`]; [`store`]
//! with compare-and-set phase changes; [`engine`] (runner pool, cancellation, WAIT, destruction, restart
//! recovery); [`routes`] (the REST binding).
#![deny(missing_docs)]

pub mod engine;
mod error;
pub mod model;
pub mod routes;
pub mod store;
pub mod xml;

pub use engine::{JobFailure, JobRunner, NewResult, RunContext, UwsConfig, UwsService};
pub use error::UwsError;
pub use model::{ErrorType, Job, Param, Phase};
pub use store::Store;
