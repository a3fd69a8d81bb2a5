//! almagest-xmatch (skeleton)
