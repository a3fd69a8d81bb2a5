//! One job list: creation, access by owner, phase changes (RUN, ABORT, DELETE), WAIT, parameter and time
//! updates. The runner pool, recovery and destruction are in [`crate::pool`].

use crate::bytes::{JobBytes, key_segment};
use crate::error::UwsError;
use crate::model::{ErrorSummary, Job, Param, Phase, ResultRef};
use crate::notify::Watchers;
use crate::queue::FairQueue;
use crate::runner::{JobFailure, JobRunner};
use crate::store::{ListFilter, Store};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a waiter re-reads the phase from the store, to see changes made by another process sharing the
/// database (changes made in this process wake it at once).
const WAIT_POLL: Duration = Duration::from_secs(3);

/// Settings of one job list.
#[derive(Debug, Clone)]
pub struct UwsConfig {
    /// The list's name in the store (`tap`, `transfers`, ...); lists sharing a database never see each other.
    pub list: String,
    /// The public URL of the job list, without a trailing slash (Location headers, result and parameter links).
    pub base_url: String,
    /// Jobs running at once.
    pub slots: usize,
    /// Execution duration of a new job, seconds (0: unlimited).
    pub default_execution_duration: u64,
    /// Largest execution duration, seconds (0: no cap); a job asking for 0 (unlimited) gets this.
    pub max_execution_duration: u64,
    /// How long a job and its results are kept after creation (its destruction time; the latest a client may
    /// ask for).
    pub retention: Duration,
    /// Largest number of unfinished jobs per authenticated owner (0: no limit).
    pub max_active_per_owner: usize,
    /// Longest WAIT (caps WAIT=-1; keep it under clients' HTTP timeouts, e.g. pyvo's 600 s).
    pub max_wait: Duration,
    /// A local working directory: request bodies being received and runners' scratch files. With
    /// [`UwsService::start`] it is also the byte store.
    pub dir: PathBuf,
}

/// One job list with its runners.
pub struct UwsService {
    pub(crate) cfg: UwsConfig,
    pub(crate) store: Store,
    pub(crate) bytes: JobBytes,
    pub(crate) runner: Arc<dyn JobRunner>,
    pub(crate) queue: FairQueue,
    pub(crate) watchers: Watchers,
    /// Cancellation of each executing job of this process.
    pub(crate) running: Mutex<HashMap<String, CancellationToken>>,
    /// Fired by [`UwsService::shutdown`]; every job's token is a child of it.
    pub(crate) stop: CancellationToken,
}

impl std::fmt::Debug for UwsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UwsService")
            .field("list", &self.cfg.list)
            .field("base_url", &self.cfg.base_url)
            .finish()
    }
}

/// A new job id: 20 characters of `[a-z0-9]` from the thread's CSPRNG (103 bits), unguessable and URL-safe.
pub(crate) fn new_id() -> String {
    use rand::Rng as _;
    const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect()
}

/// A local working directory of the list (`dir/<kind>/<list>`: lists may share `dir`).
pub(crate) fn local_dir(cfg: &UwsConfig, kind: &str) -> PathBuf {
    cfg.dir.join(kind).join(key_segment(&cfg.list))
}

/// Phases in which WAIT blocks (UWS 1.1 §2.2.1.2).
fn wait_blocks_in(p: Phase) -> bool {
    matches!(p, Phase::Pending | Phase::Queued | Phase::Executing)
}

impl UwsService {
    /// Starts a job list whose byte store is the local directory `cfg.dir`.
    pub async fn start(
        cfg: UwsConfig,
        store: Store,
        runner: Arc<dyn JobRunner>,
    ) -> Result<Arc<UwsService>, UwsError> {
        tokio::fs::create_dir_all(&cfg.dir).await?;
        let bytes = JobBytes::local(&cfg.dir)?;
        UwsService::launch(cfg, store, bytes, runner).await
    }

    /// Starts a job list with results and inline parameters in `bytes` (a local directory, S3, ...): recovers
    /// the jobs a previous process left (EXECUTING ones end in ERROR, QUEUED ones run), starts the runner
    /// slots and the destruction sweeper.
    pub async fn new(
        cfg: UwsConfig,
        store: Store,
        bytes: opendal::Operator,
        runner: Arc<dyn JobRunner>,
    ) -> Result<Arc<UwsService>, UwsError> {
        UwsService::launch(cfg, store, JobBytes::new(bytes), runner).await
    }

    async fn launch(
        cfg: UwsConfig,
        store: Store,
        bytes: JobBytes,
        runner: Arc<dyn JobRunner>,
    ) -> Result<Arc<UwsService>, UwsError> {
        // Scratch files and spooled bodies of a previous process are of no use: their runs and requests died
        // with it.
        for d in [local_dir(&cfg, ".scratch"), local_dir(&cfg, ".spool")] {
            let _ = tokio::fs::remove_dir_all(&d).await;
            tokio::fs::create_dir_all(&d).await?;
        }
        let svc = Arc::new(UwsService {
            cfg,
            store,
            bytes,
            runner,
            queue: FairQueue::default(),
            watchers: Watchers::default(),
            running: Mutex::new(HashMap::new()),
            stop: CancellationToken::new(),
        });
        svc.recover().await?;
        svc.spawn_workers();
        Ok(svc)
    }

    /// Mounts the REST binding of this job list in a scope, e.g. `web::scope("/tap/async").configure(|c|
    /// svc.configure(c))`.
    pub fn configure(self: &Arc<Self>, cfg: &mut actix_web::web::ServiceConfig) {
        cfg.app_data(actix_web::web::Data::new(self.clone()));
        crate::routes::configure(cfg);
    }

    /// The settings.
    pub fn config(&self) -> &UwsConfig {
        &self.cfg
    }

    /// The job store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The byte store of job results and inline parameters.
    pub fn bytes(&self) -> &JobBytes {
        &self.bytes
    }

    /// The public URL of a job.
    pub fn job_url(&self, id: &str) -> String {
        format!("{}/{}", self.cfg.base_url, id)
    }

    /// Where request bodies are spooled while they arrive.
    pub fn spool_dir(&self) -> PathBuf {
        local_dir(&self.cfg, ".spool")
    }

    /// Creates a job owned by `owner` (None: anonymous), PENDING, or QUEUED when `run`. `inline` are spooled
    /// multipart parameter files (name, file), moved into the byte store and listed as by-reference parameters.
    /// EXECUTIONDURATION and DESTRUCTION among the parameters set the job's values (within the configured
    /// limits); RUNID its runId. Every parameter is kept, in order, as submitted.
    pub async fn create(
        &self,
        owner: Option<&str>,
        mut params: Vec<Param>,
        inline: Vec<(String, PathBuf)>,
        run: bool,
    ) -> Result<String, UwsError> {
        if self.stop.is_cancelled() {
            return Err(UwsError::Unavailable("the service is shutting down".into()));
        }
        let id = new_id();
        let now = Utc::now();
        let last = |name: &str| {
            params
                .iter()
                .rev()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| p.value.clone())
        };
        let duration = match last("EXECUTIONDURATION") {
            Some(v) => parse_duration(&v)?,
            None => self.cfg.default_execution_duration,
        };
        let destruction = match last("DESTRUCTION") {
            Some(v) => Some(self.clamp_destruction(now, parse_destruction(&v)?)),
            None => self.latest_destruction(now),
        };
        let run_id = last("RUNID");
        for (name, file) in inline {
            let key = JobBytes::param_key(&id, &name);
            if let Err(e) = self.bytes.put_file(&id, &file, &key).await {
                let _ = self.bytes.delete_job(&id).await;
                return Err(e);
            }
            params.push(Param {
                value: format!("{}/parameters/{}", self.job_url(&id), key_segment(&name)),
                name,
                by_reference: true,
                is_post: true,
            });
        }
        let job = Job {
            id: id.clone(),
            run_id,
            owner: owner.map(str::to_string),
            phase: Phase::Pending,
            creation: now,
            start: None,
            end: None,
            execution_duration: self.clamp_duration(duration),
            destruction,
            params,
            results: vec![],
            error: None,
        };
        let limit =
            (self.cfg.max_active_per_owner > 0).then_some(self.cfg.max_active_per_owner as u64);
        let stored = self.store.insert(&self.cfg.list, &job, limit).await;
        if !matches!(stored, Ok(true)) {
            let _ = self.bytes.delete_job(&id).await;
        }
        if !stored? {
            return Err(UwsError::Forbidden(format!(
                "you already have {} unfinished jobs: wait for some to end, or delete some",
                self.cfg.max_active_per_owner
            )));
        }
        tracing::debug!(job = %id, list = %self.cfg.list, "job created");
        if run {
            self.run(&id).await?;
        }
        Ok(id)
    }

    /// Creates a PENDING job for `owner` (programmatic callers: VOSpace `/synctrans`, TAP sync over async).
    pub async fn create_job(
        &self,
        owner: Option<&accounts::Principal>,
        params: Vec<Param>,
    ) -> Result<String, UwsError> {
        self.create(owner.map(|p| p.name.as_str()), params, vec![], false)
            .await
    }

    fn clamp_duration(&self, secs: u64) -> u64 {
        let max = self.cfg.max_execution_duration;
        match (max, secs) {
            (0, s) => s,
            (m, 0) => m,
            (m, s) => s.min(m),
        }
    }

    fn latest_destruction(&self, creation: DateTime<Utc>) -> Option<DateTime<Utc>> {
        ChronoDuration::from_std(self.cfg.retention)
            .ok()
            .and_then(|d| creation.checked_add_signed(d))
    }

    fn clamp_destruction(&self, creation: DateTime<Utc>, t: DateTime<Utc>) -> DateTime<Utc> {
        match self.latest_destruction(creation) {
            Some(latest) if t > latest => latest,
            _ => t,
        }
    }

    /// A job, checking the caller may see it: 404 when unknown, 403 when it belongs to someone else. Anonymous
    /// jobs are reachable by anyone who has their (unguessable) URL.
    pub async fn get(&self, id: &str, caller: Option<&str>) -> Result<Job, UwsError> {
        let job = self.store.get(&self.cfg.list, id).await?.ok_or_else(|| {
            UwsError::NotFound(format!(
                "there is no job '{id}' (it may have been deleted or destroyed)"
            ))
        })?;
        if let Some(owner) = &job.owner
            && caller != Some(owner.as_str())
        {
            return Err(UwsError::Forbidden(format!(
                "job {id} belongs to another user"
            )));
        }
        Ok(job)
    }

    /// The caller's jobs. An anonymous caller gets an empty list: anonymous jobs are reached only through
    /// their URLs, so the list never shows anybody's queries to anybody else.
    pub async fn list(&self, caller: Option<&str>, f: &ListFilter) -> Result<Vec<Job>, UwsError> {
        match caller {
            Some(c) => self.store.list(&self.cfg.list, c, f).await,
            None => Ok(vec![]),
        }
    }

    pub(crate) fn notify(&self, id: &str, phase: Phase) {
        self.watchers.notify(id, phase);
    }

    /// PHASE=RUN: checks the parameters with the runner, then PENDING (or HELD) → QUEUED; a failed check puts
    /// the job in ERROR. A job that is already queued, running or finished is left as it is.
    pub async fn run(&self, id: &str) -> Result<(), UwsError> {
        let Some(job) = self.store.get(&self.cfg.list, id).await? else {
            return Err(UwsError::NotFound(format!("there is no job '{id}'")));
        };
        if !matches!(job.phase, Phase::Pending | Phase::Held) {
            return Ok(());
        }
        if let Err(f) = self.runner.check(&job) {
            self.fail(id, &[Phase::Pending, Phase::Held], f).await?;
            return Ok(());
        }
        if self
            .store
            .set_phase(id, &[Phase::Pending, Phase::Held], Phase::Queued)
            .await?
        {
            self.notify(id, Phase::Queued);
            self.queue.push(job.owner.as_deref(), id.to_string());
        }
        Ok(())
    }

    /// Ends a job in ERROR from one of `from`, keeping the failure's detail document; false if the job had left
    /// those phases (aborted meanwhile).
    pub(crate) async fn fail(
        &self,
        id: &str,
        from: &[Phase],
        f: JobFailure,
    ) -> Result<bool, UwsError> {
        let mime = match f.detail {
            Some((doc, mime)) => {
                self.bytes.put(id, &JobBytes::error_key(id), doc).await?;
                Some(mime)
            }
            None => None,
        };
        let summary = ErrorSummary {
            message: f.message,
            kind: f.kind,
            has_detail: mime.is_some(),
        };
        let done = self
            .store
            .set_error(id, from, &summary, mime.as_deref())
            .await?;
        if done {
            self.notify(id, Phase::Error);
        }
        Ok(done)
    }

    /// PHASE=ABORT: ABORTED unless the job has ended; an executing job's work is cancelled.
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
            self.cancel_running(id);
        }
        Ok(())
    }

    pub(crate) fn cancel_running(&self, id: &str) {
        if let Ok(r) = self.running.lock()
            && let Some(t) = r.get(id)
        {
            t.cancel();
        }
    }

    /// Deletes a job: aborts it if unfinished, deletes its bytes, then its record.
    pub async fn delete(&self, id: &str) -> Result<(), UwsError> {
        self.abort(id).await?;
        self.bytes.delete_job(id).await?;
        self.store.delete(id).await?;
        tracing::debug!(job = %id, "job deleted");
        Ok(())
    }

    /// WAIT (UWS 1.1 §2.2.1.2): blocks while the job stays in the phase it has now, at most `timeout` (capped
    /// by `max_wait`), if that phase is PENDING, QUEUED or EXECUTING; with `only_if`, returns at once unless
    /// the job is in that phase. Wakes as soon as this process changes the phase.
    pub async fn wait(
        &self,
        id: &str,
        caller: Option<&str>,
        timeout: Duration,
        only_if: Option<Phase>,
    ) -> Result<Job, UwsError> {
        let job = self.get(id, caller).await?;
        let start = job.phase;
        if !wait_blocks_in(start) || only_if.is_some_and(|p| p != start) || timeout.is_zero() {
            return Ok(job);
        }
        let mut sub = self.watchers.subscribe(id, start);
        // A change between the read above and the subscription would otherwise be missed.
        if self.store.phase(id).await? != Some(start) {
            return self.get(id, caller).await;
        }
        let deadline = Instant::now() + timeout.min(self.cfg.max_wait);
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let slice = (deadline - now).min(WAIT_POLL);
            match tokio::time::timeout(slice, sub.changed()).await {
                Ok(Some(p)) if p != start => break,
                Ok(Some(_)) => {}
                Ok(None) => {
                    // Detached channel (a poisoned waiter map): fall back to polling the store.
                    tokio::time::sleep(slice).await;
                    if self.store.phase(id).await? != Some(start) {
                        break;
                    }
                }
                Err(_) => {
                    if self.store.phase(id).await? != Some(start) {
                        break;
                    }
                }
            }
        }
        self.get(id, caller).await
    }

    /// Waits until a job has ended (COMPLETED, ERROR, ABORTED or ARCHIVED) or `timeout` passes, and returns it
    /// (programmatic callers: synchronous transfers, sync over async).
    pub async fn wait_for_end(&self, id: &str, timeout: Duration) -> Result<Job, UwsError> {
        let deadline = Instant::now() + timeout;
        loop {
            let job = self
                .store
                .get(&self.cfg.list, id)
                .await?
                .ok_or_else(|| UwsError::NotFound(format!("there is no job '{id}'")))?;
            let now = Instant::now();
            if job.phase.is_final() || now >= deadline {
                return Ok(job);
            }
            let mut sub = self.watchers.subscribe(id, job.phase);
            if self.store.phase(id).await? != Some(job.phase) {
                continue;
            }
            let _ = tokio::time::timeout((deadline - now).min(WAIT_POLL), sub.changed()).await;
        }
    }

    /// Sets the execution duration while PENDING (403 otherwise); 0 asks for no limit. Returns the value set
    /// (the service caps it).
    pub async fn set_execution_duration(&self, id: &str, secs: u64) -> Result<u64, UwsError> {
        let secs = self.clamp_duration(secs);
        if !self.store.set_execution_duration(id, secs).await? {
            return Err(UwsError::Forbidden(
                "the execution duration can be changed only while the job is PENDING".into(),
            ));
        }
        Ok(secs)
    }

    /// Sets the destruction time, no later than the retention period allows; returns the time set.
    pub async fn set_destruction(
        &self,
        id: &str,
        t: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, UwsError> {
        let job = self
            .store
            .get(&self.cfg.list, id)
            .await?
            .ok_or_else(|| UwsError::NotFound(format!("there is no job '{id}'")))?;
        let t = self.clamp_destruction(job.creation, t);
        self.store.set_destruction(id, &t).await?;
        Ok(t)
    }

    /// Adds or replaces parameters while PENDING (403 otherwise); `inline` as in [`UwsService::create`].
    pub async fn update_params(
        &self,
        id: &str,
        mut params: Vec<Param>,
        inline: Vec<(String, PathBuf)>,
    ) -> Result<(), UwsError> {
        let job = self
            .store
            .get(&self.cfg.list, id)
            .await?
            .ok_or_else(|| UwsError::NotFound(format!("there is no job '{id}'")))?;
        let frozen = || {
            UwsError::Forbidden(format!(
                "parameters can be changed only while the job is PENDING; this one is {}",
                job.phase
            ))
        };
        if job.phase != Phase::Pending {
            return Err(frozen());
        }
        for (name, file) in inline {
            self.bytes
                .put_file(id, &file, &JobBytes::param_key(id, &name))
                .await?;
            params.push(Param {
                value: format!("{}/parameters/{}", self.job_url(id), key_segment(&name)),
                name,
                by_reference: true,
                is_post: true,
            });
        }
        if !self.store.update_params(id, &params).await? {
            return Err(frozen());
        }
        Ok(())
    }

    /// A result of a job the caller may see: its record and, when it is in the byte store, its key.
    pub async fn result(
        &self,
        id: &str,
        caller: Option<&str>,
        name: &str,
    ) -> Result<(ResultRef, Option<String>), UwsError> {
        let job = self.get(id, caller).await?;
        let Some(r) = job.results.into_iter().find(|r| r.id == name) else {
            // Some clients fetch the result even of a failed job and show this body: make it the reason.
            return Err(UwsError::NotFound(match &job.error {
                Some(e) => format!(
                    "job {id} failed, so it has no result '{name}': {}",
                    e.message
                ),
                None => format!("job {id} has no result '{name}' (phase {})", job.phase),
            }));
        };
        let key = r.href.is_none().then(|| JobBytes::result_key(id, name));
        Ok((r, key))
    }

    /// The error detail document of a failed job: its key and MIME type.
    pub async fn error_detail(&self, id: &str) -> Result<Option<(String, String)>, UwsError> {
        Ok(self
            .store
            .error_detail_mime(id)
            .await?
            .map(|m| (JobBytes::error_key(id), m)))
    }
}

/// Parses an execution duration in seconds (UWS 1.1 §2.2.3.3; 0 means unlimited).
pub(crate) fn parse_duration(v: &str) -> Result<u64, UwsError> {
    v.trim().parse::<u64>().map_err(|_| {
        UwsError::BadRequest(format!(
            "EXECUTIONDURATION={v} is not a whole number of seconds (0 for no limit)"
        ))
    })
}

/// Parses a destruction time (ISO 8601, UTC when no zone is given).
pub(crate) fn parse_destruction(v: &str) -> Result<DateTime<Utc>, UwsError> {
    crate::model::parse_time(v).ok_or_else(|| {
        UwsError::BadRequest(format!(
            "DESTRUCTION={v} is not an ISO 8601 time such as 2030-01-01T00:00:00Z"
        ))
    })
}
