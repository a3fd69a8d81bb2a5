//! Transfers end to end: synchronous negotiation (document and parameter forms), the pre-authorised endpoints,
//! asynchronous move and copy as UWS jobs, faults as job errors, pullToVoSpace from an http URL, the CADC
//! recursive delete.
#![allow(clippy::unwrap_used)]

mod common;

use common::{node_xml, req, transfer_xml, xmllint_vospace};

const PUT: &str = "ivo://ivoa.net/vospace/core#httpput";
const SPUT: &str = "ivo://ivoa.net/vospace/core#httpsput";
const GET: &str = "ivo://ivoa.net/vospace/core#httpget";

fn endpoint(doc: &str) -> String {
    doc.split("<vos:endpoint>")
        .nth(1)
        .unwrap()
        .split("</vos:endpoint>")
        .next()
        .unwrap()
        .to_string()
}

async fn wait_job(e: &common::Env, job: &str, tok: &str) -> String {
    for _ in 0..100 {
        let d = req("GET", &format!("{job}?WAIT=5"), Some(tok), &[], b"")
            .await
            .text();
        if !d.contains("<uws:phase>EXECUTING")
            && !d.contains("<uws:phase>QUEUED")
            && !d.contains("<uws:phase>PENDING")
        {
            return d;
        }
    }
    let _ = e;
    panic!("job {job} did not end");
}

#[actix_web::test]
async fn sync_push_then_pull() {
    let e = common::start().await;
    // pushToVoSpace, document form: 303 to transferDetails (what vcp does)
    let t = transfer_xml(&e.uri("alice/up.txt"), "pushToVoSpace", Some(SPUT), None);
    let r = req(
        "POST",
        &format!("{}/synctrans", e.base),
        Some(&e.alice),
        &[("Content-Type", "text/xml")],
        t.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    assert!(
        loc.starts_with(&format!("{}/transfers/", e.base))
            && loc.ends_with("/results/transferDetails"),
        "{loc}"
    );
    let details = req("GET", &loc, Some(&e.alice), &[], b"").await;
    assert_eq!(details.status, 200);
    xmllint_vospace(&details.text());
    assert!(details.text().contains(SPUT));
    let phase = req(
        "GET",
        &loc.replace("/results/transferDetails", "/phase"),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(phase.text().trim(), "COMPLETED");
    // the endpoint needs no credentials (it is pre-authorised for this node and direction only)
    let ep = endpoint(&details.text());
    assert_eq!(
        req("PUT", &ep, None, &[], b"pushed bytes").await.status,
        201
    );
    assert_eq!(
        req("GET", &ep, None, &[], b"").await.status,
        403,
        "a push endpoint does not serve reads"
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/up.txt", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "pushed bytes"
    );
    // the /auth alias the CADC client rewrites redirects to
    let auth_loc = loc.replace("/vospace/", "/vospace/auth/");
    assert_eq!(
        req("GET", &auth_loc, Some(&e.alice), &[], b"").await.status,
        200
    );

    // pullFromVoSpace, parameter form: the transfer document in the body
    let q = format!(
        "{}/synctrans?TARGET={}&DIRECTION=pullFromVoSpace&PROTOCOL={}",
        e.base,
        e.uri("alice/up.txt").replace('!', "~"),
        GET.replace('#', "%23")
    );
    let r = req("GET", &q, Some(&e.alice), &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    xmllint_vospace(&r.text());
    assert_eq!(
        req("GET", &endpoint(&r.text()), None, &[], b"")
            .await
            .text(),
        "pushed bytes"
    );
    // ... and REQUEST=redirect: straight to the bytes
    let r = req(
        "POST",
        &format!("{q}&REQUEST=redirect"),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        req("GET", r.header("location").unwrap(), None, &[], b"")
            .await
            .text(),
        "pushed bytes"
    );

    // faults come back directly from the synchronous endpoint
    let t = transfer_xml(&e.uri("alice/none"), "pullFromVoSpace", Some(GET), None);
    let r = req(
        "POST",
        &format!("{}/synctrans", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("NodeNotFound ")),
        (404, true),
        "{}",
        r.text()
    );
    let t = transfer_xml(
        &e.uri("alice/up.txt"),
        "pullFromVoSpace",
        Some("ivo://example.org/carrier-pigeon"),
        None,
    );
    let r = req(
        "POST",
        &format!("{}/synctrans", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("ProtocolNotSupported ")),
        (400, true),
        "{}",
        r.text()
    );
    let t = transfer_xml(&e.uri("alice/up.txt"), "pullFromVoSpace", Some(GET), None);
    let r = req(
        "POST",
        &format!("{}/synctrans", e.base),
        Some(&e.bob),
        &[],
        t.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let t = transfer_xml(&e.uri("alice/anon.txt"), "pushToVoSpace", Some(PUT), None);
    let r = req(
        "POST",
        &format!("{}/synctrans", e.base),
        None,
        &[],
        t.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = req(
        "GET",
        &format!("{}/bytes/0123456789abcdef", e.base),
        None,
        &[],
        b"",
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("InvalidToken ")),
        (403, true)
    );
}

#[actix_web::test]
async fn async_move_copy_and_errors() {
    let e = common::start().await;
    let mk = |p: &str, k: &str| node_xml(&e.uri(p), k, &[]);
    for (p, k) in [
        ("alice/src", "ContainerNode"),
        ("alice/dst", "ContainerNode"),
        ("alice/src/sub", "ContainerNode"),
    ] {
        assert_eq!(
            req(
                "PUT",
                &format!("{}/nodes/{p}", e.base),
                Some(&e.alice),
                &[],
                mk(p, k).as_bytes()
            )
            .await
            .status,
            201
        );
    }
    req(
        "PUT",
        &format!("{}/files/alice/src/sub/a.txt", e.base),
        Some(&e.alice),
        &[],
        b"AAAA",
    )
    .await;
    req(
        "PUT",
        &format!("{}/files/alice/src/b.txt", e.base),
        Some(&e.alice),
        &[],
        b"BB",
    )
    .await;

    // copyNode of a container into an existing container (placed inside it), keepBytes=true
    let t = transfer_xml(&e.uri("alice/src"), &e.uri("alice/dst"), None, Some(true));
    let r = req(
        "POST",
        &format!("{}/transfers", e.base),
        Some(&e.alice),
        &[("Content-Type", "text/xml")],
        t.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 303);
    let job = r.header("location").unwrap().to_string();
    let d = req("GET", &job, Some(&e.alice), &[], b"").await.text();
    assert!(d.contains("<uws:phase>PENDING</uws:phase>"), "{d}");
    assert_eq!(
        req(
            "POST",
            &format!("{job}/phase"),
            Some(&e.alice),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"PHASE=RUN"
        )
        .await
        .status,
        303
    );
    let d = wait_job(&e, &job, &e.alice).await;
    assert!(d.contains("<uws:phase>COMPLETED</uws:phase>"), "{d}");
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/dst/src/sub/a.txt", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "AAAA"
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/src/sub/a.txt", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "AAAA"
    );
    let home = req(
        "GET",
        &format!("{}/nodes/alice?limit=0", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await
    .text();
    assert!(
        home.contains("core#length\" readOnly=\"true\">12<"),
        "the copy is charged: {home}"
    );

    // moveNode (keepBytes=false), started at creation with PHASE=RUN
    let t = transfer_xml(
        &e.uri("alice/src"),
        &e.uri("alice/moved"),
        None,
        Some(false),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    let d = wait_job(&e, r.header("location").unwrap(), &e.alice).await;
    assert!(d.contains("COMPLETED"), "{d}");
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/moved/sub/a.txt", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "AAAA"
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/alice/src", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .status,
        404
    );

    // .auto destination: the generated URI is the "destination" result
    let t = transfer_xml(
        &e.uri("alice/moved/b.txt"),
        &e.uri("alice/dst/.auto"),
        None,
        Some(true),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    let d = wait_job(&e, r.header("location").unwrap(), &e.alice).await;
    assert!(
        d.contains("id=\"destination\"") && d.contains("vos://example.org!vospace/alice/dst/"),
        "{d}"
    );

    // a fault ends the job in ERROR with the fault at /error (vmv reads it)
    let t = transfer_xml(
        &e.uri("alice/nothing"),
        &e.uri("alice/x"),
        None,
        Some(false),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    let job = r.header("location").unwrap().to_string();
    let d = wait_job(&e, &job, &e.alice).await;
    assert!(
        d.contains("<uws:phase>ERROR</uws:phase>") && d.contains("NodeNotFound"),
        "{d}"
    );
    almagest_common::testing::xmllint(&d, "UWS-v1.1.xsd");
    let err = req("GET", &format!("{job}/error"), Some(&e.alice), &[], b"").await;
    assert!(err.text().starts_with("NodeNotFound "), "{}", err.text());
    // moving onto an existing data node: DuplicateNode; moving a node into itself: refused
    let t = transfer_xml(
        &e.uri("alice/moved/b.txt"),
        &e.uri("alice/moved/sub/a.txt"),
        None,
        Some(false),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    assert!(
        wait_job(&e, r.header("location").unwrap(), &e.alice)
            .await
            .contains("DuplicateNode")
    );
    let t = transfer_xml(
        &e.uri("alice/moved"),
        &e.uri("alice/moved/sub/deeper"),
        None,
        Some(false),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.alice),
        &[],
        t.as_bytes(),
    )
    .await;
    assert!(
        wait_job(&e, r.header("location").unwrap(), &e.alice)
            .await
            .contains("<uws:phase>ERROR")
    );
    // bob cannot move alice's nodes, and cannot see her jobs
    let t = transfer_xml(
        &e.uri("alice/moved"),
        &e.uri("bob/stolen"),
        None,
        Some(false),
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.bob),
        &[],
        t.as_bytes(),
    )
    .await;
    let bobjob = r.header("location").unwrap().to_string();
    assert!(
        wait_job(&e, &bobjob, &e.bob)
            .await
            .contains("PermissionDenied")
    );
    assert_eq!(req("GET", &job, Some(&e.bob), &[], b"").await.status, 403);
}

#[actix_web::test]
async fn pull_to_vospace_and_recursive_delete() {
    let e = common::start().await;
    // a public source on an http server (this one)
    let src: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
    req(
        "PUT",
        &format!("{}/files/alice/src.bin", e.base),
        Some(&e.alice),
        &[],
        &src,
    )
    .await;
    let pubd = node_xml(
        &e.uri("alice/src.bin"),
        "DataNode",
        &[("ivo://ivoa.net/vospace/core#publicread", "true")],
    );
    req(
        "POST",
        &format!("{}/nodes/alice/src.bin", e.base),
        Some(&e.alice),
        &[],
        pubd.as_bytes(),
    )
    .await;
    req(
        "GET",
        &format!("{}/nodes/bob", e.base),
        Some(&e.bob),
        &[],
        b"",
    )
    .await;
    let t = format!(
        "<vos:transfer xmlns:vos=\"http://www.ivoa.net/xml/VOSpace/v2.0\" version=\"2.1\"><vos:target>{}</vos:target>\
         <vos:direction>pullToVoSpace</vos:direction><vos:protocol uri=\"{GET}\"><vos:endpoint>{}/files/alice/src.bin</vos:endpoint></vos:protocol></vos:transfer>",
        e.uri("bob/copy.bin"),
        e.base
    );
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.bob),
        &[],
        t.as_bytes(),
    )
    .await;
    let d = wait_job(&e, r.header("location").unwrap(), &e.bob).await;
    assert!(d.contains("COMPLETED"), "{d}");
    assert!(
        req(
            "GET",
            &format!("{}/files/bob/copy.bin", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .body
            == src
    );
    // an unreachable source: ERROR, and no node left behind
    let bad = t
        .replace(
            &format!("{}/files/alice/src.bin", e.base),
            "http://127.0.0.1:1/nothing",
        )
        .replace("bob/copy.bin", "bob/none.bin");
    let r = req(
        "POST",
        &format!("{}/transfers?PHASE=RUN", e.base),
        Some(&e.bob),
        &[],
        bad.as_bytes(),
    )
    .await;
    assert!(
        wait_job(&e, r.header("location").unwrap(), &e.bob)
            .await
            .contains("<uws:phase>ERROR")
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/bob/none.bin", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .status,
        404
    );

    // CADC recursive delete: a job whose result successcount counts the nodes
    req(
        "PUT",
        &format!("{}/nodes/bob/t", e.base),
        Some(&e.bob),
        &[],
        node_xml(&e.uri("bob/t"), "ContainerNode", &[]).as_bytes(),
    )
    .await;
    for i in 0..3 {
        req(
            "PUT",
            &format!("{}/files/bob/t/f{i}", e.base),
            Some(&e.bob),
            &[],
            b"x",
        )
        .await;
    }
    let r = req(
        "POST",
        &format!("{}/recursive-delete", e.base),
        Some(&e.bob),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("target={}", e.uri("bob/t")).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 303);
    let job = r.header("location").unwrap().to_string();
    req(
        "POST",
        &format!("{job}/phase"),
        Some(&e.bob),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"phase=RUN",
    )
    .await;
    let d = wait_job(&e, &job, &e.bob).await;
    assert!(
        d.contains("id=\"successcount\"") && d.contains("final:4") && !d.contains("errorcount"),
        "{d}"
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/bob/t", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .status,
        404
    );
}
