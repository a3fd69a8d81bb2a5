//! almagest-db (skeleton)
