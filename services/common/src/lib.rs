//! almagest-common (skeleton)
