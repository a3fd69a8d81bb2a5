//! pullToVoSpace (§6.4.2): the service reads the bytes from an `http(s)://` endpoint into the target node, streaming
//! (bounded memory) through the same upload path as client uploads (quota, size limit, all-or-nothing commit).
//! Typical source: a TAP job result (`.../tap/async/{id}/results/result`), which saves a query result into
//! VOSpace.
//!
//! The bytes come through the HTTP GET client TAP uploads by URL use too (`almagest_common::http_get`: redirects,
//! `Content-Length` or chunked bodies, step timeouts, https through rustls).

use crate::error::Fault;
use crate::path::NodePath;
use crate::perm::Caller;
use crate::service::{UploadMeta, Vospace};
use crate::transfer::TransferRequest;
use bytes::Bytes;

/// Runs a pullToVoSpace transfer: tries each protocol endpoint in order (each once, §3.6.3) until one succeeds.
pub async fn pull_to_vospace(
    svc: &Vospace,
    caller: &Caller,
    target: &NodePath,
    req: &TransferRequest,
    ctx: &uws::RunContext,
) -> Result<NodePath, Fault> {
    let endpoints: Vec<&str> = req
        .protocols
        .iter()
        .filter_map(|p| p.endpoint.as_deref())
        .collect();
    if endpoints.is_empty() {
        return Err(Fault::InvalidArgument(
            "pullToVoSpace needs a <protocol> with an <endpoint> to read the data from".into(),
        ));
    }
    let target = if target.name() == ".auto" {
        target.parent().child(&crate::store::new_id())?
    } else {
        target.clone()
    };
    let mut errors = vec![];
    for url in endpoints {
        if ctx.is_cancelled() {
            return Err(Fault::Internal("the transfer was aborted".into()));
        }
        let existed = svc.store.get(&target).await?.is_some();
        let node = svc.upload_target(caller, &target, None).await?;
        svc.store.set_busy(&node, true).await?;
        let r = match svc.open_local(url, caller.name.as_deref()).await {
            Some(Ok(local)) => {
                let meta = UploadMeta {
                    length: local.length,
                    content_type: local.content_type,
                    md5_base64: None,
                };
                svc.upload(node.clone(), local.body, &meta)
                    .await
                    .map(|_| ())
            }
            Some(Err(f)) => Err(f),
            None => fetch_into(svc, node.clone(), url).await,
        };
        svc.store.set_busy(&node, false).await?;
        if r.is_err() && !existed {
            svc.discard_if_empty(&node).await;
        }
        match r {
            Ok(()) => return Ok(target),
            Err(
                f @ (Fault::QuotaExceeded(_) | Fault::TooLarge(_) | Fault::PermissionDenied(_)),
            ) => return Err(f),
            Err(f) => errors.push(format!("{url}: {f}")),
        }
    }
    Err(Fault::InvalidData(format!(
        "TransferFailed every endpoint failed: {}",
        errors.join("; ")
    )))
}

async fn fetch_into(svc: &Vospace, node: crate::model::Node, url: &str) -> Result<(), Fault> {
    use almagest_common::http_get::{self, HttpGetError};
    let (mut resp, mut reader) = http_get::get(url, http_get::Limits::default())
        .await
        .map_err(|e| match e {
            HttpGetError::Url(m) => Fault::InvalidUri(m),
            other => Fault::InvalidData(other.to_string()),
        })?;
    let meta = UploadMeta {
        length: resp.content_length(),
        content_type: resp.header("content-type").map(str::to_string),
        md5_base64: None,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(8);
    let pump = tokio::spawn(async move {
        loop {
            match resp.next_chunk(&mut reader).await {
                Ok(Some(piece)) => {
                    if tx.send(Ok(Bytes::from(piece))).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string())).await;
                    return;
                }
            }
        }
    });
    let body = tokio_stream::wrappers::ReceiverStream::new(rx);
    let r = svc.upload(node, body, &meta).await;
    pump.abort();
    r.map(|_| ())
}
