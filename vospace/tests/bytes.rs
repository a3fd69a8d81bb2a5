//! Byte paths end to end: uploads and downloads with Range and MD5, quotas at their edges (507), size limits,
//! an upload killed halfway, and concurrent writers to one node.
#![allow(clippy::unwrap_used)]

mod common;

use common::{md5_b64, raw, req};
use std::time::Duration;

fn h(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[actix_web::test]
async fn upload_download_range_and_digest() {
    let e = common::start().await;
    let url = format!("{}/files/alice/data.bin", e.base);
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = req(
        "PUT",
        &url,
        Some(&e.alice),
        &[
            ("Content-Type", "application/x-test"),
            ("digest", &format!("md5={}", md5_b64(&data))),
        ],
        &data,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = req("GET", &url, Some(&e.alice), &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.body == data, "bit-exact round trip");
    assert_eq!(r.header("content-type"), Some("application/x-test"));
    assert_eq!(
        r.header("digest"),
        Some(format!("md5={}", md5_b64(&data)).as_str())
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    // ranges
    let r = req(
        "GET",
        &url,
        Some(&e.alice),
        &[("Range", "bytes=10-19")],
        b"",
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[10..20]);
    assert_eq!(r.header("content-range"), Some("bytes 10-19/100000"));
    let r = req("GET", &url, Some(&e.alice), &[("Range", "bytes=-5")], b"").await;
    assert_eq!(r.body, &data[99_995..]);
    let r = req(
        "GET",
        &url,
        Some(&e.alice),
        &[("Range", "bytes=100000-")],
        b"",
    )
    .await;
    assert_eq!(r.status, 416);
    let r = req("HEAD", &url, Some(&e.alice), &[], b"").await;
    assert_eq!(
        (r.status, r.header("content-length")),
        (200, Some("100000"))
    );
    // the node shows length and MD5
    let n = req(
        "GET",
        &format!("{}/nodes/alice/data.bin", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await
    .text();
    assert!(
        n.contains(">100000</vos:property>") && n.contains("core#MD5"),
        "{n}"
    );
    // a wrong digest is refused (412) and the old content stays
    let r = req(
        "PUT",
        &url,
        Some(&e.alice),
        &[("digest", &format!("md5={}", md5_b64(b"other")))],
        b"new content",
    )
    .await;
    assert_eq!(r.status, 412, "{}", r.text());
    assert!(req("GET", &url, Some(&e.alice), &[], b"").await.body == data);
    // overwrite
    assert_eq!(
        req("PUT", &url, Some(&e.alice), &[], b"v2").await.status,
        200
    );
    assert_eq!(
        req("GET", &url, Some(&e.alice), &[], b"").await.text(),
        "v2"
    );
    // a container has no bytes
    let r = req(
        "GET",
        &format!("{}/files/alice", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 400);
    // the old contents are gone from the store: one object for one node
    let blobs: Vec<_> = e
        .stored_files()
        .into_iter()
        .filter(|f| f.starts_with("vospace/"))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
}

#[actix_web::test]
async fn quota_edges() {
    let e = common::start_with(|c| {
        c.default_quota = 100;
        c.max_file_bytes = 80;
    })
    .await;
    let f = |n: &str| format!("{}/files/alice/{n}", e.base);
    assert_eq!(
        req("PUT", &f("a"), Some(&e.alice), &[], &[1u8; 60])
            .await
            .status,
        201
    );
    // exactly up to the quota
    assert_eq!(
        req("PUT", &f("b"), Some(&e.alice), &[], &[2u8; 40])
            .await
            .status,
        201
    );
    // one byte more: 507 with QuotaExceeded, nothing created
    let r = req("PUT", &f("c"), Some(&e.alice), &[], &[3u8; 1]).await;
    assert_eq!(
        (r.status, r.text().starts_with("QuotaExceeded ")),
        (507, true),
        "{}",
        r.text()
    );
    // a bigger file than one may have: 413
    let r = req("PUT", &f("a"), Some(&e.alice), &[], &[4u8; 81]).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // overwriting with less frees room
    assert_eq!(
        req("PUT", &f("a"), Some(&e.alice), &[], &[5u8; 30])
            .await
            .status,
        200
    );
    assert_eq!(
        req("PUT", &f("c"), Some(&e.alice), &[], &[6u8; 30])
            .await
            .status,
        201
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
        home.contains("core#availableSpace\" readOnly=\"true\">0<"),
        "{home}"
    );
    // deleting frees it
    assert_eq!(
        req(
            "DELETE",
            &format!("{}/nodes/alice/b", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .status,
        204
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
        home.contains("core#availableSpace\" readOnly=\"true\">40<"),
        "{home}"
    );
    // a body without Content-Length that overflows the quota is stopped too (chunked upload)
    let r = raw_chunked(&f("d"), &e.alice, &[7u8; 50]).await;
    assert_eq!(r, 507);
    assert_eq!(
        req("GET", &f("d"), Some(&e.alice), &[], b"").await.status,
        404
    );
}

async fn raw_chunked(url: &str, token: &str, data: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for c in data.chunks(10) {
        s.write_all(format!("{:x}\r\n", c.len()).as_bytes())
            .await
            .unwrap();
        s.write_all(c).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let mut buf = vec![];
    let _ = s.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn an_upload_killed_halfway_changes_nothing() {
    let e = common::start().await;
    let url = format!("{}/files/alice/keep.txt", e.base);
    assert_eq!(
        req("PUT", &url, Some(&e.alice), &[], b"version 1")
            .await
            .status,
        201
    );
    let before = e.stored_files();
    // announce 10 MB, send 1 MB, hang up
    let auth = vec![h("Authorization", &format!("Bearer {}", e.alice))];
    raw("PUT", &url, &auth, &vec![9u8; 1 << 20], Some(10 << 20)).await;
    // a new file killed halfway is not created either
    raw(
        "PUT",
        &format!("{}/files/alice/new.txt", e.base),
        &auth,
        &vec![9u8; 1 << 20],
        Some(10 << 20),
    )
    .await;
    let mut settled = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if e.stored_files() == before {
            settled = true;
            break;
        }
    }
    assert!(
        settled,
        "partial objects left behind: {:?} (before {:?})",
        e.stored_files(),
        before
    );
    assert_eq!(
        req("GET", &url, Some(&e.alice), &[], b"").await.text(),
        "version 1"
    );
    let n = req(
        "GET",
        &format!("{}/nodes/alice/new.txt", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert!(
        n.status == 404 || n.text().contains(">0</vos:property>"),
        "{}",
        n.text()
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
        home.contains("core#length\" readOnly=\"true\">9<"),
        "usage counts only committed bytes: {home}"
    );
}

#[actix_web::test]
async fn concurrent_writers_leave_one_whole_content() {
    let e = common::start().await;
    let url = format!("{}/files/alice/race.bin", e.base);
    let mut tasks = vec![];
    for i in 0..8u8 {
        let (url, tok) = (url.clone(), e.alice.clone());
        tasks.push(actix_web::rt::spawn(async move {
            req("PUT", &url, Some(&tok), &[], &vec![i; 256 * 1024])
                .await
                .status
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 201, "{s}");
    }
    let got = req("GET", &url, Some(&e.alice), &[], b"").await.body;
    assert_eq!(got.len(), 256 * 1024);
    assert!(
        got.iter().all(|b| *b == got[0]),
        "one writer's whole content, never a mix"
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
        home.contains(&format!("core#length\" readOnly=\"true\">{}<", 256 * 1024)),
        "quota charged once: {home}"
    );
    let blobs: Vec<_> = e
        .stored_files()
        .into_iter()
        .filter(|f| f.starts_with("vospace/"))
        .collect();
    assert_eq!(blobs.len(), 1, "replaced contents are deleted: {blobs:?}");
}
