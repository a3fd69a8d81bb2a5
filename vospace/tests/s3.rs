//! The byte paths on a real S3-compatible server (`--features s3`; CI starts `moto_server` from pip and sets
//! ALMAGEST_TEST_S3_ENDPOINT, see conformance/vos/s3-test.sh). Skipped with a notice when no server is given.
#![cfg(feature = "s3")]
#![allow(clippy::unwrap_used)]

mod common;

use common::{raw, req, transfer_xml};

async fn objects(op: &opendal::Operator) -> Vec<String> {
    let mut out: Vec<String> = op
        .list_with("vospace/")
        .recursive(true)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.path().to_string())
        .filter(|p| !p.ends_with('/'))
        .collect();
    out.sort();
    out
}

#[actix_web::test]
async fn byte_paths_on_s3() {
    let Ok(endpoint) = std::env::var("ALMAGEST_TEST_S3_ENDPOINT") else {
        eprintln!(
            "skipping the S3 test: set ALMAGEST_TEST_S3_ENDPOINT (conformance/vos/s3-test.sh starts a server)"
        );
        return;
    };
    let bucket =
        std::env::var("ALMAGEST_TEST_S3_BUCKET").unwrap_or_else(|_| "almagest-test".into());
    let root = format!("/run-{}/", std::process::id());
    let op = vospace::bytes::s3_operator(&vospace::bytes::S3Settings {
        bucket,
        endpoint,
        region: "us-east-1".into(),
        access_key_id: std::env::var("ALMAGEST_TEST_S3_KEY").unwrap_or_else(|_| "testing".into()),
        secret_access_key: std::env::var("ALMAGEST_TEST_S3_SECRET")
            .unwrap_or_else(|_| "testing".into()),
        root,
    })
    .unwrap();
    let e = common::start_on(Some(op.clone()), |_| {}).await;
    let url = format!("{}/files/alice/big.bin", e.base);
    let data: Vec<u8> = (0..(20u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    assert_eq!(
        req("PUT", &url, Some(&e.alice), &[], &data).await.status,
        201
    );
    let got = req("GET", &url, Some(&e.alice), &[], b"").await;
    assert!(
        got.body == data,
        "20 MiB round trip through S3 (multipart upload)"
    );
    let r = req(
        "GET",
        &url,
        Some(&e.alice),
        &[("Range", "bytes=1000-1999")],
        b"",
    )
    .await;
    assert_eq!((r.status, &r.body[..]), (206, &data[1000..2000]));
    assert_eq!(objects(&op).await.len(), 1);
    // overwrite: the old object is deleted
    assert_eq!(
        req("PUT", &url, Some(&e.alice), &[], b"small").await.status,
        200
    );
    assert_eq!(objects(&op).await.len(), 1);
    // an upload killed halfway leaves the old content and no object
    let auth = vec![("Authorization".to_string(), format!("Bearer {}", e.alice))];
    raw("PUT", &url, &auth, &vec![1u8; 1 << 20], Some(8 << 20)).await;
    for _ in 0..100 {
        if objects(&op).await.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(objects(&op).await.len(), 1);
    assert_eq!(
        req("GET", &url, Some(&e.alice), &[], b"").await.text(),
        "small"
    );
    // copy (server-side on S3) and move (metadata only)
    let t = transfer_xml(
        &e.uri("alice/big.bin"),
        &e.uri("alice/copy.bin"),
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
    let job = r.header("location").unwrap().to_string();
    // WAIT returns at every phase change (QUEUED -> EXECUTING -> ...): wait until the phase is final
    let mut d = String::new();
    for _ in 0..10 {
        d = req("GET", &format!("{job}?WAIT=30"), Some(&e.alice), &[], b"")
            .await
            .text();
        if ["COMPLETED", "ERROR", "ABORTED"]
            .iter()
            .any(|p| d.contains(&format!("<uws:phase>{p}<")))
        {
            break;
        }
    }
    assert!(d.contains("<uws:phase>COMPLETED<"), "{d}");
    assert_eq!(
        req(
            "GET",
            &format!("{}/files/alice/copy.bin", e.base),
            Some(&e.alice),
            &[],
            b""
        )
        .await
        .text(),
        "small"
    );
    assert_eq!(objects(&op).await.len(), 2);
    // delete removes the objects
    req(
        "DELETE",
        &format!("{}/nodes/alice/copy.bin", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    req(
        "DELETE",
        &format!("{}/nodes/alice/big.bin", e.base),
        Some(&e.alice),
        &[],
        b"",
    )
    .await;
    assert!(objects(&op).await.is_empty());
}
