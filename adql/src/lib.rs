//! ADQL 2.1: parse, check against a catalogue, translate to SQL (skeleton; being written).

/// The catalogue a query is checked against (placeholder until the real trait lands).
pub trait Catalog {}
