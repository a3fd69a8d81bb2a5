//! A real process killed with SIGKILL while a job runs, then started again over the same directory: the job that
//! was executing ends in ERROR saying why, finished jobs and their results are still there, and queued jobs run.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uws-bench"))
        .arg("serve")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// One HTTP/1.1 request; returns status, Location and body.
fn http(addr: SocketAddr, method: &str, path: &str, form: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or("")
        .to_string();
    (status, location, body.to_string())
}

fn phase(doc: &str) -> String {
    doc.split("<uws:phase>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
        .to_string()
}

fn path_of(location: &str) -> String {
    format!("/async/{}", location.rsplit('/').next().unwrap())
}

#[test]
fn kill_9_during_a_running_job_then_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start(dir.path());
    let (st, done, _) = http(addr, "POST", "/async", "OUT=kept&PHASE=RUN");
    assert_eq!(st, 303);
    let done = path_of(&done);
    let (_, _, doc) = http(addr, "GET", &format!("{done}?WAIT=30&PHASE=QUEUED"), "");
    let doc = if phase(&doc) == "COMPLETED" {
        doc
    } else {
        http(addr, "GET", &format!("{done}?WAIT=30"), "").2
    };
    assert_eq!(phase(&doc), "COMPLETED", "{doc}");
    let (_, hung, _) = http(addr, "POST", "/async", "HANG=1&PHASE=RUN");
    let hung = path_of(&hung);
    let (_, _, doc) = http(addr, "GET", &format!("{hung}?WAIT=30&PHASE=QUEUED"), "");
    assert_eq!(phase(&doc), "EXECUTING");

    server.kill().unwrap(); // SIGKILL: no shutdown code runs
    server.wait().unwrap();

    let t = Instant::now();
    let (mut server, addr) = start(dir.path());
    println!("restarted in {:?}", t.elapsed());
    let (st, _, doc) = http(addr, "GET", &hung, "");
    assert_eq!(st, 200);
    assert_eq!(phase(&doc), "ERROR", "{doc}");
    assert!(doc.contains(uws::RESTARTED), "{doc}");
    let (st, _, body) = http(addr, "GET", &format!("{done}/results/result"), "");
    assert_eq!((st, body.as_str()), (200, "kept"));
    // the restarted service runs new jobs
    let (_, again, _) = http(addr, "POST", "/async", "OUT=again&PHASE=RUN");
    let again = path_of(&again);
    let mut doc = String::new();
    for _ in 0..5 {
        doc = http(addr, "GET", &format!("{again}?WAIT=10"), "").2;
        if phase(&doc) == "COMPLETED" {
            break;
        }
    }
    assert_eq!(phase(&doc), "COMPLETED", "{doc}");
    server.kill().unwrap();
    server.wait().unwrap();
}
