//! almagest-registry (skeleton)
