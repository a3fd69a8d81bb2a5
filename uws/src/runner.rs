//! What a kind of job does ([`JobRunner`]) and the narrow view of the engine a runner gets ([`RunContext`]): it
//! can write results and learn that it was cancelled, never touch the store or another job (OpenCADC's
//! `JobUpdater`, STYLE.md §5).

use crate::bytes::JobBytes;
use crate::error::UwsError;
use crate::model::{ErrorType, Job, ResultRef};
use bytes::Bytes;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// What a run returns: results written to [`RunContext::result_path`] files (moved into the byte store by the
/// engine), or why the job failed.
pub type RunOutcome = Result<Vec<NewResult>, JobFailure>;

/// What a kind of job does (TAP queries, VOSpace transfers, cross-matches).
pub trait JobRunner: Send + Sync + 'static {
    /// Checks the parameters when the job is asked to run (UWS and TAP check requirements at execution, not at
    /// creation); an `Err` puts the job in ERROR with that message without queueing it.
    fn check(&self, job: &Job) -> Result<(), JobFailure> {
        let _ = job;
        Ok(())
    }

    /// Runs a job: reads its parameters, writes results through `ctx`, and stops promptly when
    /// `ctx.cancelled()` fires (ABORT, the execution duration running out, shutdown). The engine also drops
    /// this future then, which is enough for work done inside it (a dropped database stream cancels its query);
    /// the token is for work the runner hands to other tasks or threads.
    fn run(&self, job: Job, ctx: RunContext) -> Pin<Box<dyn Future<Output = RunOutcome> + Send>>;
}

/// A result a runner wrote into [`RunContext::result_path`].
#[derive(Debug, Clone)]
pub struct NewResult {
    /// Result id (`result` for TAP).
    pub id: String,
    /// MIME type.
    pub mime: String,
}

/// Why a job failed.
#[derive(Debug, Clone)]
pub struct JobFailure {
    /// For a person: what went wrong and, where it helps, where.
    pub message: String,
    /// Transient or fatal.
    pub kind: ErrorType,
    /// A document served at `/error` (e.g. TAP's error VOTable) and its MIME type.
    pub detail: Option<(Vec<u8>, String)>,
}

impl JobFailure {
    /// A fatal failure with a message only.
    pub fn fatal(message: impl Into<String>) -> JobFailure {
        JobFailure {
            message: message.into(),
            kind: ErrorType::Fatal,
            detail: None,
        }
    }

    /// A transient failure (retrying later may work) with a message only.
    pub fn transient(message: impl Into<String>) -> JobFailure {
        JobFailure {
            message: message.into(),
            kind: ErrorType::Transient,
            detail: None,
        }
    }
}

/// What a runner gets besides the job.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub(crate) job_id: String,
    pub(crate) bytes: JobBytes,
    /// The job's local scratch directory (removed when the run ends).
    pub(crate) scratch: PathBuf,
    pub(crate) cancel: CancellationToken,
    /// Results written through [`RunContext::create_result`] or referenced by [`RunContext::add_result_ref`].
    pub(crate) published: Arc<Mutex<Vec<ResultRef>>>,
    /// Inline parameters: name → local file.
    pub(crate) inline: Arc<Vec<(String, PathBuf)>>,
}

impl RunContext {
    /// The job's id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// Completes when the job is aborted, runs out of time or the service shuts down.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Whether the job has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The cancellation token, for work handed to other tasks.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// A local file to write result `id` into with synchronous writers; list it in the run's return value and
    /// the engine moves it into the byte store when the job completes (a rename when the store is local).
    pub fn result_path(&self, id: &str) -> PathBuf {
        self.scratch
            .join("results")
            .join(crate::bytes::key_segment(id))
    }

    /// The local file holding inline (multipart) parameter `name`, e.g. an uploaded table. It exists only if
    /// the job has such a parameter.
    pub fn inline_param(&self, name: &str) -> PathBuf {
        self.inline
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| {
                self.scratch
                    .join("params")
                    .join(crate::bytes::key_segment(name))
            })
    }

    /// Starts writing result `id` straight into the byte store (for async producers). It becomes part of the
    /// job when [`ResultWriter::close`] succeeds and the job then completes.
    pub async fn create_result(&self, id: &str, mime: &str) -> Result<ResultWriter, UwsError> {
        let temp = JobBytes::temp_key(&self.job_id);
        let writer = self
            .bytes
            .operator()
            .writer_with(&temp)
            .chunk(8 << 20)
            .await
            .map_err(|e| UwsError::Bytes(e.to_string()))?;
        Ok(ResultWriter {
            writer,
            temp,
            key: JobBytes::result_key(&self.job_id, id),
            result: ResultRef {
                id: id.to_string(),
                mime: mime.to_string(),
                size: 0,
                href: None,
            },
            bytes: self.bytes.clone(),
            published: self.published.clone(),
        })
    }

    /// Adds a result that lives elsewhere (its URL redirects there), e.g. a VOSpace transfer's endpoint.
    pub fn add_result_ref(&self, id: &str, url: &str, mime: Option<&str>) {
        if let Ok(mut p) = self.published.lock() {
            p.retain(|r| r.id != id);
            p.push(ResultRef {
                id: id.to_string(),
                mime: mime.unwrap_or_default().to_string(),
                size: 0,
                href: Some(url.to_string()),
            });
        }
    }
}

/// A result being written into the byte store.
pub struct ResultWriter {
    writer: opendal::Writer,
    temp: String,
    key: String,
    result: ResultRef,
    bytes: JobBytes,
    published: Arc<Mutex<Vec<ResultRef>>>,
}

impl std::fmt::Debug for ResultWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultWriter")
            .field("result", &self.result)
            .finish()
    }
}

impl ResultWriter {
    /// Appends bytes.
    pub async fn write(&mut self, chunk: impl Into<Bytes>) -> Result<(), UwsError> {
        let chunk: Bytes = chunk.into();
        self.result.size += chunk.len() as u64;
        self.writer
            .write(chunk)
            .await
            .map_err(|e| UwsError::Bytes(e.to_string()))
    }

    /// Finishes the result: moves it under its name and records it for the job. Returns its size.
    pub async fn close(mut self) -> Result<u64, UwsError> {
        self.writer
            .close()
            .await
            .map_err(|e| UwsError::Bytes(e.to_string()))?;
        self.bytes.commit(&self.temp, &self.key).await?;
        if let Ok(mut p) = self.published.lock() {
            p.retain(|r| r.id != self.result.id);
            p.push(self.result.clone());
        }
        Ok(self.result.size)
    }
}
