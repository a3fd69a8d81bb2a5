//! SQLite result rows read straight from the C API on a blocking thread, in batches.
//!
//! sqlx hands SQLite rows one by one from its connection thread through a channel, with a wake-up and several
//! allocations per row: a full-table download spent most of its time in futex calls and malloc (265k rows/s).
//! Here one blocking thread steps the statement, decodes each row into [`Value`]s and sends batches of rows:
//! one channel message per batch. The connection stays checked out of the sqlx pool by the caller for the whole
//! run, so nothing else uses it meanwhile; cancellation is `sqlite3_interrupt` from the async side.

use crate::Value;
use crate::error::DbError;
use libsqlite3_sys as ffi;
use std::ffi::{CStr, c_char, c_int};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Rows of one message.
pub(crate) type Batch = Result<Vec<Vec<Value>>, DbError>;

/// A connection handle moved to the blocking thread.
pub(crate) struct RawDb(pub(crate) *mut ffi::sqlite3);

// SAFETY: SQLite connections may move between threads when no two threads use them at once (sqlx opens them in
// multi-thread mode); `run`'s contract gives the blocking thread sole use of the handle.
#[allow(unsafe_code)]
unsafe impl Send for RawDb {}

/// A batch goes out when it is this old even if not full, so the first rows of a slow query are not held back.
const MAX_BATCH_AGE: Duration = Duration::from_millis(50);

/// Finalizes the statement however `run` ends.
struct Statement(*mut ffi::sqlite3_stmt);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized exactly once, here.
        #[allow(unsafe_code)]
        unsafe {
            ffi::sqlite3_finalize(self.0)
        };
    }
}

fn last_error(db: *mut ffi::sqlite3) -> DbError {
    // SAFETY: db is open (run's contract); errmsg returns a NUL-terminated string owned by SQLite, copied at once.
    #[allow(unsafe_code)]
    let (code, msg) = unsafe {
        let msg = ffi::sqlite3_errmsg(db);
        let msg = if msg.is_null() {
            "unknown SQLite error".to_string()
        } else {
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        };
        (ffi::sqlite3_errcode(db) & 0xff, msg)
    };
    if code == ffi::SQLITE_INTERRUPT {
        DbError::Cancelled
    } else {
        DbError::Query(msg)
    }
}

/// Runs `sql` and sends its rows in batches of up to `batch_rows` until the statement is done, fails, or the
/// receiver goes away (then it returns at once; the statement is finalized). Blocks: call from a blocking thread.
///
/// # Safety
/// `db` must be an open connection that nothing else uses until this returns (interrupting it is allowed).
#[allow(unsafe_code)]
pub(crate) unsafe fn run(
    db: RawDb,
    sql: &str,
    tx: &mpsc::Sender<Batch>,
    batch_rows: usize,
) -> Result<(), DbError> {
    let db = db.0;
    let len =
        c_int::try_from(sql.len()).map_err(|_| DbError::Query("statement too long".into()))?;
    let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: db is open; sql points to len bytes (not NUL-terminated, which the explicit length allows).
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(
            db,
            sql.as_ptr().cast::<c_char>(),
            len,
            &mut stmt,
            std::ptr::null_mut(),
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(last_error(db));
    }
    if stmt.is_null() {
        return Ok(()); // an empty statement
    }
    let stmt = Statement(stmt);
    // SAFETY: stmt is a live prepared statement.
    let ncols = unsafe { ffi::sqlite3_column_count(stmt.0) }.max(0);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(batch_rows);
    let mut started = Instant::now();
    loop {
        // SAFETY: stmt is live; stepping is this thread's alone.
        match unsafe { ffi::sqlite3_step(stmt.0) } {
            ffi::SQLITE_ROW => {
                let mut row = Vec::with_capacity(ncols as usize);
                for i in 0..ncols {
                    // SAFETY: i < column count, the statement is on a row.
                    row.push(unsafe { column(stmt.0, i) }?);
                }
                batch.push(row);
                let full = batch.len() >= batch_rows;
                if full || (batch.len().is_multiple_of(64) && started.elapsed() >= MAX_BATCH_AGE) {
                    let out = std::mem::replace(&mut batch, Vec::with_capacity(batch_rows));
                    if tx.blocking_send(Ok(out)).is_err() {
                        return Ok(());
                    }
                    started = Instant::now();
                }
            }
            ffi::SQLITE_DONE => {
                if !batch.is_empty() {
                    let _ = tx.blocking_send(Ok(batch));
                }
                return Ok(());
            }
            _ => return Err(last_error(db)),
        }
    }
}

/// Column `i` of the current row.
///
/// # Safety
/// `stmt` must be a live statement positioned on a row, `i` below its column count.
#[allow(unsafe_code)]
unsafe fn column(stmt: *mut ffi::sqlite3_stmt, i: c_int) -> Result<Value, DbError> {
    // SAFETY: the caller's contract; text and blob pointers are read before the next call on the statement, with
    // the length SQLite reports (sqlite3_column_bytes after the pointer, as its documentation asks).
    unsafe {
        Ok(match ffi::sqlite3_column_type(stmt, i) {
            ffi::SQLITE_NULL => Value::Null,
            ffi::SQLITE_INTEGER => Value::Int(ffi::sqlite3_column_int64(stmt, i)),
            ffi::SQLITE_FLOAT => Value::Float(ffi::sqlite3_column_double(stmt, i)),
            ffi::SQLITE_BLOB => {
                let p = ffi::sqlite3_column_blob(stmt, i).cast::<u8>();
                let n = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
                Value::Bytes(if p.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(p, n).to_vec()
                })
            }
            _ => {
                let p = ffi::sqlite3_column_text(stmt, i);
                let n = ffi::sqlite3_column_bytes(stmt, i).max(0) as usize;
                let bytes = if p.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(p, n)
                };
                Value::Text(
                    String::from_utf8(bytes.to_vec()).map_err(|e| DbError::Decode {
                        column: i as usize,
                        message: format!("text that is not UTF-8: {e}"),
                    })?,
                )
            }
        })
    }
}
