//! VOSpace inside `almagest serve`, end to end over HTTP: the real binary on a loopback port, users made with
//! `almagest user add` while the server runs, and the TAP integration (a TAP job result saved into a node with a
//! pullToVoSpace transfer; a node used as a TAP upload).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, form};
use std::time::{Duration, Instant};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn start() -> Server {
    common::serve(
        tempfile::tempdir().unwrap(),
        common::free_port(),
        &[("ALMAGEST_VOSPACE_DEFAULT_QUOTA_BYTES", "1000000")],
    )
}

fn local(s: &Server, url: &str) -> String {
    url.strip_prefix(&s.url())
        .unwrap_or_else(|| panic!("{url} is not on {}", s.url()))
        .to_string()
}

fn phase(xml: &str) -> String {
    let start = xml.find("<uws:phase>").expect("a phase") + "<uws:phase>".len();
    xml[start..start + xml[start..].find('<').unwrap()].to_string()
}

/// Runs a TAP async query as `token`'s user; returns the job path once it is COMPLETED.
fn tap_job(s: &Server, token: Option<&str>, query: &str) -> String {
    let r = s.req(
        "POST",
        "/tap/async",
        token,
        FORM,
        &form(&[
            ("LANG", "ADQL"),
            ("QUERY", query),
            ("FORMAT", "csv"),
            ("PHASE", "RUN"),
        ]),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let job = local(s, r.header("location").unwrap());
    let t = Instant::now();
    loop {
        let r = s.req("GET", &format!("{job}?WAIT=10"), token, None, b"");
        let p = phase(&r.text());
        if p == "COMPLETED" {
            return job;
        }
        assert!(
            !matches!(p.as_str(), "ERROR" | "ABORTED") && t.elapsed() < Duration::from_secs(60),
            "{}",
            r.text()
        );
    }
}

/// Posts a transfer document to `/vospace/transfers?PHASE=RUN` and waits for the job's end; returns (phase, job
/// path).
fn transfer(s: &Server, token: Option<&str>, doc: &str) -> (String, String) {
    let r = s.req(
        "POST",
        "/vospace/transfers?PHASE=RUN",
        token,
        Some("text/xml"),
        doc.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let job = local(s, r.header("location").unwrap());
    let t = Instant::now();
    loop {
        let r = s.req("GET", &format!("{job}?WAIT=10"), token, None, b"");
        let p = phase(&r.text());
        if matches!(p.as_str(), "COMPLETED" | "ERROR" | "ABORTED")
            || t.elapsed() > Duration::from_secs(60)
        {
            return (p, job);
        }
    }
}

fn pull_doc(target: &str, endpoint: &str) -> String {
    format!(
        "<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>{target}</vos:target>\
         <vos:direction>pullToVoSpace</vos:direction><vos:protocol uri=\"ivo://ivoa.net/vospace/core#httpget\">\
         <vos:endpoint>{endpoint}</vos:endpoint></vos:protocol></vos:transfer>"
    )
}

#[test]
fn vospace_is_mounted_with_accounts_made_while_the_server_runs() {
    let s = start();
    // the same origin serves both; the capabilities name the VOSpace endpoints under /vospace
    let caps = s.req("GET", "/vospace/capabilities", None, None, b"");
    assert_eq!(caps.status, 200);
    assert!(
        caps.text().contains(&format!("{}/vospace/nodes", s.url())),
        "{}",
        caps.text()
    );
    assert_eq!(
        s.req("GET", "/tap/availability", None, None, b"").status,
        200
    );
    // TAP declares the upload methods that work for any client: inline, http:// and https:// (vos:// has no
    // TAPRegExt key)
    let tcaps = s.req("GET", "/tap/capabilities", None, None, b"").text();
    for m in ["upload-inline", "upload-http", "upload-https"] {
        assert!(tcaps.contains(&format!("TAPRegExt#{m}\"")), "{m}: {tcaps}");
    }
    let root = s.req("GET", "/", None, None, b"");
    assert!(
        root.text().contains("/vospace/capabilities"),
        "{}",
        root.text()
    );

    let alice = s.add_user("alice");
    // the home container exists at the user's first request, with the configured default quota
    let home = s.req("GET", "/vospace/nodes/alice", Some(&alice), None, b"");
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(
        home.text()
            .contains("uri=\"vos://example.org!vospace/alice\""),
        "{}",
        home.text()
    );
    assert!(
        home.text().contains(">1000000</vos:property>"),
        "quota from ALMAGEST_VOSPACE_DEFAULT_QUOTA_BYTES: {}",
        home.text()
    );
    // a second add of the same name fails and says why
    let out = s.command().args(["user", "add", "alice"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("alice"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // upload and read back with the token; others are refused
    let put = s.req(
        "PUT",
        "/vospace/files/alice/notes.txt",
        Some(&alice),
        Some("text/plain"),
        b"hello VOSpace",
    );
    assert_eq!(put.status, 201, "{}", put.text());
    let get = s.req(
        "GET",
        "/vospace/files/alice/notes.txt",
        Some(&alice),
        None,
        b"",
    );
    assert_eq!(get.body, b"hello VOSpace");
    assert_eq!(
        s.req("GET", "/vospace/files/alice/notes.txt", None, None, b"")
            .status,
        401
    );
    let bob = s.add_user("bob");
    assert_eq!(
        s.req(
            "GET",
            "/vospace/files/alice/notes.txt",
            Some(&bob),
            None,
            b""
        )
        .status,
        403
    );
    // quota: more than the 1 MB default is refused with 507 and nothing is stored
    let big = vec![b'x'; 1_100_000];
    let r = s.req(
        "PUT",
        "/vospace/files/alice/big.bin",
        Some(&alice),
        None,
        &big,
    );
    assert_eq!(r.status, 507, "{}", r.text());
    assert_eq!(
        s.req(
            "GET",
            "/vospace/nodes/alice/big.bin",
            Some(&alice),
            None,
            b""
        )
        .status,
        404
    );

    // wrong credentials are refused everywhere, TAP included, with a challenge
    for path in ["/vospace/nodes/alice", "/tap/availability"] {
        let r = s.req("GET", path, Some("not-a-token"), None, b"");
        assert_eq!(r.status, 401, "{path}");
        assert!(
            r.header("www-authenticate")
                .unwrap_or("")
                .contains("Bearer"),
            "{path}"
        );
    }
    // an authenticated TAP job belongs to its user: others cannot see it
    let job = tap_job(
        &s,
        Some(&alice),
        "SELECT TOP 3 table_name FROM TAP_SCHEMA.tables",
    );
    assert_eq!(
        s.req("GET", &format!("{job}/owner"), Some(&alice), None, b"")
            .text()
            .trim(),
        "alice"
    );
    assert_eq!(s.req("GET", &job, Some(&bob), None, b"").status, 403);
    // anonymous jobs still work as before
    let anon = tap_job(&s, None, "SELECT TOP 1 table_name FROM TAP_SCHEMA.tables");
    assert_eq!(
        s.req("GET", &format!("{anon}/results/result"), None, None, b"")
            .status,
        200
    );
}

#[test]
fn a_tap_job_result_is_saved_into_vospace_by_pull_to_vospace() {
    let s = start();
    let alice = s.add_user("alice");
    let bob = s.add_user("bob");
    let job = tap_job(
        &s,
        Some(&alice),
        "SELECT table_name, description FROM TAP_SCHEMA.tables ORDER BY table_name",
    );
    let result_url = format!("{}{job}/results/result", s.url());
    let result = s.req(
        "GET",
        &format!("{job}/results/result"),
        Some(&alice),
        None,
        b"",
    );
    assert_eq!(result.status, 200);
    assert!(
        result.text().contains("TAP_SCHEMA.columns"),
        "{}",
        result.text()
    );

    // alice saves her (private) job result into her space
    let (p, tjob) = transfer(
        &s,
        Some(&alice),
        &pull_doc(
            "vos://example.org!vospace/alice/results/tables.xml",
            &result_url,
        ),
    );
    // the container does not exist yet: a clear ContainerNotFound error
    assert_eq!(p, "ERROR");
    let err = s.req("GET", &format!("{tjob}/error"), Some(&alice), None, b"");
    assert!(err.text().contains("ContainerNotFound"), "{}", err.text());
    let mk = "<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
              uri=\"vos://example.org!vospace/alice/results\" xsi:type=\"vos:ContainerNode\"/>";
    assert_eq!(
        s.req(
            "PUT",
            "/vospace/nodes/alice/results",
            Some(&alice),
            Some("text/xml"),
            mk.as_bytes()
        )
        .status,
        201
    );
    let (p, tjob) = transfer(
        &s,
        Some(&alice),
        &pull_doc(
            "vos://example.org!vospace/alice/results/tables.xml",
            &result_url,
        ),
    );
    assert_eq!(
        p,
        "COMPLETED",
        "{}",
        s.req("GET", &format!("{tjob}/error"), Some(&alice), None, b"")
            .text()
    );
    let saved = s.req(
        "GET",
        "/vospace/files/alice/results/tables.xml",
        Some(&alice),
        None,
        b"",
    );
    assert_eq!(saved.status, 200);
    assert_eq!(
        saved.body, result.body,
        "the node holds the job result byte for byte"
    );
    let node = s
        .req(
            "GET",
            "/vospace/nodes/alice/results/tables.xml",
            Some(&alice),
            None,
            b"",
        )
        .text();
    assert!(
        node.contains(&format!(">{}</vos:property>", result.body.len())),
        "length property: {node}"
    );
    assert!(
        node.contains(">text/csv"),
        "the result's MIME type is kept: {node}"
    );

    // bob cannot save alice's result into his space: the job error says so and no node appears
    let (p, tjob) = transfer(
        &s,
        Some(&bob),
        &pull_doc("vos://example.org!vospace/bob/stolen.xml", &result_url),
    );
    assert_eq!(p, "ERROR");
    let err = s
        .req("GET", &format!("{tjob}/error"), Some(&bob), None, b"")
        .text();
    assert!(err.contains("PermissionDenied"), "{err}");
    assert_eq!(
        s.req(
            "GET",
            "/vospace/nodes/bob/stolen.xml",
            Some(&bob),
            None,
            b""
        )
        .status,
        404
    );
    // a job that does not exist is a failed transfer naming it
    let (p, tjob) = transfer(
        &s,
        Some(&alice),
        &pull_doc(
            "vos://example.org!vospace/alice/none.xml",
            &format!("{}/tap/async/nosuchjob/results/result", s.url()),
        ),
    );
    assert_eq!(p, "ERROR");
    let err = s
        .req("GET", &format!("{tjob}/error"), Some(&alice), None, b"")
        .text();
    assert!(err.contains("nosuchjob"), "{err}");
    // an anonymous job's result is saved too (read in-process like any other)
    let anon = tap_job(&s, None, "SELECT TOP 2 table_name FROM TAP_SCHEMA.tables");
    let (p, _) = transfer(
        &s,
        Some(&alice),
        &pull_doc(
            "vos://example.org!vospace/alice/anon.xml",
            &format!("{}{anon}/results/result", s.url()),
        ),
    );
    assert_eq!(p, "COMPLETED");
    let saved = s.req(
        "GET",
        "/vospace/files/alice/anon.xml",
        Some(&alice),
        None,
        b"",
    );
    assert_eq!(
        saved.body,
        s.req("GET", &format!("{anon}/results/result"), None, None, b"")
            .body
    );
}

const VOTABLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results"><TABLE>
<FIELD name="id" datatype="int"/><FIELD name="label" datatype="char" arraysize="*"/>
<DATA><TABLEDATA><TR><TD>1</TD><TD>one</TD></TR><TR><TD>2</TD><TD>two</TD></TR><TR><TD>3</TD><TD>three</TD></TR></TABLEDATA></DATA>
</TABLE></RESOURCE></VOTABLE>"#;

#[test]
fn a_vospace_node_is_a_tap_upload_with_the_callers_rights() {
    let s = start();
    let alice = s.add_user("alice");
    let bob = s.add_user("bob");
    let put = s.req(
        "PUT",
        "/vospace/files/alice/mine.xml",
        Some(&alice),
        Some("application/x-votable+xml"),
        VOTABLE.as_bytes(),
    );
    assert_eq!(put.status, 201, "{}", put.text());
    let upload = "t,vos://example.org!vospace/alice/mine.xml";
    let query = "SELECT id, label FROM TAP_UPLOAD.t WHERE id >= 2 ORDER BY id";
    let sync = |token: Option<&str>, upload: &str| {
        s.req(
            "POST",
            "/tap/sync",
            token,
            FORM,
            &form(&[
                ("LANG", "ADQL"),
                ("QUERY", query),
                ("UPLOAD", upload),
                ("FORMAT", "csv"),
            ]),
        )
    };
    // alice reads her own node as an upload table
    let r = sync(Some(&alice), upload);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().replace("\r\n", "\n"), "id,label\n2,two\n3,three\n");
    // bob and anonymous callers may not read it: the TAP error names the node and the reason
    let r = sync(Some(&bob), upload);
    assert_ne!(r.status, 200);
    assert!(
        r.text().contains("QUERY_STATUS") && r.text().contains("ERROR"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("PermissionDenied") && r.text().contains("mine.xml"),
        "{}",
        r.text()
    );
    let r = sync(None, upload);
    assert_ne!(r.status, 200);
    assert!(r.text().contains("mine.xml"), "{}", r.text());
    // a missing node, a foreign vos authority and an unreachable http URL are clear errors
    let r = sync(Some(&alice), "t,vos://example.org!vospace/alice/none.xml");
    assert!(r.text().contains("NodeNotFound"), "{}", r.text());
    let r = sync(Some(&alice), "t,vos://elsewhere.org!vospace/alice/mine.xml");
    assert_ne!(r.status, 200);
    assert!(r.text().contains("elsewhere.org"), "{}", r.text());
    let r = sync(Some(&alice), "t,http://127.0.0.1:1/t.xml");
    assert!(
        r.text().contains("127.0.0.1:1/t.xml") && r.text().contains("UPLOAD t"),
        "{}",
        r.text()
    );
    // once public, anyone may use it
    let prop = "<vos:node xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
                uri=\"vos://example.org!vospace/alice/mine.xml\" xsi:type=\"vos:DataNode\"><vos:properties>\
                <vos:property uri=\"ivo://ivoa.net/vospace/core#ispublic\">true</vos:property></vos:properties></vos:node>";
    let r = s.req(
        "POST",
        "/vospace/nodes/alice/mine.xml",
        Some(&alice),
        Some("text/xml"),
        prop.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = sync(None, upload);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().replace("\r\n", "\n"), "id,label\n2,two\n3,three\n");

    // async: the job's owner reads the node when the job runs
    let r = s.req(
        "PUT",
        "/vospace/files/alice/private.xml",
        Some(&alice),
        None,
        VOTABLE.as_bytes(),
    );
    assert_eq!(r.status, 201);
    let r = s.req(
        "POST",
        "/tap/async",
        Some(&alice),
        FORM,
        &form(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT COUNT(*) AS n FROM TAP_UPLOAD.p"),
            ("FORMAT", "csv"),
            ("UPLOAD", "p,vos://example.org!vospace/alice/private.xml"),
            ("PHASE", "RUN"),
        ]),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let job = local(&s, r.header("location").unwrap());
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60)
        && phase(
            &s.req("GET", &format!("{job}?WAIT=5"), Some(&alice), None, b"")
                .text(),
        ) != "COMPLETED"
    {}
    let r = s.req(
        "GET",
        &format!("{job}/results/result"),
        Some(&alice),
        None,
        b"",
    );
    assert_eq!(r.text().replace("\r\n", "\n"), "n\n3\n");
    // bob's async job on alice's private node ends in ERROR saying why
    let r = s.req(
        "POST",
        "/tap/async",
        Some(&bob),
        FORM,
        &form(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT COUNT(*) AS n FROM TAP_UPLOAD.p"),
            ("UPLOAD", "p,vos://example.org!vospace/alice/private.xml"),
            ("PHASE", "RUN"),
        ]),
    );
    let job = local(&s, r.header("location").unwrap());
    let t = Instant::now();
    let mut p = String::new();
    while t.elapsed() < Duration::from_secs(60) && !matches!(p.as_str(), "ERROR" | "COMPLETED") {
        p = phase(
            &s.req("GET", &format!("{job}?WAIT=5"), Some(&bob), None, b"")
                .text(),
        );
    }
    assert_eq!(p, "ERROR");
    let err = s
        .req("GET", &format!("{job}/error"), Some(&bob), None, b"")
        .text();
    assert!(err.contains("PermissionDenied"), "{err}");
}
