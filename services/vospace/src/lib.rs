//! almagest-vospace (skeleton)
