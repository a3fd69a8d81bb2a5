//! Where the services of `almagest serve` meet: TAP job results as a source of VOSpace pullToVoSpace transfers
//! (read in-process with the caller's own rights, so a user's private job result can be saved into their space).

use std::sync::Arc;
use vospace::Fault;
use vospace::service::{LocalBytes, LocalOpen, LocalSource};

/// `<base_url>/tap/async/{id}/results/{name}` read from the TAP job list.
#[derive(Debug)]
pub struct TapResults {
    /// `<base_url>/tap/async/`.
    pub prefix: String,
    /// The TAP job list.
    pub jobs: Arc<uws::UwsService>,
}

fn fault(e: uws::UwsError) -> Fault {
    match e {
        uws::UwsError::NotFound(m) => Fault::NodeNotFound(format!("TAP job result: {m}")),
        uws::UwsError::Forbidden(m) => Fault::PermissionDenied(format!("TAP job result: {m}")),
        other => Fault::Internal(format!("reading the TAP job result: {other}")),
    }
}

impl TapResults {
    async fn read(&self, id: &str, name: &str, caller: Option<&str>) -> Result<LocalBytes, Fault> {
        let (result, key) = self.jobs.result(id, caller, name).await.map_err(fault)?;
        let Some(key) = key else {
            return Err(Fault::InvalidData(format!(
                "the result '{name}' of TAP job {id} is stored elsewhere ({})",
                result.href.unwrap_or_default()
            )));
        };
        let bytes = self.jobs.bytes();
        let length = bytes
            .size(&key)
            .await
            .map_err(fault)?
            .ok_or_else(|| Fault::NodeNotFound(format!("TAP job {id} has lost its result '{name}'")))?;
        let body = bytes.stream(&key, 0..length).await.map_err(fault)?;
        Ok(LocalBytes {
            length: Some(length),
            content_type: (!result.mime.is_empty()).then_some(result.mime),
            body,
        })
    }
}

impl LocalSource for TapResults {
    fn open<'a>(
        &'a self,
        url: &'a str,
        caller: Option<&'a str>,
    ) -> LocalOpen<'a> {
        Box::pin(async move {
            let rest = url.strip_prefix(&self.prefix)?;
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            let parts: Vec<&str> = rest.split('/').collect();
            match parts.as_slice() {
                [id, "results", name] if !id.is_empty() && !name.is_empty() => {
                    Some(self.read(id, name, caller).await)
                }
                _ => None,
            }
        })
    }
}
