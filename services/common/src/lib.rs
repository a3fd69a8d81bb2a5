//! What the Almagest services share: configuration ([`config`]), XML helpers and VOSI documents, the TAP_SCHEMA
//! catalogue, and the rendering of errors into each standard's wire form.
#![deny(missing_docs)]

pub mod catalog;
pub mod config;
pub mod http_get;
pub mod params;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod vosi;
pub mod xml;
