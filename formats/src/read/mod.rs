//! Table readers: VOTable, CSV/TSV and FITS, each an iterator of rows with the column metadata up front.
//!
//! Readers are written for hostile input (TAP_UPLOAD takes files from anyone): every size the input declares
//! is checked against a limit before anything is allocated, truncated data is an error, and an error names the
//! row or line and the column.

use crate::{Field, ReadError, RowPosition, Value};

/// A table being read: its columns, then its rows one at a time.
pub trait TableReader: Iterator<Item = Result<Vec<Value>, ReadError>> {
    /// The columns. For CSV this may widen while reading (see [`CsvOptions`]).
    fn fields(&self) -> &[Field];
    /// Where the reader is (the row last returned).
    fn position(&self) -> RowPosition;
}

pub use csv::{CsvOptions, CsvReader, Delimiter, read_csv, scan_csv_fields};
pub use fits::{FitsReader, read_fits};
pub use votable::{VotableReader, read_votable};
pub use xml_input::MAX_TEXT_RUN;

mod binary;
mod column;
mod csv;
mod fits;
mod votable;
mod xml_input;
