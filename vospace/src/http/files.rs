//! The byte endpoints: `/files/{path}` (the CADC files-proto: GET the bytes of a node by path, also PUT) and
//! `/bytes/{ticket}` (the httpget/httpput endpoints handed out by transfer negotiation, pre-authorised for one
//! node and one direction). Downloads stream from the byte store with HTTP Range; uploads stream into a new
//! object committed only when complete, within quota and matching the announced digest.

use super::{caller, node_path};
use crate::error::Fault;
use crate::model::{Node, props};
use crate::path::NodePath;
use crate::perm::Caller;
use crate::service::{UploadMeta, Vospace};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use futures_util::StreamExt as _;

/// GET/HEAD `/files/{path}`.
pub async fn get_by_path(req: HttpRequest, svc: web::Data<Vospace>) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let caller = caller(&req, &svc).await?;
    let node = svc.readable_data(&caller, &path).await?;
    serve(&req, &svc, &node).await
}

/// PUT `/files/{path}`: upload with the caller's own credentials.
pub async fn put_by_path(
    req: HttpRequest,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let caller = caller(&req, &svc).await?;
    receive(&req, &svc, &caller, &path, None, body).await
}

async fn ticket_caller(svc: &Vospace, ticket: &crate::store::Ticket) -> Result<Caller, Fault> {
    let principal = ticket
        .caller
        .as_ref()
        .map(|n| accounts::Principal { name: n.clone() });
    svc.caller(principal.as_ref()).await
}

/// GET/HEAD `/bytes/{ticket}` (pullFromVoSpace endpoints).
pub async fn get_by_ticket(
    req: HttpRequest,
    svc: web::Data<Vospace>,
    id: web::Path<String>,
) -> Result<HttpResponse, Fault> {
    let ticket = svc
        .store
        .ticket(&id)
        .await?
        .filter(|t| t.direction == "pullFromVoSpace")
        .ok_or_else(|| {
            Fault::InvalidToken(format!(
                "transfer endpoint '{id}' is unknown or has expired: negotiate a new transfer"
            ))
        })?;
    let caller = ticket_caller(&svc, &ticket).await?;
    let node = svc.readable_data(&caller, &ticket.path).await?;
    serve(&req, &svc, &node).await
}

/// PUT `/bytes/{ticket}` (pushToVoSpace endpoints).
pub async fn put_by_ticket(
    req: HttpRequest,
    svc: web::Data<Vospace>,
    id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let ticket = svc
        .store
        .ticket(&id)
        .await?
        .filter(|t| t.direction == "pushToVoSpace")
        .ok_or_else(|| {
            Fault::InvalidToken(format!(
                "transfer endpoint '{id}' is unknown or has expired: negotiate a new transfer"
            ))
        })?;
    let caller = ticket_caller(&svc, &ticket).await?;
    let owner = ticket.caller.clone();
    receive(&req, &svc, &caller, &ticket.path, owner.as_deref(), body).await
}

fn md5_base64(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    bytes.map(|b| base64::engine::general_purpose::STANDARD.encode(b))
}

async fn serve(req: &HttpRequest, svc: &Vospace, node: &Node) -> Result<HttpResponse, Fault> {
    let len = node.length.max(0) as u64;
    let range = crate::bytes::parse_range(
        req.headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok()),
        len,
    )?;
    let mime = node
        .prop(props::TYPE)
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut r = HttpResponse::build(if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    r.insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"{}\"",
                node.path.name().replace(['"', '\\', '\r', '\n'], "_")
            ),
        ));
    if let Some(b64) = node.md5.as_deref().and_then(md5_base64) {
        r.insert_header(("Digest", format!("md5={b64}")));
    }
    if let Some(md5) = &node.md5 {
        r.insert_header((header::ETAG, format!("\"{md5}\"")));
    }
    let range = match range {
        Some(rg) => {
            r.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{len}", rg.start, rg.end - 1),
            ));
            rg
        }
        None => 0..len,
    };
    let body_len = range.end - range.start;
    if req.method() == actix_web::http::Method::HEAD {
        // a sized empty body: actix then announces the length without sending anything
        let none = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
        return Ok(r.body(actix_web::body::SizedStream::new(body_len, Box::pin(none))));
    }
    let Some(key) = &node.blob else {
        return Ok(r.body(""));
    };
    if body_len == 0 {
        return Ok(r.body(""));
    }
    let stream = svc.bytes.read(key, range).await?;
    r.no_chunking(body_len);
    Ok(r.streaming(stream))
}

/// The MD5 the client announced: `digest: md5=<base64>` (CADC), `Content-MD5: <base64>`.
fn announced_md5(req: &HttpRequest) -> Option<String> {
    if let Some(d) = req.headers().get("digest").and_then(|v| v.to_str().ok()) {
        for part in d.split(',') {
            if let Some((alg, v)) = part.trim().split_once('=')
                && alg.trim().eq_ignore_ascii_case("md5")
            {
                return Some(v.trim().to_string());
            }
        }
    }
    req.headers()
        .get("content-md5")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

async fn receive(
    req: &HttpRequest,
    svc: &Vospace,
    caller: &Caller,
    path: &NodePath,
    owner: Option<&str>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    if path.name() == ".null" {
        // the bit bucket (§3.1): read and discard
        let mut body = body;
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
        return Ok(HttpResponse::Ok().finish());
    }
    let length = match req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) => Some(
            v.trim()
                .parse::<u64>()
                .map_err(|_| Fault::InvalidArgument(format!("bad Content-Length '{v}'")))?,
        ),
        None => None,
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|t| !t.starts_with("application/x-www-form-urlencoded"));
    let meta = UploadMeta {
        length,
        content_type,
        md5_base64: announced_md5(req),
    };
    let existed = svc.store.get(path).await?.is_some();
    let node = svc.upload_target(caller, path, owner).await?;
    let node = match svc.upload(node.clone(), body, &meta).await {
        Ok(n) => n,
        Err(f) => {
            if !existed {
                svc.discard_if_empty(&node).await;
            }
            return Err(f);
        }
    };
    let mut r = HttpResponse::build(if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    });
    if let Some(b64) = node.md5.as_deref().and_then(md5_base64) {
        r.insert_header(("Digest", format!("md5={b64}")));
    }
    Ok(r.content_type("text/plain; charset=utf-8").body(format!(
        "stored {} bytes in {}\n",
        node.length,
        svc.ids.uri(&node.path)
    )))
}
