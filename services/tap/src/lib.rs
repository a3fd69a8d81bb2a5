//! TAP 1.1: synchronous and asynchronous ADQL queries, VOSI resources, TAP_SCHEMA, uploads and /examples.
#![deny(missing_docs)]

pub mod capabilities;
pub mod error;
pub mod examples;
pub mod params;
pub mod request;
pub mod sqlexec;
pub mod tap_schema;
