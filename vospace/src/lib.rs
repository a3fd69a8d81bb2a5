//! vospace (skeleton)
