//! The job engine: creation, the runner pool (FIFO over a fixed number of slots), execution-duration and ABORT
//! enforcement by cancellation, WAIT notifications, destruction, and recovery after a restart.

use crate::error::UwsError;
use crate::model::{ErrorSummary, ErrorType, Job, Param, Phase, ResultRef};
use crate::store::{ListFilter, Store};
use chrono::{Duration as ChronoDuration, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What a kind of job does (TAP queries, VOSpace transfers, cross-matches).
pub trait JobRunner: Send + Sync + 'static {
    /// Runs a job: reads its parameters, writes results under `ctx`, and stops promptly when `ctx.cancelled()`
    /// fires (dropping database streams is enough: they cancel their query).
    fn run(
        &self,
        job: Job,
        ctx: RunContext,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<NewResult>, JobFailure>> + Send>>;
}

/// A result written by a runner into [`RunContext::result_path`].
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
    /// For a person.
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
}

/// What a runner gets besides the job.
#[derive(Debug, Clone)]
pub struct RunContext {
    dir: PathBuf,
    cancel: watch::Receiver<bool>,
}

impl RunContext {
    /// Where to write result `id` (a temporary name: it becomes visible when the job completes).
    pub fn result_path(&self, id: &str) -> PathBuf {
        self.dir
            .join("results")
            .join(format!(".{}.part", sanitize(id)))
    }

    /// The stored content of an inline (by-reference) parameter, e.g. an uploaded table.
    pub fn inline_param(&self, name: &str) -> PathBuf {
        self.dir.join("params").join(sanitize(name))
    }

    /// Completes when the job is aborted or runs out of time.
    pub async fn cancelled(&mut self) {
        while !*self.cancel.borrow() {
            if self.cancel.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Keeps file names to `[A-Za-z0-9._-]` (job and result ids are generated; parameter names come from clients).
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Settings of one job list.
#[derive(Debug, Clone)]
pub struct UwsConfig {
    /// The list's name in the store (`tap`, `transfers`, ...).
    pub list: String,
    /// The public URL of the job list (Location headers and links).
    pub base_url: String,
    /// Jobs running at once.
    pub slots: usize,
    /// Execution duration of a new job, seconds (0: unlimited).
    pub default_execution_duration: u64,
    /// Largest execution duration a client may set, seconds.
    pub max_execution_duration: u64,
    /// How long jobs are kept after creation.
    pub retention: Duration,
    /// Largest number of unfinished jobs per authenticated owner (0: no limit).
    pub max_active_per_owner: usize,
    /// Longest WAIT.
    pub max_wait: Duration,
    /// Directory for results and inline parameters.
    pub dir: PathBuf,
}

/// One job list with its runners.
pub struct UwsService {
    pub(crate) cfg: UwsConfig,
    pub(crate) store: Store,
    runner: Arc<dyn JobRunner>,
    queue: mpsc::UnboundedSender<String>,
    watchers: Mutex<HashMap<String, watch::Sender<Phase>>>,
    cancels: Mutex<HashMap<String, watch::Sender<bool>>>,
}

impl std::fmt::Debug for UwsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UwsService")
            .field("list", &self.cfg.list)
            .finish()
    }
}

fn new_id() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            A[rng.random_range(0..A.len())] as char
        })
        .collect()
}

impl UwsService {
    /// Starts the service: recovers jobs interrupted by a restart, starts the runners and the destruction sweeper.
    pub async fn start(
        cfg: UwsConfig,
        store: Store,
        runner: Arc<dyn JobRunner>,
    ) -> Result<Arc<UwsService>, UwsError> {
        std::fs::create_dir_all(&cfg.dir)?;
        let (queue, rx) = mpsc::unbounded_channel();
        let svc = Arc::new(UwsService {
            cfg,
            store,
            runner,
            queue,
            watchers: Mutex::new(HashMap::new()),
            cancels: Mutex::new(HashMap::new()),
        });
        // A job that was EXECUTING when the process died cannot be resumed safely: it ends in ERROR, saying so.
        for id in svc.store.ids_in(&svc.cfg.list, Phase::Executing).await? {
            let e = ErrorSummary {
                message: "the service restarted while this job was executing; please resubmit it"
                    .into(),
                kind: ErrorType::Transient,
                has_detail: false,
            };
            svc.store.set_error(&id, &e, None).await?;
            svc.store
                .set_phase(&id, &[Phase::Executing], Phase::Error)
                .await?;
        }
        // Queued jobs never started: run them, oldest first.
        for id in svc.store.ids_in(&svc.cfg.list, Phase::Queued).await? {
            let _ = svc.queue.send(id);
        }
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..svc.cfg.slots.max(1) {
            let (svc, rx) = (svc.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let next = rx.lock().await.recv().await;
                    match next {
                        Some(id) => svc.execute(id).await,
                        None => return,
                    }
                }
            });
        }
        let sweeper = Arc::downgrade(&svc);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(30)).await;
                let Some(svc) = sweeper.upgrade() else { return };
                if let Err(e) = svc.destroy_expired().await {
                    tracing::warn!(error = %e, "destruction sweep failed");
                }
            }
        });
        Ok(svc)
    }

    /// The public URL of a job.
    pub fn job_url(&self, id: &str) -> String {
        format!("{}/{}", self.cfg.base_url, id)
    }

    fn job_dir(&self, id: &str) -> PathBuf {
        self.cfg.dir.join(sanitize(id))
    }

    /// Creates a job (PENDING, or QUEUED when `run`); `inline` are uploaded parameter contents to keep.
    pub async fn create(
        &self,
        owner: Option<&str>,
        mut params: Vec<Param>,
        inline: Vec<(String, PathBuf)>,
        run: bool,
    ) -> Result<String, UwsError> {
        if let (Some(o), n) = (owner, self.cfg.max_active_per_owner) {
            if n > 0 && self.store.count_active(&self.cfg.list, o).await? >= n as u64 {
                return Err(UwsError::Forbidden(format!(
                    "you already have {n} unfinished jobs: wait for them to end or delete some"
                )));
            }
        }
        let id = new_id();
        let dir = self.job_dir(&id);
        for (name, path) in inline {
            let target = dir.join("params").join(sanitize(&name));
            std::fs::create_dir_all(target.parent().unwrap_or(&dir))?;
            std::fs::copy(&path, &target)?;
            params.push(Param {
                name: name.clone(),
                value: format!("{}/parameters/{}", self.job_url(&id), sanitize(&name)),
                by_reference: true,
            });
        }
        let now = Utc::now();
        let requested = params
            .iter()
            .rev()
            .find(|p| p.name.eq_ignore_ascii_case("EXECUTIONDURATION"))
            .and_then(|p| p.value.trim().parse::<u64>().ok());
        let job = Job {
            run_id: params
                .iter()
                .rev()
                .find(|p| p.name.eq_ignore_ascii_case("RUNID"))
                .map(|p| p.value.clone()),
            id: id.clone(),
            owner: owner.map(str::to_string),
            phase: Phase::Pending,
            creation: now,
            start: None,
            end: None,
            execution_duration: self
                .clamp_duration(requested.unwrap_or(self.cfg.default_execution_duration)),
            destruction: ChronoDuration::from_std(self.cfg.retention)
                .ok()
                .map(|d| now + d),
            params,
            results: vec![],
            error: None,
        };
        self.store.insert(&self.cfg.list, &job).await?;
        if run {
            self.run(&id).await?;
        }
        Ok(id)
    }

    fn clamp_duration(&self, secs: u64) -> u64 {
        let max = self.cfg.max_execution_duration;
        if max == 0 {
            secs
        } else if secs == 0 {
            max
        } else {
            secs.min(max)
        }
    }

    /// A job, checking the caller may see it (404 unknown, 403 someone else's).
    pub async fn get(&self, id: &str, caller: Option<&str>) -> Result<Job, UwsError> {
        let job = self
            .store
            .get(&self.cfg.list, id)
            .await?
            .ok_or_else(|| UwsError::NotFound(format!("no job {id}")))?;
        if let Some(owner) = &job.owner {
            if caller != Some(owner.as_str()) {
                return Err(UwsError::Forbidden(format!(
                    "job {id} belongs to another user"
                )));
            }
        }
        Ok(job)
    }

    /// The caller's jobs (an anonymous caller sees none: anonymous jobs are reached only by their URL, so the
    /// list never shows other people's queries).
    pub async fn list(&self, caller: Option<&str>, f: &ListFilter) -> Result<Vec<Job>, UwsError> {
        match caller {
            Some(c) => self.store.list(&self.cfg.list, c, f).await,
            None => Ok(vec![]),
        }
    }

    fn notify(&self, id: &str, phase: Phase) {
        if let Ok(mut w) = self.watchers.lock() {
            if let Some(tx) = w.get(id) {
                let _ = tx.send(phase);
            }
            if phase.is_final() {
                w.remove(id);
            }
        }
    }

    /// PHASE=RUN: PENDING (or HELD) → QUEUED; already running or finished: no change.
    pub async fn run(&self, id: &str) -> Result<(), UwsError> {
        if self
            .store
            .set_phase(id, &[Phase::Pending, Phase::Held], Phase::Queued)
            .await?
        {
            self.notify(id, Phase::Queued);
            let _ = self.queue.send(id.to_string());
        }
        Ok(())
    }

    /// PHASE=ABORT: stops the job (cancelling its database work) unless it has ended already.
    pub async fn abort(&self, id: &str) -> Result<(), UwsError> {
        let from = [
            Phase::Pending,
            Phase::Queued,
            Phase::Executing,
            Phase::Held,
            Phase::Suspended,
        ];
        if self.store.set_phase(id, &from, Phase::Aborted).await? {
            self.notify(id, Phase::Aborted);
            if let Ok(c) = self.cancels.lock() {
                if let Some(tx) = c.get(id) {
                    let _ = tx.send(true);
                }
            }
        }
        Ok(())
    }

    /// Deletes a job: aborts it if running, removes its files and record.
    pub async fn delete(&self, id: &str) -> Result<(), UwsError> {
        self.abort(id).await?;
        let _ = std::fs::remove_dir_all(self.job_dir(id));
        self.store.delete(id).await?;
        if let Ok(mut w) = self.watchers.lock() {
            w.remove(id);
        }
        Ok(())
    }

    /// Blocks until the job's phase changes (or the timeout), if it is active; `only_if`: return at once unless
    /// the job is in that phase (UWS 1.1 §2.2.1.2).
    pub async fn wait(
        &self,
        id: &str,
        caller: Option<&str>,
        timeout: Duration,
        only_if: Option<Phase>,
    ) -> Result<Job, UwsError> {
        let mut rx = {
            let mut w = self
                .watchers
                .lock()
                .map_err(|_| UwsError::Internal("watchers poisoned".into()))?;
            w.entry(id.to_string())
                .or_insert_with(|| watch::channel(Phase::Unknown).0)
                .subscribe()
        };
        let job = self.get(id, caller).await?;
        let blocking = job.phase.is_active() && only_if.is_none_or(|p| p == job.phase);
        if !blocking {
            return Ok(job);
        }
        let start_phase = job.phase;
        let timeout = timeout.min(self.cfg.max_wait);
        let _ = tokio::time::timeout(timeout, async {
            loop {
                if rx.changed().await.is_err() {
                    return;
                }
                if *rx.borrow() != start_phase {
                    return;
                }
            }
        })
        .await;
        self.get(id, caller).await
    }

    /// Sets the execution duration while PENDING (403 otherwise).
    pub async fn set_execution_duration(&self, id: &str, secs: u64) -> Result<(), UwsError> {
        if !self
            .store
            .set_execution_duration(id, self.clamp_duration(secs))
            .await?
        {
            return Err(UwsError::Forbidden(
                "the execution duration can be changed only while the job is PENDING".into(),
            ));
        }
        Ok(())
    }

    /// Sets the destruction time (not later than the retention period allows).
    pub async fn set_destruction(
        &self,
        id: &str,
        t: chrono::DateTime<Utc>,
    ) -> Result<(), UwsError> {
        let job = self
            .store
            .get(&self.cfg.list, id)
            .await?
            .ok_or_else(|| UwsError::NotFound(format!("no job {id}")))?;
        let latest = ChronoDuration::from_std(self.cfg.retention)
            .ok()
            .map(|d| job.creation + d);
        let t = match latest {
            Some(l) if t > l => l,
            _ => t,
        };
        self.store.set_destruction(id, &t).await
    }

    /// Adds or replaces parameters while PENDING (403 otherwise).
    pub async fn update_params(
        &self,
        id: &str,
        mut params: Vec<Param>,
        inline: Vec<(String, PathBuf)>,
    ) -> Result<(), UwsError> {
        let dir = self.job_dir(id);
        for (name, path) in inline {
            let target = dir.join("params").join(sanitize(&name));
            std::fs::create_dir_all(target.parent().unwrap_or(&dir))?;
            std::fs::copy(&path, &target)?;
            params.push(Param {
                name: name.clone(),
                value: format!("{}/parameters/{}", self.job_url(id), sanitize(&name)),
                by_reference: true,
            });
        }
        if !self.store.update_params(id, &params).await? {
            return Err(UwsError::Forbidden(
                "parameters can be changed only while the job is PENDING".into(),
            ));
        }
        Ok(())
    }

    /// The file of a result.
    pub fn result_file(&self, id: &str, result: &str) -> PathBuf {
        self.job_dir(id).join("results").join(sanitize(result))
    }

    /// The file of an inline parameter.
    pub fn param_file(&self, id: &str, name: &str) -> PathBuf {
        self.job_dir(id).join("params").join(sanitize(name))
    }

    /// The error detail document of a failed job, with its MIME type.
    pub async fn error_detail(&self, id: &str) -> Result<Option<(PathBuf, String)>, UwsError> {
        Ok(self
            .store
            .error_detail_mime(id)
            .await?
            .map(|m| (self.job_dir(id).join("error"), m)))
    }

    async fn execute(self: &Arc<Self>, id: String) {
        if let Err(e) = self.execute_inner(&id).await {
            tracing::error!(job = %id, error = %e, "job machinery failed");
            let summary = ErrorSummary {
                message: format!("internal error: {e}"),
                kind: ErrorType::Transient,
                has_detail: false,
            };
            let _ = self.store.set_error(&id, &summary, None).await;
            if let Ok(true) = self
                .store
                .set_phase(&id, &[Phase::Executing, Phase::Queued], Phase::Error)
                .await
            {
                self.notify(&id, Phase::Error);
            }
        }
    }

    async fn execute_inner(self: &Arc<Self>, id: &str) -> Result<(), UwsError> {
        if !self
            .store
            .set_phase(id, &[Phase::Queued], Phase::Executing)
            .await?
        {
            return Ok(()); // aborted or deleted while queued
        }
        self.notify(id, Phase::Executing);
        let Some(job) = self.store.get(&self.cfg.list, id).await? else {
            return Ok(());
        };
        let dir = self.job_dir(id);
        std::fs::create_dir_all(dir.join("results"))?;
        let (cancel_tx, cancel_rx) = watch::channel(false);
        if let Ok(mut c) = self.cancels.lock() {
            c.insert(id.to_string(), cancel_tx.clone());
        }
        let ctx = RunContext {
            dir: dir.clone(),
            cancel: cancel_rx,
        };
        let limit =
            (job.execution_duration > 0).then(|| Duration::from_secs(job.execution_duration));
        let run = self.runner.run(job.clone(), ctx);
        let mut aborted = cancel_tx.subscribe();
        let outcome = tokio::select! {
            r = run => Some(r),
            _ = async {
                match limit {
                    Some(l) => tokio::time::sleep(l).await,
                    None => std::future::pending().await,
                }
            } => None,
            _ = async { while !*aborted.borrow() { if aborted.changed().await.is_err() { std::future::pending::<()>().await } } } => {
                // ABORT: the phase is already ABORTED; dropping the run future stopped the work.
                if let Ok(mut c) = self.cancels.lock() { c.remove(id); }
                return Ok(());
            }
        };
        let _ = cancel_tx.send(true);
        if let Ok(mut c) = self.cancels.lock() {
            c.remove(id);
        }
        match outcome {
            None => {
                let secs = job.execution_duration;
                self.fail(id, JobFailure {
                    message: format!("the job ran longer than its execution duration of {secs} s and was stopped"),
                    kind: ErrorType::Transient,
                    detail: None,
                })
                .await
            }
            Some(Err(f)) => self.fail(id, f).await,
            Some(Ok(results)) => {
                for r in results {
                    let tmp = dir
                        .join("results")
                        .join(format!(".{}.part", sanitize(&r.id)));
                    let fin = dir.join("results").join(sanitize(&r.id));
                    std::fs::rename(&tmp, &fin)?;
                    let size = std::fs::metadata(&fin).map(|m| m.len()).unwrap_or(0);
                    self.store
                        .add_result(
                            id,
                            &ResultRef {
                                id: r.id,
                                mime: r.mime,
                                size,
                            },
                        )
                        .await?;
                }
                if self
                    .store
                    .set_phase(id, &[Phase::Executing], Phase::Completed)
                    .await?
                {
                    self.notify(id, Phase::Completed);
                }
                Ok(())
            }
        }
    }

    async fn fail(&self, id: &str, f: JobFailure) -> Result<(), UwsError> {
        let dir = self.job_dir(id);
        let mime = match &f.detail {
            Some((bytes, mime)) => {
                std::fs::write(dir.join("error"), bytes)?;
                Some(mime.clone())
            }
            None => None,
        };
        let summary = ErrorSummary {
            message: f.message,
            kind: f.kind,
            has_detail: mime.is_some(),
        };
        self.store.set_error(id, &summary, mime.as_deref()).await?;
        if self
            .store
            .set_phase(id, &[Phase::Executing], Phase::Error)
            .await?
        {
            self.notify(id, Phase::Error);
        }
        Ok(())
    }

    /// Deletes every job whose destruction time has passed, with its files.
    pub async fn destroy_expired(&self) -> Result<usize, UwsError> {
        let ids = self.store.expired(&Utc::now()).await?;
        for id in &ids {
            self.delete(id).await?;
        }
        Ok(ids.len())
    }
}

/// Whether a path is inside a directory (for files named after client input).
pub fn is_inside(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}
