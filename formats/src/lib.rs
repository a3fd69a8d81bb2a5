//! Table formats of the VO: streaming writers for query results (VOTable TABLEDATA/BINARY/BINARY2, CSV, TSV,
//! JSON, FITS) and readers for uploads and ingestion.
//!
//! The contract shared with the rest of Almagest is [`Value`] (one cell, as it comes out of the database) and
//! [`Field`] (the VOTable FIELD metadata of a column, as the ADQL checker computes it).

mod value;

pub use value::{Field, Value};
