//! The query pipeline shared by /sync and /async: ADQL → checked model → SQL → rows → a format writer.
//!
//! ```text
//! TapRequest ─ prepare ─▶ Prepared { sql, fields, limit } ─ execute ─▶ ResultWriter (VOTable, CSV, ...)
//! ```
//! MAXREC is applied after TOP (TAP 1.1 §2.7.4): the SQL asks for `maxrec + 1` rows so an overflow is known for
//! sure, and the writer ends with an OVERFLOW status only when rows were really cut.

use crate::error::TapError;
use crate::request::TapRequest;
use almagest_db::{Database, DbError};
use formats::{End, Field, OutputFormat, ResultMeta, ResultWriter};
use futures_util::StreamExt as _;
use std::time::Duration;

/// A query ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The SQL (generated from the checked model).
    pub sql: String,
    /// One FIELD per output column.
    pub fields: Vec<Field>,
    /// Rows to deliver at most (MAXREC after capping).
    pub maxrec: u64,
    /// Notes for the client (renamed columns, ...), written as INFOs.
    pub warnings: Vec<String>,
    /// The output format.
    pub format: OutputFormat,
}

/// Limits from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// MAXREC when none is given.
    pub maxrec_default: u64,
    /// MAXREC cap.
    pub maxrec_hard: u64,
}

/// The output format of a request (default: VOTable BINARY2), or a clear error.
pub fn output_format(req: &TapRequest) -> Result<OutputFormat, TapError> {
    match &req.format {
        None => Ok(OutputFormat::VotableBinary2),
        Some(f) => OutputFormat::parse(f).ok_or_else(|| {
            TapError::BadRequest(format!(
                "unsupported RESPONSEFORMAT '{f}': use votable, votable/td, votable/b, votable/b2, csv, tsv, json \
                 or fits (or their MIME types)"
            ))
        }),
    }
}

/// Parses, checks and translates a request against a catalogue.
pub fn prepare(
    req: &TapRequest,
    catalog: &dyn adql::Catalog,
    dialect: adql::Dialect,
    limits: QueryLimits,
) -> Result<Prepared, TapError> {
    let format = output_format(req)?;
    let maxrec = req
        .maxrec
        .unwrap_or(limits.maxrec_default)
        .min(limits.maxrec_hard);
    let query = adql::parse(&req.query).map_err(|e| TapError::Query(e.to_string()))?;
    let checked = adql::check(&query, catalog).map_err(|e| TapError::Query(e.to_string()))?;
    let sql = adql::translate(
        &checked,
        &adql::TranslateOptions {
            dialect,
            row_limit: Some(maxrec.saturating_add(1)),
        },
    )
    .map_err(|e| TapError::Query(e.to_string()))?;
    let fields = checked.columns.iter().map(field_of).collect();
    Ok(Prepared {
        sql,
        fields,
        maxrec,
        warnings: checked.warnings.clone(),
        format,
    })
}

/// The VOTable FIELD of an output column.
pub fn field_of(c: &adql::OutputColumn) -> Field {
    Field {
        name: c.name.clone(),
        datatype: c.datatype.clone(),
        arraysize: c.arraysize.clone(),
        xtype: c.xtype.clone(),
        unit: c.unit.clone(),
        ucd: c.ucd.clone(),
        utype: c.utype.clone(),
        description: c.description.clone(),
    }
}

/// How a query run ended, for logs and job records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Rows delivered.
    pub rows: u64,
    /// Rows were cut by MAXREC.
    pub overflow: bool,
}

/// Where written bytes go between rows: the sync handler moves full buffers into the HTTP response (waiting
/// when the client reads slowly: backpressure), a job writes to a file and needs nothing.
pub trait Drain: Send {
    /// Moves out what the writer produced if there is enough of it; `Err` when the reader has gone away.
    fn drain(
        &mut self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ReaderGone>> + Send + '_>>;
}

/// The client stopped reading (closed the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderGone;

/// A [`Drain`] that does nothing (the writer writes straight to its destination).
#[derive(Debug, Default)]
pub struct NoDrain;

impl Drain for NoDrain {
    fn drain(
        &mut self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ReaderGone>> + Send + '_>>
    {
        Box::pin(async { Ok(()) })
    }
}

/// Runs a prepared query into a writer. Errors before the first row are returned (the caller answers with an
/// error document); errors after the header are written into the document as a trailing ERROR status and
/// returned too, so a truncated result never claims success. Dropping the row stream (client gone, error)
/// stops the database work.
pub async fn execute(
    db: &Database,
    prepared: &Prepared,
    meta: &ResultMeta,
    writer: &mut (dyn ResultWriter + Send),
    drain: &mut dyn Drain,
    timeout: Option<Duration>,
) -> Result<Outcome, TapError> {
    let write_err = |e: formats::WriteError| TapError::Internal(format!("writing the result: {e}"));
    let gone = |_| TapError::Internal("the client closed the connection".into());
    if prepared.maxrec == 0 {
        // MAXREC=0: metadata only, with OVERFLOW (DALI 1.1 §3.4.4); the query is not run.
        writer.begin(meta, &prepared.fields).map_err(write_err)?;
        writer.finish(End::Overflow).map_err(write_err)?;
        drain.drain().await.map_err(gone)?;
        return Ok(Outcome {
            rows: 0,
            overflow: true,
        });
    }
    let (mut rows, _control) = db.stream_query(prepared.sql.clone(), timeout);
    // The first row (or the end) decides between an error document and a result document.
    let mut pending = match rows.next().await {
        Some(Err(e)) => return Err(db_error(e, timeout)),
        other => other,
    };
    writer.begin(meta, &prepared.fields).map_err(write_err)?;
    let mut n: u64 = 0;
    loop {
        match pending {
            None => {
                writer.finish(End::Ok).map_err(write_err)?;
                drain.drain().await.map_err(gone)?;
                return Ok(Outcome {
                    rows: n,
                    overflow: false,
                });
            }
            Some(Ok(row)) => {
                if n == prepared.maxrec {
                    writer.finish(End::Overflow).map_err(write_err)?;
                    drain.drain().await.map_err(gone)?;
                    return Ok(Outcome {
                        rows: n,
                        overflow: true,
                    });
                }
                if let Err(e) = writer.row(&row) {
                    // A value that does not fit its column: end the document with an ERROR status, so the rows
                    // already sent are never taken for a complete result.
                    let err = write_err(e);
                    writer
                        .finish(End::Error(err.to_string()))
                        .map_err(write_err)?;
                    drain.drain().await.map_err(gone)?;
                    return Err(err);
                }
                n += 1;
                drain.drain().await.map_err(gone)?;
            }
            Some(Err(e)) => {
                let err = db_error(e, timeout);
                writer
                    .finish(End::Error(err.to_string()))
                    .map_err(write_err)?;
                drain.drain().await.map_err(gone)?;
                return Err(err);
            }
        }
        pending = rows.next().await;
    }
}

fn db_error(e: DbError, timeout: Option<Duration>) -> TapError {
    match e {
        DbError::Timeout => TapError::Timeout(timeout.map(|t| t.as_secs()).unwrap_or(0)),
        other => TapError::Database(other.to_string()),
    }
}
