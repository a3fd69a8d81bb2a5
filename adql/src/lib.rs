//! adql (skeleton)
