//! The runner pool of a job list: a fixed number of slots taking jobs from the fair queue, each run raced
//! against its execution duration and its cancellation; recovery after a restart; the destruction sweeper;
//! shutdown.
//!
//! Who ends a job: the runner (COMPLETED or ERROR), the timer (ERROR, "execution duration exceeded"), ABORT
//! (ABORTED), shutdown (ERROR, "service shut down"). Each is one compare-and-set from EXECUTING, so exactly one
//! wins; the others find the job gone from EXECUTING and only clean up.

use crate::bytes::{JobBytes, key_segment};
use crate::error::UwsError;
use crate::model::{Phase, ResultRef};
use crate::runner::{JobFailure, RunContext, RunOutcome};
use crate::service::UwsService;
use chrono::Utc;
use futures_util::FutureExt as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often expired jobs are destroyed.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Jobs destroyed per store query of a sweep.
const SWEEP_BATCH: u64 = 500;

/// The message of a job that was executing when its process died.
pub const RESTARTED: &str =
    "the service restarted while this job was executing; please resubmit it";
/// The message of a job stopped by a shutdown.
pub const SHUT_DOWN: &str =
    "the service shut down while this job was executing; please resubmit it";

enum End {
    Ran(RunOutcome),
    TimedOut,
    Cancelled,
}

/// Removes a job from the running set however its run ends.
struct Running<'a> {
    svc: &'a UwsService,
    id: &'a str,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut r) = self.svc.running.lock() {
            r.remove(self.id);
        }
    }
}

impl UwsService {
    /// Puts right what a previous process left: EXECUTING jobs cannot be resumed (their work died with the
    /// process) and end in ERROR saying so; QUEUED jobs never started and are queued again, oldest first.
    pub(crate) async fn recover(&self) -> Result<(), UwsError> {
        let list = &self.cfg.list;
        for (id, _) in self.store.ids_in(list, Phase::Executing).await? {
            let _ = self.bytes.delete_temp(&id).await;
            let _ = self.bytes.delete_results(&id).await;
            self.fail(&id, &[Phase::Executing], JobFailure::transient(RESTARTED))
                .await?;
            tracing::warn!(job = %id, "job was executing when the service stopped: now ERROR");
        }
        for (id, owner) in self.store.ids_in(list, Phase::Queued).await? {
            self.queue.push(owner.as_deref(), id);
        }
        Ok(())
    }

    pub(crate) fn spawn_workers(self: &Arc<Self>) {
        for _ in 0..self.cfg.slots.max(1) {
            let svc = self.clone();
            tokio::spawn(async move {
                loop {
                    let id = tokio::select! {
                        biased;
                        _ = svc.stop.cancelled() => return,
                        id = svc.queue.pop() => id,
                    };
                    svc.execute(&id).await;
                }
            });
        }
        let svc = Arc::downgrade(self);
        let stop = self.stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(SWEEP_EVERY) => {}
                    _ = stop.cancelled() => return,
                }
                let Some(svc) = svc.upgrade() else { return };
                if let Err(e) = svc.destroy_expired().await {
                    tracing::warn!(error = %e, "destruction sweep failed");
                }
            }
        });
    }

    async fn execute(&self, id: &str) {
        if let Err(e) = self.execute_inner(id).await {
            tracing::error!(job = %id, error = %e, "job machinery failed");
            let failure = JobFailure::transient(format!("internal error: {e}"));
            let _ = self.fail(id, &[Phase::Executing], failure).await;
        }
        let _ = tokio::fs::remove_dir_all(self.scratch_dir(id)).await;
        let _ = self.bytes.delete_temp(id).await;
    }

    fn scratch_dir(&self, id: &str) -> PathBuf {
        crate::service::local_dir(&self.cfg, ".scratch").join(key_segment(id))
    }

    async fn execute_inner(&self, id: &str) -> Result<(), UwsError> {
        // The token is registered before the job enters EXECUTING, so an ABORT that sees EXECUTING finds it.
        let token = self.stop.child_token();
        if let Ok(mut r) = self.running.lock() {
            r.insert(id.to_string(), token.clone());
        }
        let _running = Running { svc: self, id };
        if self.stop.is_cancelled() {
            return Ok(()); // shutting down: the job stays QUEUED for the next start
        }
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
        let scratch = self.scratch_dir(id);
        tokio::fs::create_dir_all(scratch.join("results")).await?;
        let mut inline = Vec::new();
        for p in job.params.iter().filter(|p| p.by_reference) {
            let key = JobBytes::param_key(id, &p.name);
            let local = match self.bytes.local_path(&key) {
                Some(path) => path,
                None => {
                    let path = scratch.join("params").join(key_segment(&p.name));
                    self.bytes.fetch_to(&key, &path).await?;
                    path
                }
            };
            inline.push((p.name.clone(), local));
        }
        let ctx = RunContext {
            job_id: id.to_string(),
            bytes: self.bytes.clone(),
            scratch: scratch.clone(),
            cancel: token.clone(),
            published: Arc::new(Mutex::new(Vec::new())),
            inline: Arc::new(inline),
        };
        let limit =
            (job.execution_duration > 0).then(|| Duration::from_secs(job.execution_duration));
        let secs = job.execution_duration;
        let run = std::panic::AssertUnwindSafe(self.runner.run(job, ctx.clone())).catch_unwind();
        let end = tokio::select! {
            r = run => End::Ran(r.unwrap_or_else(|_| Err(JobFailure::transient("internal error: the job's runner failed unexpectedly")))),
            _ = async {
                match limit {
                    Some(l) => tokio::time::sleep(l).await,
                    None => std::future::pending().await,
                }
            } => End::TimedOut,
            _ = token.cancelled() => End::Cancelled,
        };
        // Whatever ended the run, work the runner handed elsewhere stops now.
        token.cancel();
        match end {
            End::TimedOut => {
                let msg = format!(
                    "execution duration of {secs} s exceeded: the job was stopped (ask for a longer \
                     EXECUTIONDURATION, or make the job smaller)"
                );
                self.bytes.delete_results(id).await?;
                self.fail(id, &[Phase::Executing], JobFailure::transient(msg))
                    .await?;
            }
            End::Cancelled => {
                self.bytes.delete_results(id).await?;
                if self.stop.is_cancelled() {
                    self.fail(id, &[Phase::Executing], JobFailure::transient(SHUT_DOWN))
                        .await?;
                }
            }
            End::Ran(Err(f)) => {
                self.bytes.delete_results(id).await?;
                self.fail(id, &[Phase::Executing], f).await?;
            }
            End::Ran(Ok(files)) => self.publish(id, &ctx, files).await?,
        }
        Ok(())
    }

    /// Moves result files into the byte store and completes the job with every result, atomically; if the job
    /// was aborted meanwhile, the results go.
    async fn publish(
        &self,
        id: &str,
        ctx: &RunContext,
        files: Vec<crate::runner::NewResult>,
    ) -> Result<(), UwsError> {
        let mut results: Vec<ResultRef> = Vec::new();
        for r in files {
            let file = ctx.result_path(&r.id);
            if tokio::fs::metadata(&file).await.is_err() {
                self.bytes.delete_results(id).await?;
                let msg = format!(
                    "internal error: the job reported a result '{}' it did not write",
                    r.id
                );
                self.fail(id, &[Phase::Executing], JobFailure::transient(msg))
                    .await?;
                return Ok(());
            }
            let size = self
                .bytes
                .put_file(id, &file, &JobBytes::result_key(id, &r.id))
                .await?;
            results.retain(|x| x.id != r.id);
            results.push(ResultRef {
                id: r.id,
                mime: r.mime,
                size,
                href: None,
            });
        }
        if let Ok(p) = ctx.published.lock() {
            for r in p.iter() {
                results.retain(|x| x.id != r.id);
                results.push(r.clone());
            }
        }
        if self.store.complete(id, &results).await? {
            self.notify(id, Phase::Completed);
        } else {
            self.bytes.delete_results(id).await?;
        }
        Ok(())
    }

    /// Destroys every job of this list whose destruction time has passed: bytes first, then the record.
    /// Returns how many went.
    pub async fn destroy_expired(&self) -> Result<usize, UwsError> {
        let mut n = 0;
        loop {
            let ids = self
                .store
                .expired(&self.cfg.list, &Utc::now(), SWEEP_BATCH)
                .await?;
            for id in &ids {
                self.delete(id).await?;
            }
            n += ids.len();
            if (ids.len() as u64) < SWEEP_BATCH {
                break;
            }
        }
        if n > 0 {
            tracing::info!(list = %self.cfg.list, jobs = n, "expired jobs destroyed");
        }
        Ok(n)
    }

    /// Stops the job list: no new jobs, runner slots stop taking jobs, executing jobs are cancelled and end in
    /// ERROR ("the service shut down ...; please resubmit it"); QUEUED jobs stay QUEUED and run after the next
    /// start. Returns when the cancelled runs have cleaned up (or after 10 s).
    pub async fn shutdown(&self) {
        self.stop.cancel();
        for _ in 0..200 {
            if self.running.lock().map(|r| r.is_empty()).unwrap_or(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(list = %self.cfg.list, "jobs still stopping after 10 s of shutdown");
    }
}
