//! pullToVoSpace (§6.4.2): the service reads the bytes from an `http://` endpoint into the target node, streaming
//! (bounded memory) through the same upload path as client uploads (quota, size limit, all-or-nothing commit).
//! Typical source: a TAP job result (`.../tap/async/{id}/results/result`), which saves a query result into
//! VOSpace.
//!
//! The client is a small HTTP/1.1 reader over tokio (GET, `Content-Length` or chunked bodies, up to 5 redirects):
//! the actix client's futures are not `Send`, which a job runner must be, and a full client stack with TLS would
//! weigh more than the rest of this crate. `https://` sources are refused with a clear fault.

use crate::error::Fault;
use crate::path::NodePath;
use crate::perm::Caller;
use crate::service::{UploadMeta, Vospace};
use crate::transfer::TransferRequest;
use bytes::Bytes;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

const MAX_REDIRECTS: usize = 5;
const MAX_HEADER_BYTES: usize = 64 * 1024;

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
                svc.upload(node.clone(), local.body, &meta).await.map(|_| ())
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
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let (status, headers, reader) = get(&url).await?;
        if (300..400).contains(&status) {
            let loc = header(&headers, "location")
                .ok_or_else(|| Fault::InvalidData(format!("{url}: redirect without Location")))?;
            url = resolve_location(&url, loc);
            continue;
        }
        if status != 200 {
            return Err(Fault::InvalidData(format!("{url} answered HTTP {status}")));
        }
        let chunked = header(&headers, "transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = if chunked {
            None
        } else {
            header(&headers, "content-length").and_then(|v| v.trim().parse().ok())
        };
        let meta = UploadMeta {
            length,
            content_type: header(&headers, "content-type").map(str::to_string),
            md5_base64: None,
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(8);
        let pump = tokio::spawn(async move {
            let r = if chunked {
                pump_chunked(reader, &tx).await
            } else {
                pump_plain(reader, length, &tx).await
            };
            if let Err(e) = r {
                let _ = tx.send(Err(e)).await;
            }
        });
        let body = tokio_stream::wrappers::ReceiverStream::new(rx);
        let r = svc.upload(node, body, &meta).await;
        pump.abort();
        return r.map(|_| ());
    }
    Err(Fault::InvalidData(format!(
        "{url}: more than {MAX_REDIRECTS} redirects"
    )))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn resolve_location(base: &str, loc: &str) -> String {
    if loc.starts_with("http://") || loc.starts_with("https://") {
        return loc.to_string();
    }
    let origin_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|s| base[s..].find('/').map(|j| s + j))
        .unwrap_or(base.len());
    if loc.starts_with('/') {
        format!("{}{loc}", &base[..origin_end])
    } else {
        let dir = base
            .rfind('/')
            .filter(|&i| i >= origin_end)
            .map(|i| &base[..=i])
            .unwrap_or(base);
        format!("{dir}{loc}")
    }
}

type Reader = BufReader<TcpStream>;

async fn get(url: &str) -> Result<(u16, Vec<(String, String)>, Reader), Fault> {
    let bad = |m: &str| Fault::InvalidUri(format!("{url}: {m}"));
    let rest = if let Some(r) = url.strip_prefix("http://") {
        r
    } else if url.starts_with("https://") {
        return Err(Fault::ProtocolNotSupported(format!(
            "{url}: this service reads http:// sources only (no TLS client is built in)"
        )));
    } else {
        return Err(bad("only http:// sources can be read"));
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if hostport.is_empty() || hostport.contains('@') {
        return Err(bad("no host, or credentials in the URL"));
    }
    let addr = if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !hostport.ends_with(']')
    {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let path = path.split('#').next().unwrap_or(path);
    let mut stream = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        TcpStream::connect(&addr),
    )
    .await
    .map_err(|_| Fault::InvalidData(format!("{url}: connection timed out")))?
    .map_err(|e| Fault::InvalidData(format!("{url}: {e}")))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: almagest-vospace\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| Fault::InvalidData(format!("{url}: {e}")))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut total = 0;
    reader
        .read_line(&mut line)
        .await
        .map_err(|e| Fault::InvalidData(format!("{url}: {e}")))?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Fault::InvalidData(format!("{url}: not an HTTP response")))?;
    let mut headers = vec![];
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .await
            .map_err(|e| Fault::InvalidData(format!("{url}: {e}")))?;
        total += n;
        if n == 0 || total > MAX_HEADER_BYTES {
            return Err(Fault::InvalidData(format!(
                "{url}: truncated or oversized response headers"
            )));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok((status, headers, reader))
}

async fn pump_plain(
    mut r: Reader,
    length: Option<u64>,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, String>>,
) -> Result<(), String> {
    let mut left = length;
    loop {
        let want = left.map_or(64 * 1024, |l| l.min(64 * 1024) as usize);
        if want == 0 {
            return Ok(());
        }
        let mut buf = vec![0u8; want];
        let n = r.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return match left {
                Some(l) if l > 0 => {
                    Err(format!("the source closed the connection {l} bytes early"))
                }
                _ => Ok(()),
            };
        }
        buf.truncate(n);
        if let Some(l) = left.as_mut() {
            *l -= n as u64;
        }
        if tx.send(Ok(Bytes::from(buf))).await.is_err() {
            return Ok(());
        }
    }
}

async fn pump_chunked(
    mut r: Reader,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, String>>,
) -> Result<(), String> {
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.map_err(|e| e.to_string())?;
        let size_text = line.trim().split(';').next().unwrap_or("");
        let mut size = u64::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size '{}'", line.trim()))?;
        if size == 0 {
            return Ok(());
        }
        while size > 0 {
            let mut buf = vec![0u8; size.min(64 * 1024) as usize];
            r.read_exact(&mut buf)
                .await
                .map_err(|e| format!("the source ended inside a chunk: {e}"))?;
            size -= buf.len() as u64;
            if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                return Ok(());
            }
        }
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).await.map_err(|e| e.to_string())?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(resolve_location("http://h:1/a/b?x", "/c"), "http://h:1/c");
        assert_eq!(resolve_location("http://h/a/b", "c"), "http://h/a/c");
        assert_eq!(resolve_location("http://h/a/b", "http://o/z"), "http://o/z");
    }
}
