//! Benchmarks of the UWS engine over real HTTP, and a stand-alone demo job list.
//!
//! ```text
//! uws-bench serve DIR [PORT]   serve a job list of the demo runner at http://127.0.0.1:PORT/async (state in DIR);
//!                              prints "listening on ADDR"; X-Test-User: NAME stands for an authenticated user
//! uws-bench bench [JOBS]       submissions/s, POST -> COMPLETED latency, list and job-page latency at JOBS jobs
//! ```
//! The `X-Test-User` header makes anyone anyone: this binary is for tests and measurements only.

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use uws::demo::DemoRunner;
use uws::{Store, UwsConfig, UwsService};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn config(dir: &Path, base_url: String) -> UwsConfig {
    UwsConfig {
        list: "bench".into(),
        base_url,
        slots: 4,
        default_execution_duration: 600,
        max_execution_duration: 3600,
        retention: Duration::from_secs(7 * 24 * 3600),
        max_active_per_owner: 0,
        max_wait: Duration::from_secs(300),
        dir: dir.join("jobs"),
    }
}

/// Starts the job list and an HTTP server on 127.0.0.1:port; returns the address and the service.
async fn serve(
    dir: &Path,
    port: u16,
) -> Res<(SocketAddr, Arc<UwsService>, actix_web::dev::ServerHandle)> {
    std::fs::create_dir_all(dir)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    let url = format!("sqlite://{}", dir.join("state.sqlite").display());
    let db = almagest_db::Database::open(&url, &almagest_db::DbOptions::default()).await?;
    let store = Store::open(db.rw().clone()).await?;
    let runner = DemoRunner {
        db: Some(db),
        ..Default::default()
    };
    let svc = UwsService::start(
        config(dir, format!("http://{addr}/async")),
        store,
        Arc::new(runner),
    )
    .await?;
    let app_svc = svc.clone();
    let server = actix_web::HttpServer::new(move || {
        let svc = app_svc.clone();
        actix_web::App::new()
            .wrap_fn(|req, srv| {
                use actix_web::HttpMessage as _;
                let user = req
                    .headers()
                    .get("x-test-user")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if let Some(name) = user {
                    req.extensions_mut().insert(accounts::Principal { name });
                }
                actix_web::dev::Service::call(srv, req)
            })
            .service(actix_web::web::scope("/async").configure(move |c| svc.configure(c)))
    })
    .workers(2)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((addr, svc, handle))
}

/// A minimal HTTP/1.1 exchange (one request per connection): status, Location header and body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    form: &str,
    user: Option<&str>,
) -> Res<(u16, String, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let user = user
        .map(|u| format!("X-Test-User: {u}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{user}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or("")
        .to_string();
    Ok((status, location, body.to_string()))
}

fn job_path(location: &str) -> String {
    format!("/async/{}", location.rsplit('/').next().unwrap_or(""))
}

fn phase(doc: &str) -> &str {
    doc.split("<uws:phase>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.2?}, p95 {:.2?}, max {:.2?} (n={})",
        at(0.5),
        at(0.95),
        at(1.0),
        v.len()
    )
}

async fn bench(jobs: usize) -> Res<()> {
    let dir = std::env::temp_dir().join(format!("uws-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (addr, svc, handle) = serve(&dir, 0).await?;
    // 1. submissions per second (POST /async -> 303), 4 clients at once
    let n = 2000;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..4 {
        tasks.push(tokio::spawn(async move {
            for i in 0..n / 4 {
                let form = format!("REQUEST=doQuery&LANG=ADQL&QUERY=SELECT+{c}+{i}&RUNID=bench");
                let (st, _, _) = http(addr, "POST", "/async", &form, Some("bench")).await?;
                if st != 303 {
                    return Err(format!("POST gave {st}").into());
                }
            }
            Res::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "submissions: {n} POST /async in {secs:.2} s = {:.0} jobs/s (4 concurrent clients)",
        n as f64 / secs
    );

    // 2. POST (PHASE=RUN) -> COMPLETED latency of a trivial job, seen by a client using WAIT=-1
    let mut lat = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let (_, loc, _) = http(addr, "POST", "/async", "OUT=x&PHASE=RUN", None).await?;
        let path = job_path(&loc);
        loop {
            let (_, _, doc) = http(addr, "GET", &format!("{path}?WAIT=-1"), "", None).await?;
            if phase(&doc) == "COMPLETED" {
                break;
            }
        }
        lat.push(t.elapsed());
    }
    println!("POST -> COMPLETED (client sees it): {}", stats(lat));

    // 3. how fast a blocked WAIT returns once the phase changes: a client waits on a PENDING job, another sends
    //    PHASE=RUN; measured from sending RUN to the waiter's answer (an upper bound: it includes the RUN request)
    let (mut wake, mut run_rt) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let (_, loc, _) = http(addr, "POST", "/async", "SLEEP_MS=1000", None).await?;
        let path = job_path(&loc);
        let waiter = {
            let path = path.clone();
            tokio::spawn(async move {
                let r = http(addr, "GET", &format!("{path}?WAIT=30"), "", None).await;
                (Instant::now(), r)
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await; // the waiter is blocked by now
        let t0 = Instant::now();
        http(addr, "POST", &format!("{path}/phase"), "PHASE=RUN", None).await?;
        run_rt.push(t0.elapsed());
        let (t1, r) = waiter.await?;
        let (_, _, doc) = r?;
        if phase(&doc) == "PENDING" {
            return Err("WAIT returned without a phase change".into());
        }
        wake.push(t1 - t0);
    }
    println!(
        "WAIT wake-up after PHASE=RUN is sent: {}; the RUN request alone: {}",
        stats(wake),
        stats(run_rt)
    );

    // 4. list and job pages as one owner's jobs grow from 100 to JOBS: the indexed pages must not slow down
    let mut last = String::new();
    let mut stored = 0;
    for target in [100, jobs.max(100)] {
        let t = Instant::now();
        while stored < target {
            last = svc
                .create(
                    Some("many"),
                    vec![uws::Param::new("QUERY", "SELECT 1")],
                    vec![],
                    false,
                )
                .await?;
            stored += 1;
        }
        println!("jobs stored up to {target} in {:.2?}", t.elapsed());
        for (what, path) in [
            ("LAST=10", "/async?LAST=10".to_string()),
            (
                "PHASE=PENDING&LAST=10",
                "/async?PHASE=PENDING&LAST=10".to_string(),
            ),
            ("job page", format!("/async/{last}")),
            ("full list", "/async".to_string()),
        ] {
            let mut v = Vec::new();
            for _ in 0..(if what == "full list" { 5 } else { 50 }) {
                let t = Instant::now();
                let (st, _, _) = http(addr, "GET", &path, "", Some("many")).await?;
                v.push(t.elapsed());
                if st != 200 {
                    return Err(format!("{path}: {st}").into());
                }
            }
            println!("{what} at {target} jobs: {}", stats(v));
        }
    }
    handle.stop(true).await;
    svc.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[actix_web::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let dir = PathBuf::from(args.get(2).ok_or("serve DIR [PORT]")?);
            let port = args.get(3).map(|p| p.parse()).transpose()?.unwrap_or(0);
            let (addr, _svc, _handle) = serve(&dir, port).await?;
            println!("listening on {addr}");
            tokio::signal::ctrl_c().await?;
            Ok(())
        }
        Some("bench") => {
            bench(
                args.get(2)
                    .map(|n| n.parse())
                    .transpose()?
                    .unwrap_or(10_000),
            )
            .await
        }
        _ => Err("usage: uws-bench serve DIR [PORT] | uws-bench bench [JOBS]".into()),
    }
}
