//! Opening the catalogue database and running generated queries on read-only connections, streamed.

use crate::error::DbError;
use formats::Value;
use futures_util::{Stream, StreamExt as _};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions as _, PgPool, Row as _, SqlitePool, TypeInfo as _, ValueRef as _};
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (the embedded default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A read-write pool, for ingestion, TAP_SCHEMA, jobs and nodes.
#[derive(Debug, Clone)]
pub enum RwPool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

#[derive(Debug, Clone)]
enum RoPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections of the read-only query pool.
    pub query_connections: u32,
    /// Connections of the read-write pool.
    pub rw_connections: u32,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            query_connections: 4,
            rw_connections: 4,
        }
    }
}

/// The catalogue database: read-write access for the service, read-only connections for queries.
#[derive(Debug, Clone)]
pub struct Database {
    rw: RwPool,
    ro: RoPool,
}

/// Rows of a running query; dropping it stops the query.
pub type RowStream = Pin<Box<dyn Stream<Item = Result<Vec<Value>, DbError>> + Send>>;

/// Stops a running query from elsewhere (job abort).
#[derive(Debug, Clone)]
pub struct QueryControl {
    cancel: watch::Sender<bool>,
}

impl QueryControl {
    /// Cancels the query: the row stream ends with [`DbError::Cancelled`].
    pub fn cancel(&self) {
        let _ = self.cancel.send(true);
    }
}

/// Batches buffered between the database task and the consumer.
const BATCH_BUFFER: usize = 8;
/// Rows per batch at most: rows already decoded travel together, so the channel costs little per row while a
/// slow query still delivers each row as soon as it exists.
const BATCH: usize = 512;

type Batch = Result<Vec<Vec<Value>>, DbError>;

const PG_FUNCTIONS: &str = include_str!("../../../schemas/postgres/adql_functions.sql");

impl Database {
    /// Opens `sqlite://path` (created if missing) or `postgres://...`, with the runtime functions available.
    pub async fn open(url: &str, opts: &DbOptions) -> Result<Database, DbError> {
        if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::Connect(format!("{url}: {e}")))?
                .busy_timeout(Duration::from_secs(30))
                // sqlx would log every bulk INSERT of an ingest (thousands of placeholders) as a slow statement;
                // queries are logged by the services, with the ADQL, where they are useful.
                .disable_statement_logging();
            let rw_opts = base
                .clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
            let rw = sqlite_pool(rw_opts, opts.rw_connections).await?;
            // The read-only pool opens after the file exists; query_only stops writes even through ATTACH.
            let ro_opts = base.read_only(true).pragma("query_only", "1");
            let ro = sqlite_pool(ro_opts, opts.query_connections).await?;
            Ok(Database {
                rw: RwPool::Sqlite(rw),
                ro: RoPool::Sqlite(ro),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let base = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::Connect(format!("{url}: {e}")))?
                .disable_statement_logging();
            let rw = PgPoolOptions::new()
                .max_connections(opts.rw_connections)
                .connect_with(base.clone())
                .await
                .map_err(|e| DbError::Connect(e.to_string()))?;
            install_pg_functions(&rw).await?;
            let ro = PgPoolOptions::new()
                .max_connections(opts.query_connections)
                .connect_with(base.options([("default_transaction_read_only", "on")]))
                .await
                .map_err(|e| DbError::Connect(e.to_string()))?;
            Ok(Database {
                rw: RwPool::Postgres(rw),
                ro: RoPool::Postgres(ro),
            })
        } else {
            Err(DbError::Connect(format!(
                "unsupported database URL '{url}': use sqlite://... or postgres://..."
            )))
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self.rw {
            RwPool::Sqlite(_) => Backend::Sqlite,
            RwPool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Read-write access.
    pub fn rw(&self) -> &RwPool {
        &self.rw
    }

    /// A real round trip on a query connection (VOSI availability).
    pub async fn ping(&self) -> Result<(), DbError> {
        match &self.ro {
            RoPool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
            RoPool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?,
        }
        Ok(())
    }

    /// Runs generated SQL on a read-only connection; rows arrive as they are produced (bounded buffer).
    pub fn stream_query(
        &self,
        sql: String,
        timeout: Option<Duration>,
    ) -> (RowStream, QueryControl) {
        let (tx, rx) = mpsc::channel::<Batch>(BATCH_BUFFER);
        let (cancel, cancelled) = watch::channel(false);
        let ro = self.ro.clone();
        let rw = self.rw.clone();
        tokio::spawn(async move {
            let result = match ro {
                RoPool::Sqlite(p) => run_sqlite(p, sql, &tx, cancelled, timeout).await,
                RoPool::Postgres(p) => {
                    let RwPool::Postgres(rw) = rw else { return };
                    run_postgres(p, rw, sql, &tx, cancelled, timeout).await
                }
            };
            if let Err(e) = result {
                let _ = tx.send(Err(e)).await;
            }
        });
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx).flat_map(|b| match b {
            Ok(rows) => futures_util::stream::iter(rows.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => futures_util::stream::iter(vec![Err(e)]),
        });
        (Box::pin(stream), QueryControl { cancel })
    }
}

async fn sqlite_pool(opts: SqliteConnectOptions, max: u32) -> Result<SqlitePool, DbError> {
    SqlitePoolOptions::new()
        .max_connections(max.max(1))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                let mut h = conn.lock_handle().await?;
                let db = h.as_raw_handle().as_ptr();
                // SAFETY: the handle is locked (not used elsewhere) and open for the duration of the call.
                #[allow(unsafe_code)]
                unsafe { crate::sqlite_udf::register(db) }.map_err(sqlx::Error::Protocol)
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| DbError::Connect(e.to_string()))
}

async fn install_pg_functions(pool: &PgPool) -> Result<(), DbError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(PG_FUNCTIONS))
        .execute(pool)
        .await
        .map_err(|e| DbError::Connect(format!("installing the ADQL runtime functions: {e}")))?;
    Ok(())
}

/// Waits for cancellation or the deadline, whichever first; never returns otherwise.
async fn stop_signal(mut cancelled: watch::Receiver<bool>, timeout: Option<Duration>) -> DbError {
    let wait_cancel = async {
        loop {
            if *cancelled.borrow() {
                return;
            }
            if cancelled.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    match timeout {
        Some(t) => tokio::select! {
            _ = wait_cancel => DbError::Cancelled,
            _ = tokio::time::sleep(t) => DbError::Timeout,
        },
        None => {
            wait_cancel.await;
            DbError::Cancelled
        }
    }
}

async fn run_sqlite(
    pool: SqlitePool,
    sql: String,
    tx: &mpsc::Sender<Batch>,
    cancelled: watch::Receiver<bool>,
    timeout: Option<Duration>,
) -> Result<(), DbError> {
    // the time limit and cancellation count from the request, waiting for a connection included
    let stop = stop_signal(cancelled, timeout);
    tokio::pin!(stop);
    let mut conn = tokio::select! {
        reason = &mut stop => return Err(reason),
        _ = tx.closed() => return Ok(()),
        conn = pool.acquire() => conn?,
    };
    let raw = {
        let mut h = conn.lock_handle().await?;
        h.as_raw_handle().as_ptr() as usize
    };
    // The rows are stepped on a blocking thread straight through the C API (crate::sqlite_stream says why);
    // `conn` stays checked out here until that thread has returned, so nobody else uses the connection.
    let rows_tx = tx.clone();
    let mut work = tokio::task::spawn_blocking(move || {
        let db = crate::sqlite_stream::RawDb(raw as *mut libsqlite3_sys::sqlite3);
        // SAFETY: the connection is open and checked out by the task awaiting this thread (see above).
        #[allow(unsafe_code)]
        unsafe {
            crate::sqlite_stream::run(db, &sql, &rows_tx, BATCH)
        }
    });
    let joined = |r: Result<Result<(), DbError>, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(DbError::Query(format!("the query thread failed: {e}"))))
    };
    let outcome = tokio::select! {
        r = &mut work => return joined(r),
        reason = &mut stop => Err(reason),
        // the consumer went away while the statement computes (an aggregate sends nothing for long)
        _ = tx.closed() => Ok(()),
    };
    // Halt the statement, again until the thread has returned: an interrupt that lands before the statement
    // starts is lost.
    loop {
        // SAFETY: the connection is held by this task (`conn`) and open; sqlite3_interrupt may be called from any
        // thread while another uses the connection.
        #[allow(unsafe_code)]
        unsafe {
            crate::sqlite_udf::interrupt(raw as *mut libsqlite3_sys::sqlite3)
        };
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(50), &mut work).await {
            drop(conn);
            // the thread's own end (interrupted) is not news: the reason is the stop signal or the consumer
            let _ = joined(r);
            return outcome;
        }
    }
}

/// Moves rows from the statement to the consumer until the statement ends, the stop signal comes, or the consumer
/// goes away. In the last two cases it halts the statement with `halt` (repeated until the statement has really
/// ended, since a halt that lands before the statement starts is lost), so the connection returns to the pool idle.
async fn pump<R, S, H, F>(
    mut rows: S,
    decode: fn(&R) -> Result<Vec<Value>, DbError>,
    tx: &mpsc::Sender<Batch>,
    mut stop: Pin<&mut impl Future<Output = DbError>>,
    halt: H,
) -> Result<(), DbError>
where
    S: Stream<Item = Result<R, sqlx::Error>> + Unpin,
    H: Fn() -> F,
    F: Future<Output = ()>,
{
    let outcome = loop {
        tokio::select! {
            reason = &mut stop => break Err(reason),
            // the consumer went away while the statement computes (an aggregate sends nothing for long)
            _ = tx.closed() => break Ok(()),
            next = rows.next() => match next {
                None => return Ok(()),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(row)) => {
                    let batch = decode(&row).and_then(|first| {
                        let mut batch = vec![first];
                        let ended = fill_batch(&mut batch, &mut rows, decode)?;
                        Ok((batch, ended))
                    });
                    let (batch, ended) = match batch {
                        Ok(b) => b,
                        Err(e) => break Err(e),
                    };
                    // a slow consumer must not hold off cancellation and the time limit
                    tokio::select! {
                        reason = &mut stop => break Err(reason),
                        sent = tx.send(Ok(batch)) => if sent.is_err() {
                            break Ok(());
                        }
                    }
                    if ended {
                        return Ok(());
                    }
                }
            }
        }
    };
    loop {
        halt().await;
        // ended (interrupted, failed or done); rows still coming or nothing yet: halt again
        if let Ok(None | Some(Err(_))) =
            tokio::time::timeout(Duration::from_millis(50), rows.next()).await
        {
            return outcome;
        }
    }
}

async fn run_postgres(
    pool: PgPool,
    rw: PgPool,
    sql: String,
    tx: &mpsc::Sender<Batch>,
    cancelled: watch::Receiver<bool>,
    timeout: Option<Duration>,
) -> Result<(), DbError> {
    let stop = stop_signal(cancelled, timeout);
    tokio::pin!(stop);
    let mut conn = tokio::select! {
        reason = &mut stop => return Err(reason),
        _ = tx.closed() => return Ok(()),
        conn = pool.acquire() => conn?,
    };
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await?;
    // a cancel request through another connection (the query connection is busy with the statement)
    let cancel_backend = || {
        let rw = rw.clone();
        async move {
            let _ = sqlx::query("SELECT pg_cancel_backend($1)")
                .bind(pid)
                .execute(&rw)
                .await;
        }
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    pump(rows, decode_postgres, tx, stop, cancel_backend).await
}

fn decode_postgres(row: &sqlx::postgres::PgRow) -> Result<Vec<Value>, DbError> {
    let mut out = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let name = raw.type_info().name().to_string();
        let v = match name.as_str() {
            "BOOL" => Value::Bool(row.try_get(i)?),
            "INT2" => Value::Int(row.try_get::<i16, _>(i)? as i64),
            "INT4" => Value::Int(row.try_get::<i32, _>(i)? as i64),
            "INT8" => Value::Int(row.try_get(i)?),
            "FLOAT4" => Value::Float(row.try_get::<f32, _>(i)? as f64),
            "FLOAT8" => Value::Float(row.try_get(i)?),
            // CHAR is char(n) (bpchar)
            "TEXT" | "VARCHAR" | "CHAR" | "NAME" | "UNKNOWN" => Value::Text(row.try_get(i)?),
            "BYTEA" => Value::Bytes(row.try_get(i)?),
            other => {
                let bytes = raw.as_bytes().map_err(|e| DbError::Decode {
                    column: i,
                    message: e.to_string(),
                })?;
                match crate::pg_decode::decode(other, bytes) {
                    Some(v) => v.map_err(|message| DbError::Decode { column: i, message })?,
                    None => {
                        return Err(DbError::Decode {
                            column: i,
                            message: format!(
                                "PostgreSQL type {other} is not one a query result can hold; CAST it"
                            ),
                        });
                    }
                }
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// Adds the rows that are ready now (without waiting) to a batch; true when the query has ended.
fn fill_batch<S, R>(
    batch: &mut Vec<Vec<Value>>,
    rows: &mut S,
    decode: fn(&R) -> Result<Vec<Value>, DbError>,
) -> Result<bool, DbError>
where
    S: Stream<Item = Result<R, sqlx::Error>> + Unpin,
{
    use futures_util::FutureExt as _;
    while batch.len() < BATCH {
        match rows.next().now_or_never() {
            Some(Some(Ok(r))) => batch.push(decode(&r)?),
            Some(Some(Err(e))) => return Err(e.into()),
            Some(None) => return Ok(true),
            None => return Ok(false),
        }
    }
    Ok(false)
}
