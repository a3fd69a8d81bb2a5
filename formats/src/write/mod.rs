//! Streaming result writers: the query executor pushes rows into a [`ResultWriter`] (a sink, in ripgrep's
//! style) and never formats anything itself.
//!
//! Every writer keeps at most one row plus one output block (64 KiB) in memory, except FITS, which must know
//! the row count before its data and therefore spools rows to an anonymous temporary file (see [`fits`]).

mod binary;
mod fits;
mod fits_null;
mod format;
mod json;
mod text;
mod votable;

pub use fits::FitsWriter;
pub use format::OutputFormat;
pub use json::JsonWriter;
pub use text::{CsvWriter, TsvWriter};
pub use votable::{Serialization, VotableWriter};

use crate::datatype::ColumnType;
use crate::{Field, Value, WriteError};
use std::io::Write;

/// Document-level metadata of a result: what a VOTable writes before its TABLE (DALI 1.1 §4.4).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultMeta {
    /// `INFO name=value` elements written after the leading `QUERY_STATUS=OK` (standardID, QUERY, RUNID,
    /// request date, ...), in this order.
    pub infos: Vec<(String, String)>,
    /// Notes for the user (renamed columns, capped MAXREC, ...): `INFO name="WARNING"`.
    pub warnings: Vec<String>,
    /// TABLE@name.
    pub table_name: Option<String>,
    /// TABLE/DESCRIPTION.
    pub table_description: Option<String>,
    /// Service links in the results RESOURCE (e.g. DataLink), before the TABLE.
    pub links: Vec<ResultLink>,
}

/// A `LINK` of the results resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultLink {
    /// LINK@content-role (e.g. `doc`).
    pub content_role: Option<String>,
    /// LINK@title.
    pub title: Option<String>,
    /// LINK@href.
    pub href: String,
}

/// How a result ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// All rows were written.
    Ok,
    /// MAXREC cut the result: a trailing `QUERY_STATUS=OVERFLOW`.
    Overflow,
    /// The query failed after streaming started: a trailing `QUERY_STATUS=ERROR` with this message, so that a
    /// client never takes a truncated result for a complete one.
    Error(String),
}

/// A sink for one result table: `begin`, any number of `row`s, then `finish` exactly once.
///
/// After `finish` the whole document has been written to the underlying `io::Write` and flushed. A `row`
/// that fails (a value that does not fit its column) writes nothing of that row; the caller should then
/// `finish(End::Error(..))` so the document stays valid and says what happened.
pub trait ResultWriter {
    /// Writes the header: document metadata and one column per field.
    fn begin(&mut self, meta: &ResultMeta, fields: &[Field]) -> Result<(), WriteError>;
    /// Writes one row; `row.len()` must equal the number of fields.
    fn row(&mut self, row: &[Value]) -> Result<(), WriteError>;
    /// Writes the trailer and flushes.
    fn finish(&mut self, end: End) -> Result<(), WriteError>;
}

/// A boxed writer of `format` into `out`.
pub fn writer_for<'a, W: Write + Send + 'a>(
    format: OutputFormat,
    out: W,
) -> Box<dyn ResultWriter + Send + 'a> {
    match format {
        OutputFormat::VotableTabledata => {
            Box::new(VotableWriter::new(out, Serialization::Tabledata))
        }
        OutputFormat::VotableBinary => Box::new(VotableWriter::new(out, Serialization::Binary)),
        OutputFormat::VotableBinary2 => Box::new(VotableWriter::new(out, Serialization::Binary2)),
        OutputFormat::Csv => Box::new(CsvWriter::new(out)),
        OutputFormat::Tsv => Box::new(TsvWriter::new(out)),
        OutputFormat::Json => Box::new(JsonWriter::new(out)),
        OutputFormat::Fits => Box::new(FitsWriter::new(out)),
    }
}

/// Where a writer is in its begin → rows → finish life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    New,
    Rows,
    Done,
}

/// The bookkeeping every writer shares: phase, parsed column types, row count.
#[derive(Debug, Default)]
struct Table {
    phase: Phase,
    names: Vec<String>,
    types: Vec<ColumnType>,
    rows: u64,
}

impl Table {
    /// Parses the fields; called by `begin`.
    fn begin(&mut self, fields: &[Field]) -> Result<(), WriteError> {
        if self.phase != Phase::New {
            return Err(WriteError::State("begin called twice"));
        }
        let mut types = Vec::with_capacity(fields.len());
        for f in fields {
            types.push(ColumnType::of(f).map_err(|message| WriteError::Field {
                column: f.name.clone(),
                message,
            })?);
        }
        self.names = fields.iter().map(|f| f.name.clone()).collect();
        self.types = types;
        self.phase = Phase::Rows;
        Ok(())
    }

    /// Checks a row's phase and length; returns its 1-based number.
    fn row(&mut self, row: &[Value]) -> Result<u64, WriteError> {
        if self.phase != Phase::Rows {
            return Err(WriteError::State(if self.phase == Phase::New {
                "row before begin"
            } else {
                "row after finish"
            }));
        }
        if row.len() != self.types.len() {
            return Err(WriteError::RowLength {
                row: self.rows + 1,
                got: row.len(),
                expected: self.types.len(),
            });
        }
        Ok(self.rows + 1)
    }

    /// Counts a row that was written completely.
    fn row_done(&mut self) {
        self.rows += 1;
    }

    /// A cell error in column `col` of row `row`.
    fn value_error(&self, row: u64, col: usize, message: String) -> WriteError {
        WriteError::Value {
            row,
            column: self.names[col].clone(),
            message,
        }
    }

    /// Checks `finish` is legal and marks the writer done.
    fn finish(&mut self) -> Result<(), WriteError> {
        match self.phase {
            Phase::New => Err(WriteError::State("finish before begin")),
            Phase::Done => Err(WriteError::State("finish called twice")),
            Phase::Rows => {
                self.phase = Phase::Done;
                Ok(())
            }
        }
    }
}
