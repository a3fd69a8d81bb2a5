//! almagest-tap (skeleton)
