//! A small HTTP/1.1 GET client for tables and files given by URL (TAP `UPLOAD=t,http://...`, VOSpace
//! pullToVoSpace): one request per connection, redirects followed, `Content-Length` or chunked bodies, a time limit
//! on every step and a cap on the body size.
//!
//! Written on tokio rather than taken from a client crate: the actix client's futures are not `Send` (a job runner
//! must be), and a full client stack would weigh more than the services that use it. `https://` goes through
//! rustls (ring provider) with the Mozilla roots of `webpki-roots`.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
};
use tokio::net::TcpStream;

/// A connection, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The TLS client settings of `get`: the Mozilla roots.
fn default_tls() -> Result<Arc<rustls::ClientConfig>, HttpGetError> {
    static TLS: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        tls_config(roots).map(Arc::new).map_err(|e| e.to_string())
    })
    .clone()
    .map_err(HttpGetError::Transfer)
}

/// Client settings trusting `roots`, on the ring provider (whichever provider the process installed, if any).
pub fn tls_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, HttpGetError> {
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| HttpGetError::Transfer(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Why a GET failed; the message names the URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpGetError {
    /// Not an `http://` URL we can read.
    #[error("{0}")]
    Url(String),
    /// The server could not be reached, answered badly or too slowly.
    #[error("{0}")]
    Transfer(String),
    /// The server answered with an HTTP error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL asked for last (after redirects).
        url: String,
        /// Its status code.
        status: u16,
    },
    /// The body is larger than allowed.
    #[error("{url} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
}

/// Limits of one GET.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time allowed for connecting and for each read.
    pub step_timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
    /// Redirects followed.
    pub max_redirects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            step_timeout: Duration::from_secs(30),
            max_bytes: u64::MAX,
            max_redirects: 5,
        }
    }
}

/// The response to a GET, headers read, body not yet.
pub struct Response {
    /// The URL that answered (after redirects).
    pub url: String,
    /// Response headers in order.
    pub headers: Vec<(String, String)>,
    body: Body,
    limits: Limits,
    read: u64,
}

enum Body {
    /// `Content-Length` bytes, or until the connection closes when `None`.
    Plain(Option<u64>),
    /// Chunked: bytes left in the current chunk, `None` before the first chunk header; `Some(0)` + `done` at the end.
    Chunked { left: Option<u64>, done: bool },
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// GETs `url`, following redirects, and returns the response of status 200 with its body unread.
pub async fn get(url: &str, limits: Limits) -> Result<(Response, Reader), HttpGetError> {
    get_with(url, limits, None).await
}

/// [`get`] with the TLS settings given (tests: a private root), or the default ones.
async fn get_with(
    url: &str,
    limits: Limits,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<(Response, Reader), HttpGetError> {
    let mut url = url.to_string();
    for _ in 0..=limits.max_redirects {
        let (status, headers, reader) = request(&url, limits.step_timeout, tls.clone()).await?;
        if (300..400).contains(&status) {
            let loc = header(&headers, "location").ok_or_else(|| {
                HttpGetError::Transfer(format!("{url}: redirect without Location"))
            })?;
            url = resolve_location(&url, loc);
            continue;
        }
        if status != 200 {
            return Err(HttpGetError::Status { url, status });
        }
        let chunked = header(&headers, "transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let body = if chunked {
            Body::Chunked {
                left: None,
                done: false,
            }
        } else {
            let length =
                header(&headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(n) = length
                && n > limits.max_bytes
            {
                return Err(HttpGetError::TooLarge {
                    url,
                    limit: limits.max_bytes,
                });
            }
            Body::Plain(length)
        };
        return Ok((
            Response {
                url,
                headers,
                body,
                limits,
                read: 0,
            },
            reader,
        ));
    }
    Err(HttpGetError::Transfer(format!(
        "{url}: more than {} redirects",
        limits.max_redirects
    )))
}

/// GETs `url` into the file `dest` (created or truncated), within the limits; the file is removed on failure.
pub async fn get_to_file(url: &str, dest: &Path, limits: Limits) -> Result<u64, HttpGetError> {
    get_to_file_with(url, dest, limits, None).await
}

async fn get_to_file_with(
    url: &str,
    dest: &Path,
    limits: Limits,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<u64, HttpGetError> {
    let result = async {
        let (mut resp, mut reader) = get_with(url, limits, tls).await?;
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| HttpGetError::Transfer(format!("{}: {e}", dest.display())))?;
        while let Some(chunk) = resp.next_chunk(&mut reader).await? {
            file.write_all(&chunk)
                .await
                .map_err(|e| HttpGetError::Transfer(format!("{}: {e}", dest.display())))?;
        }
        file.flush()
            .await
            .map_err(|e| HttpGetError::Transfer(format!("{}: {e}", dest.display())))?;
        Ok(resp.read)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(dest).await;
    }
    result
}

/// The connection a response body is read from.
pub type Reader = BufReader<Box<dyn Io>>;

impl Response {
    /// A response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body length announced by the server, if any (not for chunked bodies).
    pub fn content_length(&self) -> Option<u64> {
        match self.body {
            Body::Plain(n) => n,
            Body::Chunked { .. } => None,
        }
    }

    /// The next piece of the body (up to 64 KiB), `None` at its end.
    pub async fn next_chunk(&mut self, r: &mut Reader) -> Result<Option<Vec<u8>>, HttpGetError> {
        let url = self.url.clone();
        let t = self.limits.step_timeout;
        let io = |e: std::io::Error| HttpGetError::Transfer(format!("{url}: {e}"));
        let timed = |what: &str| {
            HttpGetError::Transfer(format!("{}: no data for {t:?} ({what})", self.url))
        };
        let piece = match &mut self.body {
            Body::Plain(left) => {
                let want = left.map_or(64 * 1024, |l| l.min(64 * 1024) as usize);
                if want == 0 {
                    return Ok(None);
                }
                let mut buf = vec![0u8; want];
                let n = tokio::time::timeout(t, r.read(&mut buf))
                    .await
                    .map_err(|_| timed("body"))?
                    .map_err(io)?;
                if n == 0 {
                    return match left {
                        Some(l) if *l > 0 => Err(HttpGetError::Transfer(format!(
                            "{}: the server closed the connection {l} bytes early",
                            self.url
                        ))),
                        _ => Ok(None),
                    };
                }
                buf.truncate(n);
                if let Some(l) = left.as_mut() {
                    *l -= n as u64;
                }
                buf
            }
            Body::Chunked { left, done } => {
                if *done {
                    return Ok(None);
                }
                if left.is_none_or(|l| l == 0) {
                    if left.is_some() {
                        // the CRLF after the previous chunk's data
                        let mut crlf = [0u8; 2];
                        tokio::time::timeout(t, r.read_exact(&mut crlf))
                            .await
                            .map_err(|_| timed("chunk"))?
                            .map_err(io)?;
                    }
                    let mut line = String::new();
                    tokio::time::timeout(t, r.read_line(&mut line))
                        .await
                        .map_err(|_| timed("chunk"))?
                        .map_err(io)?;
                    let size_text = line.trim().split(';').next().unwrap_or("");
                    let size = u64::from_str_radix(size_text, 16).map_err(|_| {
                        HttpGetError::Transfer(format!(
                            "{}: bad chunk size '{}'",
                            self.url,
                            line.trim()
                        ))
                    })?;
                    if size == 0 {
                        *done = true;
                        return Ok(None);
                    }
                    *left = Some(size);
                }
                let l = left.unwrap_or(0);
                let mut buf = vec![0u8; l.min(64 * 1024) as usize];
                tokio::time::timeout(t, r.read_exact(&mut buf))
                    .await
                    .map_err(|_| timed("chunk"))?
                    .map_err(io)?;
                *left = Some(l - buf.len() as u64);
                buf
            }
        };
        self.read += piece.len() as u64;
        if self.read > self.limits.max_bytes {
            return Err(HttpGetError::TooLarge {
                url: self.url.clone(),
                limit: self.limits.max_bytes,
            });
        }
        Ok(Some(piece))
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A `Location` resolved against the URL that sent it.
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

/// Sends the request and reads the status line and headers.
async fn request(
    url: &str,
    t: Duration,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<(u16, Vec<(String, String)>, Reader), HttpGetError> {
    let bad = |m: &str| HttpGetError::Url(format!("{url}: {m}"));
    let (rest, secure) = if let Some(r) = url.strip_prefix("http://") {
        (r, false)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, true)
    } else {
        return Err(bad("only http:// and https:// URLs can be read"));
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if hostport.is_empty() || hostport.contains('@') {
        return Err(bad("no host, or credentials in the URL"));
    }
    let port_given = hostport
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok() && !hostport.ends_with(']'));
    let host = port_given.map_or(hostport, |(h, _)| h);
    let addr = if port_given.is_some() {
        hostport.to_string()
    } else {
        format!("{hostport}:{}", if secure { 443 } else { 80 })
    };
    let path = path.split('#').next().unwrap_or(path);
    let transfer = |e: std::io::Error| HttpGetError::Transfer(format!("{url}: {e}"));
    let timed = || HttpGetError::Transfer(format!("{url}: no answer within {t:?}"));
    let tcp = tokio::time::timeout(t, TcpStream::connect(&addr))
        .await
        .map_err(|_| timed())?
        .map_err(transfer)?;
    let mut stream: Box<dyn Io> = if secure {
        let cfg = match tls {
            Some(c) => c,
            None => default_tls()?,
        };
        let name = rustls::pki_types::ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        )
        .map_err(|e| bad(&format!("not a host name for TLS: {e}")))?;
        let tls_stream =
            tokio::time::timeout(t, tokio_rustls::TlsConnector::from(cfg).connect(name, tcp))
                .await
                .map_err(|_| timed())?
                .map_err(|e| HttpGetError::Transfer(format!("{url}: TLS: {e}")))?;
        Box::new(tls_stream)
    } else {
        Box::new(tcp)
    };
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: almagest\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.map_err(transfer)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    tokio::time::timeout(t, reader.read_line(&mut line))
        .await
        .map_err(|_| timed())?
        .map_err(transfer)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HttpGetError::Transfer(format!("{url}: not an HTTP response")))?;
    let mut headers = vec![];
    let mut total = 0;
    loop {
        line.clear();
        let n = tokio::time::timeout(t, reader.read_line(&mut line))
            .await
            .map_err(|_| timed())?
            .map_err(transfer)?;
        total += n;
        if n == 0 || total > MAX_HEADER_BYTES {
            return Err(HttpGetError::Transfer(format!(
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(resolve_location("http://h:1/a/b?x", "/c"), "http://h:1/c");
        assert_eq!(resolve_location("http://h/a/b", "c"), "http://h/a/c");
        assert_eq!(resolve_location("http://h/a/b", "http://o/z"), "http://o/z");
    }

    /// A one-shot server answering each connection with the next canned response.
    async fn serve(responses: Vec<Vec<u8>>) -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            for resp in responses {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(&resp).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn plain_chunked_redirect_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        let port = serve(vec![
            b"HTTP/1.1 302 Found\r\nLocation: /real\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n".to_vec(),
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
        ])
        .await;
        let u = format!("http://127.0.0.1:{port}/t");
        let n = get_to_file(&u, &dest, Limits::default()).await.unwrap();
        assert_eq!(
            (n, std::fs::read(&dest).unwrap()),
            (5, b"hello".to_vec()),
            "redirect followed"
        );
        get_to_file(&u, &dest, Limits::default()).await.unwrap();
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            b"abcde",
            "chunked body with an extension"
        );
        let small = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        let e = get_to_file(&u, &dest, small).await.unwrap_err();
        assert!(matches!(e, HttpGetError::TooLarge { .. }), "{e}");
        assert!(!dest.exists(), "a failed GET leaves no file");
        let e = get_to_file(&u, &dest, Limits::default()).await.unwrap_err();
        assert!(e.to_string().contains("HTTP 404"), "{e}");
        let e = get_to_file(&u, &dest, Limits::default()).await.unwrap_err();
        assert!(e.to_string().contains("7 bytes early"), "{e}");
        let e = get_to_file("ftp://example.org/x", &dest, Limits::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("only http:// and https://"), "{e}");
    }

    /// https:// against a local TLS server with a self-signed certificate: read when its root is trusted, refused
    /// (certificate check) with the default roots.
    #[tokio::test]
    async fn https_checks_the_certificate() {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = ck.cert.der().clone();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (s, _) = l.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut s) = acceptor.accept(s).await {
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf).await;
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
                            .await;
                        let _ = s.shutdown().await;
                    }
                });
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        let url = format!("https://127.0.0.1:{port}/t");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let trusted = Arc::new(tls_config(roots).unwrap());
        // the certificate names localhost, not 127.0.0.1: refused even with its root trusted
        let e = get_to_file_with(&url, &dest, Limits::default(), Some(trusted.clone()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("TLS"), "{e}");
        let url = format!("https://localhost:{port}/t");
        get_to_file_with(&url, &dest, Limits::default(), Some(trusted))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"secret");
        let e = get_to_file(&url, &dest, Limits::default())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("TLS") && e.to_string().contains("certificate"),
            "{e}"
        );
    }
}
