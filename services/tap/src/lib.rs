//! TAP 1.1: synchronous and asynchronous ADQL queries, VOSI resources, TAP_SCHEMA, uploads and /examples.
#![deny(missing_docs)]

pub mod async_job;
pub mod capabilities;
pub mod demo;
pub mod error;
pub mod examples;
pub mod ingest;
pub mod query;
pub mod request;
pub mod service;
pub mod snapshot;
pub mod sync;
pub mod tap_schema;
pub mod upload;
