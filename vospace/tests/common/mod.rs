//! A real `almagest-vospace` app on 127.0.0.1:0 over a temporary SQLite file and a temporary local byte store,
//! with users alice, bob and carol (carol in group `team`), and a minimal HTTP/1.1 client.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub struct Env {
    pub base: String,
    pub addr: String,
    pub alice: String,
    pub bob: String,
    pub carol: String,
    pub dir: tempfile::TempDir,
    pub server: actix_web::dev::ServerHandle,
    pub service: vospace::VospaceService,
}

impl Env {
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// Every file under the byte store (relative paths).
    pub fn stored_files(&self) -> Vec<String> {
        fn walk(d: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            if let Ok(rd) = std::fs::read_dir(d) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, root, out);
                    } else {
                        out.push(p.strip_prefix(root).unwrap().display().to_string());
                    }
                }
            }
        }
        let mut out = vec![];
        walk(&self.store_dir(), &self.store_dir(), &mut out);
        out.sort();
        out
    }

    pub fn uri(&self, path: &str) -> String {
        format!("vos://example.org!vospace/{path}")
    }
}

pub async fn start() -> Env {
    start_with(|_| {}).await
}

pub async fn start_with(tune: impl FnOnce(&mut vospace::VospaceConfig)) -> Env {
    start_on(None, tune).await
}

/// Over a given byte store (`None`: a local directory in the temporary directory).
pub async fn start_on(
    op: Option<opendal::Operator>,
    tune: impl FnOnce(&mut vospace::VospaceConfig),
) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("state.sqlite").display());
    let db = almagest_db::Database::open(&db_url, &almagest_db::DbOptions::default())
        .await
        .unwrap();
    let pool = db.rw().clone();
    let accounts = accounts::Accounts::open(pool.clone()).await.unwrap();
    let alice = accounts
        .add_user("alice", Some("alice-password"))
        .await
        .unwrap();
    let bob = accounts.add_user("bob", None).await.unwrap();
    let carol = accounts.add_user("carol", None).await.unwrap();
    accounts.add_to_group("carol", "team").await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let base = format!("http://{addr}/vospace");
    let mut cfg = vospace::VospaceConfig::new("ivo://example.org/vospace", &base);
    tune(&mut cfg);
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let op = op.unwrap_or_else(|| {
        opendal::Operator::new(opendal::services::Fs::default().root(&store.display().to_string()))
            .unwrap()
    });
    let uws_cfg = vospace::VospaceService::uws_config(&base, dir.path().join("work"));
    let service = vospace::VospaceService::start(cfg, pool, op, Some(accounts.clone()), uws_cfg)
        .await
        .unwrap();
    let svc2 = service.clone();
    let accounts = actix_web::web::Data::new(accounts);
    let server = actix_web::HttpServer::new(move || {
        let s = svc2.clone();
        actix_web::App::new()
            .app_data(accounts.clone())
            .wrap(actix_web::middleware::from_fn(accounts::http::authenticate))
            .service(actix_web::web::scope("/vospace").configure(move |c| s.configure(c)))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Env {
        base,
        addr,
        alice,
        bob,
        carol,
        dir,
        server: handle,
        service,
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection. `auth` is a bearer token.
pub async fn req(
    method: &str,
    url: &str,
    auth: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    if let Some(t) = auth {
        h.push(("Authorization".into(), format!("Bearer {t}")));
    }
    raw(method, url, &h, body, None).await
}

/// Like [`req`], with a declared Content-Length that may differ from the body (to simulate a dropped upload).
pub async fn raw(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    declared_len: Option<usize>,
) -> Resp {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\n\r\n",
        declared_len.unwrap_or(body.len())
    ));
    s.write_all(head.as_bytes()).await.unwrap();
    if s.write_all(body).await.is_err() {
        return Resp {
            status: 0,
            headers: vec![],
            body: vec![],
        };
    }
    if declared_len.is_some_and(|d| d > body.len()) {
        // hang up halfway
        drop(s);
        return Resp {
            status: 0,
            headers: vec![],
            body: vec![],
        };
    }
    let mut buf = vec![];
    let _ = s.read_to_end(&mut buf).await;
    parse(&buf)
}

fn parse(buf: &[u8]) -> Resp {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = vec![];
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            rest = &rest[nl + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// A node document.
pub fn node_xml(uri: &str, kind: &str, props: &[(&str, &str)]) -> String {
    let mut p = String::new();
    for (u, v) in props {
        p.push_str(&format!("<vos:property uri=\"{u}\">{v}</vos:property>"));
    }
    format!(
        "<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" uri=\"{uri}\" xsi:type=\"vos:{kind}\"><vos:properties>{p}</vos:properties></vos:node>"
    )
}

pub fn link_xml(uri: &str, target: &str) -> String {
    format!(
        "<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" uri=\"{uri}\" xsi:type=\"vos:LinkNode\"><vos:target>{target}</vos:target></vos:node>"
    )
}

pub fn transfer_xml(
    target: &str,
    direction: &str,
    protocol: Option<&str>,
    keep: Option<bool>,
) -> String {
    let p = protocol
        .map(|p| format!("<vos:protocol uri=\"{p}\"/>"))
        .unwrap_or_default();
    let k = keep
        .map(|k| format!("<vos:keepBytes>{k}</vos:keepBytes>"))
        .unwrap_or_default();
    format!(
        "<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>{target}</vos:target><vos:direction>{direction}</vos:direction>{p}{k}</vos:transfer>"
    )
}

/// Validates a VOSpace document against VOSpace-2.1.xsd (patched), whose complex types are used as they are;
/// only the top-level element declarations are adapted: the XSD declares no `node` element and declares
/// `protocols`/`views`/`properties` with the list types although §6.1 answers accepts/provides lists (the
/// GetProtocolsResponse, GetViewsResponse and GetPropertiesResponse types of the same XSD). Skips (with a notice)
/// when xmllint or the schemas are missing.
pub fn xmllint_vospace(doc: &str) {
    let Some(dir) = almagest_common::testing::xsd_dir() else {
        eprintln!("skipping schema validation: ../shared/ivoa/xsd not found");
        return;
    };
    let dir = dir.canonicalize().unwrap();
    let xsd = std::fs::read_to_string(dir.join("patched/VOSpace-2.1.xsd")).unwrap();
    let start = xsd.find("<xs:element name=\"protocols\"").unwrap();
    let end = xsd.find("</xs:schema>").unwrap();
    let adapted = format!(
        "{}<xs:element name=\"node\" type=\"vos:Node\"/>\n<xs:element name=\"protocols\" type=\"vos:GetProtocolsResponse\"/>\n\
         <xs:element name=\"views\" type=\"vos:GetViewsResponse\"/>\n<xs:element name=\"properties\" type=\"vos:GetPropertiesResponse\"/>\n\
         <xs:element name=\"transfer\" type=\"vos:Transfer\"/>\n</xs:schema>\n",
        &xsd[..start]
    );
    let _ = end;
    let file = std::env::temp_dir().join(format!(
        "vospace-test-{}-{}.xsd",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::write(&file, adapted).unwrap();
    let child = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(&file)
        .arg("-")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipping schema validation: xmllint not installed");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "invalid against VOSpace-2.1.xsd:\n{}\n---\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn md5_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}
