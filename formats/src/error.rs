//! Errors of the writers and readers: each says what was wrong and where (row, line, column).

use std::fmt;

/// Why a result could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The destination refused the bytes (client gone, disk full, ...).
    #[error("writing the output: {0}")]
    Io(#[from] std::io::Error),
    /// A column's metadata cannot be written in this format (unknown datatype, malformed arraysize, ...).
    #[error("column '{column}': {message}")]
    Field {
        /// The column name.
        column: String,
        /// What is wrong with it.
        message: String,
    },
    /// A cell does not fit its column's declared type (out of range, not a number, ...).
    #[error("row {row}, column '{column}': {message}")]
    Value {
        /// 1-based row number in the result.
        row: u64,
        /// The column name.
        column: String,
        /// What is wrong with the value.
        message: String,
    },
    /// A row has a different number of cells than the header has columns.
    #[error("row {row} has {got} values but the table has {expected} columns")]
    RowLength {
        /// 1-based row number.
        row: u64,
        /// Cells in the row.
        got: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// The writer was driven out of order (`row` before `begin`, anything after `finish`).
    #[error("writer used out of order: {0}")]
    State(&'static str),
}

/// Where in the input a read error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowPosition {
    /// 1-based data row (0 while the header is read).
    pub row: u64,
    /// 1-based text line when the format has lines (CSV, TSV, VOTable TABLEDATA).
    pub line: Option<u64>,
    /// Byte offset in the input when known.
    pub byte: Option<u64>,
}

impl fmt::Display for RowPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.row) {
            (Some(l), _) => write!(f, "line {l}"),
            (None, 0) => match self.byte {
                Some(b) => write!(f, "header (byte {b})"),
                None => write!(f, "header"),
            },
            (None, r) => match self.byte {
                Some(b) => write!(f, "row {r} (byte {b})"),
                None => write!(f, "row {r}"),
            },
        }
    }
}

/// Why a table could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
    /// The document's structure is wrong (not XML, no TABLE, bad FITS header, wrong column count, ...).
    #[error("{at}: {message}")]
    Format {
        /// Where.
        at: RowPosition,
        /// What is wrong.
        message: String,
    },
    /// A cell could not be decoded as its column's type.
    #[error("{at}, column '{column}': {message}")]
    Value {
        /// Where.
        at: RowPosition,
        /// The column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The input asks for more than the reader's limits allow (a huge declared array, an endless text run).
    #[error("{at}: {message}")]
    Limit {
        /// Where.
        at: RowPosition,
        /// Which limit, and the size asked for.
        message: String,
    },
}

impl ReadError {
    /// A structural error at `at`.
    pub(crate) fn format(at: RowPosition, message: impl Into<String>) -> Self {
        ReadError::Format {
            at,
            message: message.into(),
        }
    }

    /// A cell error at `at` in `column`.
    pub(crate) fn value(at: RowPosition, column: &str, message: impl Into<String>) -> Self {
        ReadError::Value {
            at,
            column: column.to_string(),
            message: message.into(),
        }
    }
}
