//! VOSpace 2.1 nodes end to end over HTTP against a real server: every operation and its faults, paging,
//! permissions between two users, groups and anonymous callers, path-escape attempts, schema validity.
#![allow(clippy::unwrap_used)]

mod common;

use common::{link_xml, node_xml, req, xmllint_vospace};

const DESC: &str = "ivo://ivoa.net/vospace/core#description";

#[actix_web::test]
async fn service_documents_are_valid() {
    let e = common::start().await;
    let caps = req("GET", &format!("{}/capabilities", e.base), None, &[], b"").await;
    assert_eq!(caps.status, 200);
    let t = caps.text();
    for id in [
        "ivo://ivoa.net/std/VOSpace/v2.0#nodes",
        "ivo://ivoa.net/std/VOSpace#sync-2.1",
        "ivo://ivoa.net/std/VOSpace/v2.0#transfers",
        "ivo://ivoa.net/std/VOSpace#files-proto",
        "ivo://ivoa.net/std/VOSI#availability",
    ] {
        assert!(t.contains(id), "{id} missing");
    }
    // the CADC client reads xmlns:xsi on the root and takes the first interface without securityMethod
    assert!(t.contains("<vosi:capabilities xmlns:vosi") && t.contains("xmlns:xsi="));
    almagest_common::testing::xmllint_all(
        &t,
        &["VOSICapabilities-v1.0.xsd", "VODataService-v1.2.xsd"],
    );
    let av = req("GET", &format!("{}/availability", e.base), None, &[], b"").await;
    assert!(av.text().contains("<vosi:available>true</vosi:available>"));
    almagest_common::testing::xmllint(&av.text(), "VOSIAvailability-v1.0.xsd");
    for doc in ["protocols", "views", "properties"] {
        let r = req("GET", &format!("{}/{doc}", e.base), None, &[], b"").await;
        assert_eq!(r.status, 200, "{doc}");
        assert!(r.text().contains("<vos:accepts>") && r.text().contains("<vos:provides>"));
        xmllint_vospace(&r.text());
    }
}

#[actix_web::test]
async fn create_get_set_delete_with_faults() {
    let e = common::start().await;
    let home = req(
        "GET",
        &format!("{}/nodes/alice", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(
        home.text().contains("core#quota"),
        "home has a quota: {}",
        home.text()
    );
    xmllint_vospace(&home.text());

    // createNode: 201 with the node; properties kept
    let d = node_xml(&e.uri("alice/d"), "ContainerNode", &[(DESC, "my results")]);
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[("Content-Type", "text/xml")],
        d.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(r.text().contains("xsi:type=\"vos:ContainerNode\"") && r.text().contains("my results"));
    xmllint_vospace(&r.text());
    // DuplicateNode 409
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[],
        d.as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("DuplicateNode ")),
        (409, true),
        "{}",
        r.text()
    );
    // ContainerNotFound 404 for a missing parent
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/no/x", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/no/x"), "DataNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("ContainerNotFound ")),
        (404, true),
        "{}",
        r.text()
    );
    // InvalidURI 400 when the document's URI is not the path
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d/y", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/d/z"), "DataNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("InvalidURI ")),
        (400, true),
        "{}",
        r.text()
    );
    // TypeNotSupported 400, not a parser error
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d/t", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/d/t"), "WormholeNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("TypeNotSupported ")),
        (400, true),
        "{}",
        r.text()
    );
    // malformed XML: InvalidArgument with a position
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d/m", e.base),
        Some(&e.alice),
        &[],
        b"<vos:node uri=",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    // a read-only property cannot be set (PermissionDenied 403)
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/d/ro", e.base),
        Some(&e.alice),
        &[],
        node_xml(
            &e.uri("alice/d/ro"),
            "DataNode",
            &[("ivo://ivoa.net/vospace/core#length", "5")],
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("PermissionDenied ")),
        (403, true),
        "{}",
        r.text()
    );

    // LinkNode: created without Content-Type (vln), LinkFound 400 when used as a parent
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/l", e.base),
        Some(&e.alice),
        &[],
        link_xml(&e.uri("alice/l"), &e.uri("alice/d")).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.text()
            .contains("<vos:target>vos://example.org!vospace/alice/d</vos:target>")
    );
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/l/x", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/l/x"), "DataNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("LinkFound ")),
        (400, true),
        "{}",
        r.text()
    );

    // setNode: add, change, delete (xsi:nil) properties; 200 with the node
    let set = format!(
        "<node xmlns=\"http://www.ivoa.net/xml/VOSpace/v2.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" uri=\"{}\"><properties>\
         <property uri=\"{DESC}\" xsi:nil=\"true\"/><property uri=\"ivo://ivoa.net/vospace/core#title\">T &amp; U</property></properties></node>",
        e.uri("alice/d")
    );
    let r = req(
        "POST",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[],
        set.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("T &amp; U") && !r.text().contains("my results"),
        "{}",
        r.text()
    );
    // setNode of a read-only property to another value is refused
    let set_ro = node_xml(
        &e.uri("alice/d"),
        "ContainerNode",
        &[("ivo://ivoa.net/vospace/core#quota", "1")],
    );
    let r = req(
        "POST",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[],
        set_ro.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());

    // getNode details
    let r = req(
        "GET",
        &format!("{}/nodes/alice?detail=min", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert!(
        !r.text().contains("vos:properties")
            && r.text()
                .contains("alice/d\" xsi:type=\"vos:ContainerNode\""),
        "{}",
        r.text()
    );
    xmllint_vospace(&r.text());
    let r = req(
        "GET",
        &format!("{}/nodes/alice?detail=properties", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert!(
        r.text().contains("vos:properties") && !r.text().contains("alice/d\""),
        "{}",
        r.text()
    );
    let r = req(
        "GET",
        &format!("{}/nodes/alice?detail=huge", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 400);

    // deleteNode: 204, recursive; NodeNotFound 404 afterwards
    req(
        "PUT",
        &format!("{}/nodes/alice/d/sub", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/d/sub"), "ContainerNode", &[]).as_bytes(),
    )
    .await;
    let r = req(
        "DELETE",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = req(
        "GET",
        &format!("{}/nodes/alice/d/sub", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
    let r = req(
        "DELETE",
        &format!("{}/nodes/alice/d", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(
        (r.status, r.text().starts_with("NodeNotFound ")),
        (404, true)
    );
    // homes cannot be deleted, top-level nodes cannot be created
    assert_eq!(
        req(
            "DELETE",
            &format!("{}/nodes/alice", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .status,
        403
    );
    let r = req(
        "PUT",
        &format!("{}/nodes/mine", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("mine"), "ContainerNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 403);
}

#[actix_web::test]
async fn paging_with_uri_and_limit() {
    let e = common::start().await;
    req(
        "PUT",
        &format!("{}/nodes/alice/p", e.base),
        Some(&e.alice),
        &[],
        node_xml(&e.uri("alice/p"), "ContainerNode", &[]).as_bytes(),
    )
    .await;
    for i in 0..25 {
        let p = format!("alice/p/n{i:02}");
        let r = req(
            "PUT",
            &format!("{}/nodes/{p}", e.base),
            Some(&e.alice),
            &[],
            node_xml(&e.uri(&p), "DataNode", &[]).as_bytes(),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    let names = |t: &str| -> Vec<String> {
        t.split("<vos:node uri=\"vos://example.org!vospace/alice/p/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    let r = req(
        "GET",
        &format!("{}/nodes/alice/p?limit=0", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert!(names(&r.text()).is_empty());
    let r = req(
        "GET",
        &format!("{}/nodes/alice/p?limit=10", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    let first = names(&r.text());
    assert_eq!(first.len(), 10);
    assert_eq!(first[0], "n00");
    // the next page starts AT the given child (inclusive), as the CADC client expects
    let uri = e.uri(&format!("alice/p/{}", first[9]));
    let r = req(
        "GET",
        &format!(
            "{}/nodes/alice/p?limit=10&uri={}",
            e.base,
            uri.replace('!', "%21")
        ),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    let second = names(&r.text());
    assert_eq!(second.first().map(String::as_str), Some("n09"));
    assert_eq!(second.last().map(String::as_str), Some("n18"));
    let r = req(
        "GET",
        &format!("{}/nodes/alice/p", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(names(&r.text()).len(), 25);
    xmllint_vospace(&r.text());
    // a uri that is not a child is refused
    let r = req(
        "GET",
        &format!("{}/nodes/alice/p?uri={}", e.base, e.uri("bob/x")),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 400);
}

#[actix_web::test]
async fn permissions_between_users_groups_and_anonymous() {
    let e = common::start().await;
    // bob's home exists once bob has made a request
    req(
        "GET",
        &format!("{}/nodes/bob", e.base),
        Some(&e.bob),
        &[],
        b"",
    )
    .await;
    let put = |path: &str, kind: &str| node_xml(&e.uri(path), kind, &[]);
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/s", e.base),
        Some(&e.alice),
        &[],
        put("alice/s", "ContainerNode").as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201);
    let file = format!("{}/files/alice/s/f.txt", e.base);
    assert_eq!(
        req("PUT", &file, Some(&e.alice), &[], b"secret")
            .await
            .status,
        201
    );

    // bob: no read, no write, no delete; anonymous: 401 with WWW-Authenticate
    assert_eq!(req("GET", &file, Some(&e.bob), &[], b"").await.status, 403);
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/alice/s", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .status,
        403
    );
    assert_eq!(
        req(
            "PUT",
            &format!("{}/nodes/alice/s/b", e.base),
            Some(&e.bob),
            &[],
            put("alice/s/b", "DataNode").as_bytes()
        )
        .await
        .status,
        403
    );
    assert_eq!(
        req("PUT", &file, Some(&e.bob), &[], b"overwrite")
            .await
            .status,
        403
    );
    assert_eq!(
        req(
            "DELETE",
            &format!("{}/nodes/alice/s/f.txt", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .status,
        403
    );
    let anon = req("GET", &file, None, &[], b"").await;
    assert_eq!(anon.status, 401);
    assert!(
        anon.header("www-authenticate")
            .is_some_and(|h| h.contains("Bearer"))
    );
    assert_eq!(
        req(
            "PUT",
            &format!("{}/nodes/bob/x", e.base),
            None,
            &[],
            put("bob/x", "DataNode").as_bytes()
        )
        .await
        .status,
        401
    );
    // wrong credentials: 401 at once, not anonymous access
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/", e.base),
            Some("not-a-token"),
            &[],
            b""
        )
        .await
        .status,
        401
    );
    // Basic with a password works too
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "alice:alice-password",
    );
    let r = req(
        "GET",
        &file,
        None,
        &[("Authorization", &format!("Basic {basic}"))],
        b"",
    )
    .await;
    assert_eq!((r.status, r.text()), (200, "secret".to_string()));
    // only the owner changes permissions
    let pub_doc = node_xml(
        &e.uri("alice/s/f.txt"),
        "DataNode",
        &[("ivo://ivoa.net/vospace/core#publicread", "true")],
    );
    assert_eq!(
        req(
            "POST",
            &format!("{}/nodes/alice/s/f.txt", e.base),
            Some(&e.bob),
            &[],
            pub_doc.as_bytes()
        )
        .await
        .status,
        403
    );
    assert_eq!(
        req(
            "POST",
            &format!("{}/nodes/alice/s/f.txt", e.base),
            Some(&e.alice),
            &[],
            pub_doc.as_bytes()
        )
        .await
        .status,
        200
    );
    // public read: anonymous and bob read, still nobody else writes
    assert_eq!(req("GET", &file, None, &[], b"").await.text(), "secret");
    assert_eq!(req("GET", &file, Some(&e.bob), &[], b"").await.status, 200);
    assert_eq!(req("PUT", &file, Some(&e.bob), &[], b"x").await.status, 403);

    // groups: carol (in team) reads with groupread, writes with groupwrite; bob (not in team) does neither
    let g = node_xml(
        &e.uri("alice/s"),
        "ContainerNode",
        &[(
            "ivo://ivoa.net/vospace/core#groupread",
            "ivo://example.org/gms?team",
        )],
    );
    assert_eq!(
        req(
            "POST",
            &format!("{}/nodes/alice/s", e.base),
            Some(&e.alice),
            &[],
            g.as_bytes()
        )
        .await
        .status,
        200
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/alice/s", e.base),
            Some(&e.carol),
            &[],
            b""
        )
        .await
        .status,
        200
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/nodes/alice/s", e.base),
            Some(&e.bob),
            &[],
            b""
        )
        .await
        .status,
        403
    );
    assert_eq!(
        req(
            "PUT",
            &format!("{}/files/alice/s/c.txt", e.base),
            Some(&e.carol),
            &[],
            b"c"
        )
        .await
        .status,
        403
    );
    let gw = node_xml(
        &e.uri("alice/s"),
        "ContainerNode",
        &[("ivo://ivoa.net/vospace/core#groupwrite", "team")],
    );
    assert_eq!(
        req(
            "POST",
            &format!("{}/nodes/alice/s", e.base),
            Some(&e.alice),
            &[],
            gw.as_bytes()
        )
        .await
        .status,
        200
    );
    assert_eq!(
        req(
            "PUT",
            &format!("{}/files/alice/s/c.txt", e.base),
            Some(&e.carol),
            &[],
            b"c"
        )
        .await
        .status,
        201
    );
    // the root is readable by all and lists the homes; nobody writes it
    let root = req("GET", &format!("{}/nodes", e.base), None, &[], b"").await;
    assert_eq!(root.status, 200);
    assert!(root.text().contains("vospace/alice\"") && root.text().contains("vospace/bob\""));
}

#[actix_web::test]
async fn path_escapes_are_refused() {
    let e = common::start().await;
    req(
        "GET",
        &format!("{}/nodes/alice", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    for bad in [
        "alice/../bob",
        "alice/%2e%2e/bob",
        "alice/a%2Fb",
        "alice/a%00b",
        "alice//x",
        "alice/./x",
        "alice/%C0%AE%C0%AE", // overlong UTF-8 for '..'
    ] {
        for (m, what) in [("GET", "nodes"), ("PUT", "files"), ("DELETE", "nodes")] {
            let r = req(
                m,
                &format!("{}/{what}/{bad}", e.base),
                Some(&e.alice),
                &[],
                b"x",
            )
            .await;
            assert!(
                r.status == 400 || r.status == 404,
                "{m} {what}/{bad}: {} {}",
                r.status,
                r.text()
            );
            assert!(
                r.status != 404 || what == "nodes",
                "{m} {what}/{bad} reached a node"
            );
        }
    }
    let long = "x".repeat(300);
    assert_eq!(
        req(
            "PUT",
            &format!("{}/files/alice/{long}", e.base),
            Some(&e.alice),
            &[],
            b"x"
        )
        .await
        .status,
        400
    );
    // NFC: two spellings of é are one node
    assert_eq!(
        req(
            "PUT",
            &format!("{}/files/alice/caf%C3%A9", e.base),
            Some(&e.alice),
            &[],
            b"nfc"
        )
        .await
        .status,
        201
    );
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/cafe%CC%81", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "nfc"
    );
    // a vos:// URI of another authority in a document is refused
    let r = req(
        "PUT",
        &format!("{}/nodes/alice/o", e.base),
        Some(&e.alice),
        &[],
        node_xml("vos://evil.org!vospace/alice/o", "DataNode", &[]).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 400);
    // bytes never live under user paths: only random keys in the store
    for f in e.stored_files() {
        assert!(
            f.starts_with("vospace/blobs/") || f.starts_with("jobs/"),
            "{f}"
        );
        assert!(!f.contains("caf"), "{f}");
    }
}
