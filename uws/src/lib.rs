//! uws (skeleton)
