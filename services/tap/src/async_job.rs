//! TAP `/async` (TAP 1.1 §2.2): queries as UWS jobs. The runner executes the same pipeline as `/sync` into the
//! job's result file; failures keep the TAP error VOTable as the job's error document (served at `/error`).

use crate::error::TapError;
use crate::query::{NoDrain, execute, prepare};
use crate::request::TapRequest;
use crate::service::TapState;
use crate::upload;
use almagest_common::params::{Param as DaliParam, Params};
use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use uws::{Job, JobFailure, JobRunner, NewResult, RunContext};

/// Runs TAP queries for the UWS engine.
#[derive(Debug)]
pub struct TapJobRunner {
    /// The service state (catalogue, database, limits).
    pub state: Arc<TapState>,
}

struct JobFiles {
    ctx: RunContext,
    names: Vec<String>,
}

impl upload::InlineFiles for JobFiles {
    fn path(&self, name: &str) -> Option<PathBuf> {
        self.names
            .iter()
            .any(|n| n == name)
            .then(|| self.ctx.inline_param(name))
            .filter(|p| p.exists())
    }
}

fn failure(e: TapError) -> JobFailure {
    let kind = match e {
        TapError::Timeout(_) | TapError::Unavailable(_) | TapError::Internal(_) => {
            uws::ErrorType::Transient
        }
        _ => uws::ErrorType::Fatal,
    };
    JobFailure {
        message: e.to_string(),
        kind,
        detail: Some((e.votable().into_bytes(), "application/x-votable+xml".into())),
    }
}

impl JobRunner for TapJobRunner {
    fn run(
        &self,
        job: Job,
        ctx: RunContext,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<NewResult>, JobFailure>> + Send>> {
        let state = self.state.clone();
        Box::pin(async move { run(state, job, ctx).await.map_err(failure) })
    }
}

async fn run(state: Arc<TapState>, job: Job, ctx: RunContext) -> Result<Vec<NewResult>, TapError> {
    let mut params = Params::default();
    let mut inline = Vec::new();
    for p in &job.params {
        if p.by_reference {
            inline.push(p.name.clone());
        } else {
            params.params.push(DaliParam {
                name: p.name.clone(),
                value: p.value.clone(),
            });
        }
    }
    let treq = TapRequest::from_params(&params)?;
    let snapshot = state.snapshot().await;
    let files = JobFiles {
        ctx: ctx.clone(),
        names: inline,
    };
    let mut uploads = upload::load(
        &state.rw,
        &treq.uploads,
        &files,
        state.config.limits.upload_max_rows,
        state.remote(job.owner.as_deref()),
    )
    .await?;
    let result = async {
        let prepared = {
            let catalog = upload::WithUploads::new(&*snapshot, &uploads);
            prepare(&treq, &catalog, state.dialect(), state.query_limits())?
        };
        let mime = match &treq.format {
            Some(f) if f.contains('/') => f.clone(),
            _ => prepared.format.content_type().to_string(),
        };
        let path = ctx.result_path("result");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| TapError::Internal(e.to_string()))?;
        }
        let file = std::fs::File::create(&path)
            .map_err(|e| TapError::Internal(format!("creating the result: {e}")))?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, file);
        {
            let mut writer = formats::writer_for(prepared.format, &mut out);
            let meta = state.result_meta(&treq);
            // The engine enforces the execution duration by dropping this future, which cancels the query.
            execute(
                &state.db,
                &prepared,
                &meta,
                writer.as_mut(),
                &mut NoDrain,
                None,
            )
            .await?;
        }
        out.flush()
            .map_err(|e| TapError::Internal(format!("writing the result: {e}")))?;
        Ok(vec![NewResult {
            id: "result".into(),
            mime,
        }])
    }
    .await;
    uploads.drop_all(&state.rw).await;
    result
}
