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
        let length = bytes.size(&key).await.map_err(fault)?.ok_or_else(|| {
            Fault::NodeNotFound(format!("TAP job {id} has lost its result '{name}'"))
        })?;
        let body = bytes.stream(&key, 0..length).await.map_err(fault)?;
        Ok(LocalBytes {
            length: Some(length),
            content_type: (!result.mime.is_empty()).then_some(result.mime),
            body,
        })
    }
}

impl LocalSource for TapResults {
    fn open<'a>(&'a self, url: &'a str, caller: Option<&'a str>) -> LocalOpen<'a> {
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

/// `UPLOAD=t,vos://...` in TAP: the node's bytes, read with the caller's VOSpace rights (links inside this
/// service followed), copied to a local file for the VOTable reader.
#[derive(Debug)]
pub struct VosTables {
    /// The VOSpace of this server.
    pub svc: Arc<vospace::Vospace>,
}

impl VosTables {
    async fn copy(
        &self,
        uri: &str,
        caller: Option<&str>,
        dest: &std::path::Path,
        max_bytes: u64,
    ) -> Result<(), String> {
        use futures_util::StreamExt as _;
        use tokio::io::AsyncWriteExt as _;
        let path = self.svc.ids.path_of(uri).map_err(|f| format!("{f}"))?;
        let principal = caller.map(|n| accounts::Principal {
            name: n.to_string(),
        });
        let who = self
            .svc
            .caller(principal.as_ref())
            .await
            .map_err(|f| format!("{f}"))?;
        let node = self
            .svc
            .readable_data(&who, &path)
            .await
            .map_err(|f| format!("{f}"))?;
        let length = node.length.max(0) as u64;
        if length > max_bytes {
            return Err(format!(
                "{uri} has {length} bytes, more than the {max_bytes} bytes an upload may have"
            ));
        }
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| format!("cannot spool {uri}: {e}"))?;
        if let Some(blob) = &node.blob {
            let mut body = self
                .svc
                .bytes
                .read(blob, 0..length)
                .await
                .map_err(|f| format!("reading {uri}: {f}"))?;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| format!("reading {uri}: {e}"))?;
                file.write_all(&chunk)
                    .await
                    .map_err(|e| format!("cannot spool {uri}: {e}"))?;
            }
        }
        file.flush()
            .await
            .map_err(|e| format!("cannot spool {uri}: {e}"))?;
        Ok(())
    }
}

impl almagest_tap::upload::RemoteTables for VosTables {
    fn fetch<'a>(
        &'a self,
        uri: &'a str,
        caller: Option<&'a str>,
        dest: &'a std::path::Path,
        max_bytes: u64,
    ) -> almagest_tap::upload::RemoteFetch<'a> {
        Box::pin(async move {
            if !uri.starts_with("vos://") {
                return None;
            }
            Some(self.copy(uri, caller, dest, max_bytes).await)
        })
    }
}
