//! FITS binary table reader (todo).
