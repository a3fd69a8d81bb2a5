//! A runner whose behaviour the job's parameters choose, for tests, benchmarks and trying the REST binding by
//! hand (it is what `uws-bench serve` runs):
//!
//! | parameter | effect |
//! |---|---|
//! | `SLEEP_MS=n` | work for n ms |
//! | `HANG=1` | work forever (until the engine drops the run) |
//! | `QUERY=sql` | run SQL on the read-only connections of the runner's database; the result is the row count |
//! | `FAIL=message` | fail (fatal) with that message and a small XML detail document |
//! | `OUT=text` | the text of result `result` (default `done`), written to a file |
//! | `STREAM=n` | also a result `stream` of n bytes, written straight into the byte store |
//! | `REF=url` | also a result `external` living at that URL |
//! | `ECHO=name` | the result is the content of inline (uploaded) parameter `name` |
//! | `REJECT=message` | refused when asked to run (the check fails) |

use crate::model::{ErrorType, Job};
use crate::runner::{JobFailure, JobRunner, NewResult, RunContext, RunOutcome};
use futures_util::StreamExt as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counters of what the runner saw.
#[derive(Debug, Default)]
pub struct DemoStats {
    /// Runs started.
    pub started: AtomicUsize,
    /// Runs whose work was dropped before finishing (cancelled).
    pub dropped: AtomicUsize,
    /// Runs that finished (successfully or not).
    pub finished: AtomicUsize,
}

/// The demo runner.
#[derive(Debug, Default, Clone)]
pub struct DemoRunner {
    /// What happened so far.
    pub stats: Arc<DemoStats>,
    /// The database of `QUERY=` jobs.
    pub db: Option<almagest_db::Database>,
}

/// Counts a run as dropped unless it was disarmed by finishing.
struct DropProbe(Arc<DemoStats>, bool);

impl Drop for DropProbe {
    fn drop(&mut self) {
        if self.1 {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl JobRunner for DemoRunner {
    fn check(&self, job: &Job) -> Result<(), JobFailure> {
        match job.param("REJECT") {
            Some(m) => Err(JobFailure::fatal(m)),
            None => Ok(()),
        }
    }

    fn run(&self, job: Job, ctx: RunContext) -> Pin<Box<dyn Future<Output = RunOutcome> + Send>> {
        let me = self.clone();
        Box::pin(async move {
            me.stats.started.fetch_add(1, Ordering::SeqCst);
            let mut probe = DropProbe(me.stats.clone(), true);
            let out = me.work(&job, &ctx).await;
            probe.1 = false;
            me.stats.finished.fetch_add(1, Ordering::SeqCst);
            out
        })
    }
}

impl DemoRunner {
    async fn work(&self, job: &Job, ctx: &RunContext) -> RunOutcome {
        let io = |e: std::io::Error| JobFailure::transient(format!("writing the result: {e}"));
        if let Some(ms) = job.param("SLEEP_MS").and_then(|v| v.parse().ok()) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if job.param("HANG").is_some() {
            // Work that ignores the token: only the engine dropping it stops it.
            std::future::pending::<()>().await;
        }
        let mut out = job.param("OUT").unwrap_or("done").to_string();
        if let Some(sql) = job.param("QUERY") {
            let db = self
                .db
                .as_ref()
                .ok_or_else(|| JobFailure::fatal("this runner has no database"))?;
            let (mut rows, _control) = db.stream_query(sql.to_string(), None);
            let mut n = 0u64;
            while let Some(row) = rows.next().await {
                row.map_err(|e| JobFailure::fatal(e.to_string()))?;
                n += 1;
            }
            out = n.to_string();
        }
        if let Some(name) = job.param("ECHO") {
            out = tokio::fs::read_to_string(ctx.inline_param(name))
                .await
                .map_err(|e| JobFailure::fatal(format!("reading inline parameter {name}: {e}")))?;
        }
        if let Some(msg) = job.param("FAIL") {
            return Err(JobFailure {
                message: msg.to_string(),
                kind: ErrorType::Fatal,
                detail: Some((
                    format!("<detail>{}</detail>", crate::xml::esc(msg)).into_bytes(),
                    "text/xml".into(),
                )),
            });
        }
        let path = ctx.result_path("result");
        tokio::fs::write(&path, out).await.map_err(io)?;
        if let Some(n) = job.param("STREAM").and_then(|v| v.parse::<usize>().ok()) {
            let mut w = ctx
                .create_result("stream", "application/octet-stream")
                .await
                .map_err(|e| JobFailure::transient(e.to_string()))?;
            let mut left = n;
            while left > 0 {
                let k = left.min(64 * 1024);
                w.write(vec![b'x'; k])
                    .await
                    .map_err(|e| JobFailure::transient(e.to_string()))?;
                left -= k;
            }
            w.close()
                .await
                .map_err(|e| JobFailure::transient(e.to_string()))?;
        }
        if let Some(url) = job.param("REF") {
            ctx.add_result_ref("external", url, Some("text/html"));
        }
        Ok(vec![NewResult {
            id: "result".into(),
            mime: "text/plain".into(),
        }])
    }
}
