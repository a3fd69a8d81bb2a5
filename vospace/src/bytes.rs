//! The byte store: node contents in an opendal operator (local directory by default, S3 by configuration) under
//! random keys `vospace/blobs/ab/abcdef...`, never under user paths, so no path trick (`..`, encoded slashes,
//! symlinks planted by a user) can make the service read or write outside a node's own object.
//!
//! An upload writes a fresh key that nothing references yet (registered as pending garbage first); the node
//! points to it only when the node store commits it. A broken upload therefore never replaces the old content,
//! and its partial object is deleted (now, or by the start-up sweep after a crash).

use crate::error::Fault;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};
use opendal::Operator;

/// Chunk size of byte-store reads and writes.
pub const CHUNK: usize = 8 << 20;

/// Contents of nodes.
#[derive(Debug, Clone)]
pub struct ByteStore {
    op: Operator,
}

/// What an upload wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes.
    pub length: u64,
    /// Hex MD5.
    pub md5: String,
    /// Base64 MD5 (for `Digest`/`digest` headers).
    pub md5_base64: String,
}

/// Why an upload stopped.
#[derive(Debug)]
pub enum UploadError {
    /// The body stream failed (client went away).
    Body(String),
    /// More bytes than allowed.
    TooLarge(u64),
    /// The byte store failed.
    Store(Fault),
}

impl ByteStore {
    /// Over an operator.
    pub fn new(op: Operator) -> ByteStore {
        ByteStore { op }
    }

    /// The operator.
    pub fn operator(&self) -> &Operator {
        &self.op
    }

    /// A fresh key for new content.
    pub fn new_key() -> String {
        let id = crate::store::new_id();
        format!("vospace/blobs/{}/{}", &id[..2], id)
    }

    /// Streams `body` into `key`, stopping (and deleting what was written) when it exceeds `limit` bytes or the
    /// stream fails.
    pub async fn write<S, E>(
        &self,
        key: &str,
        mut body: S,
        limit: u64,
    ) -> Result<Written, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut writer = self
            .op
            .writer_with(key)
            .chunk(CHUNK)
            .await
            .map_err(|e| UploadError::Store(e.into()))?;
        // MD5 is most of an upload's CPU (57 % of a 1 GiB PUT's profile): it runs on its own thread, fed the
        // same reference-counted chunks, while this task receives and writes.
        let (to_hasher, mut chunks) = tokio::sync::mpsc::channel::<Bytes>(32);
        let hasher = tokio::task::spawn_blocking(move || {
            let mut md5 = Md5::new();
            while let Some(chunk) = chunks.blocking_recv() {
                md5.update(&chunk);
            }
            md5.finalize()
        });
        let mut length = 0u64;
        let result: Result<(), UploadError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
                length += chunk.len() as u64;
                if length > limit {
                    return Err(UploadError::TooLarge(limit));
                }
                to_hasher
                    .send(chunk.clone())
                    .await
                    .map_err(|_| UploadError::Body("the checksum thread stopped".into()))?;
                writer
                    .write(chunk)
                    .await
                    .map_err(|e| UploadError::Store(e.into()))?;
            }
            Ok(())
        }
        .await;
        drop(to_hasher);
        if let Err(e) = result {
            let _ = writer.abort().await;
            let _ = self.op.delete(key).await;
            return Err(e);
        }
        if let Err(e) = writer.close().await {
            let _ = self.op.delete(key).await;
            return Err(UploadError::Store(e.into()));
        }
        let digest = match hasher.await {
            Ok(d) => d,
            Err(e) => {
                let _ = self.op.delete(key).await;
                return Err(UploadError::Body(format!(
                    "the checksum thread failed: {e}"
                )));
            }
        };
        use base64::Engine as _;
        Ok(Written {
            length,
            md5: digest.iter().map(|b| format!("{b:02x}")).collect(),
            md5_base64: base64::engine::general_purpose::STANDARD.encode(digest),
        })
    }

    /// Streams `range` of `key` (`None`: everything).
    pub async fn read(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + use<>, Fault> {
        let reader = self.op.reader_with(key).chunk(CHUNK).await?;
        Ok(reader.into_bytes_stream(range).await?)
    }

    /// Copies `from` to a new key `to` (server-side where the backend can).
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), Fault> {
        if self.op.info().capability().copy {
            self.op.copy(from, to).await?;
            return Ok(());
        }
        let len = self.op.stat(from).await?.content_length();
        let stream = self.read(from, 0..len).await?;
        self.write(to, Box::pin(stream), u64::MAX)
            .await
            .map_err(|e| match e {
                UploadError::Store(f) => f,
                UploadError::Body(m) => Fault::Internal(m),
                UploadError::TooLarge(_) => Fault::Internal("copy exceeded u64".into()),
            })?;
        Ok(())
    }

    /// Deletes a key (absent keys are fine).
    pub async fn delete(&self, key: &str) -> Result<(), Fault> {
        self.op.delete(key).await?;
        Ok(())
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against a length: the range to serve, `Ok(None)` for a header that is
/// absent or names several ranges (serve everything, RFC 9110 allows it), Err when unsatisfiable.
pub fn parse_range(header: Option<&str>, len: u64) -> Result<Option<std::ops::Range<u64>>, Fault> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let unsatisfiable = || {
        Fault::RangeNotSatisfiable(format!(
            "range '{h}' is outside the {len} bytes of the node"
        ))
    };
    let range = match (a.trim(), b.trim()) {
        ("", "") => return Ok(None),
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || len == 0 {
                return Err(unsatisfiable());
            }
            len.saturating_sub(n)..len
        }
        (a, "") => {
            let a: u64 = a.parse().map_err(|_| unsatisfiable())?;
            if a >= len {
                return Err(unsatisfiable());
            }
            a..len
        }
        (a, b) => {
            let (a, b): (u64, u64) = (
                a.parse().map_err(|_| unsatisfiable())?,
                b.parse().map_err(|_| unsatisfiable())?,
            );
            if a > b || a >= len {
                return Err(unsatisfiable());
            }
            a..(b.saturating_add(1)).min(len)
        }
    };
    Ok(Some(range))
}

/// The byte store of a `[store]` configuration: `fs` (the directory `root`, created if missing) or `s3` (only in
/// a build with the `s3` feature).
pub fn operator_for(store: &almagest_common::config::StoreConfig) -> Result<Operator, Fault> {
    match store.kind.as_str() {
        "fs" => {
            std::fs::create_dir_all(&store.root).map_err(|e| {
                Fault::Internal(format!(
                    "cannot create the byte store directory {}: {e}",
                    store.root
                ))
            })?;
            Ok(Operator::new(
                opendal::services::Fs::default().root(&store.root),
            )?)
        }
        #[cfg(feature = "s3")]
        "s3" => s3_operator(&S3Settings {
            bucket: store.bucket.clone(),
            endpoint: store.endpoint.clone(),
            region: store.region.clone(),
            access_key_id: store.access_key_id.clone(),
            secret_access_key: store.secret_access_key.clone(),
            root: store.root.clone(),
        }),
        other => Err(Fault::Internal(format!(
            "store.kind = '{other}' is not available in this build: use 'fs' (or 's3' in a build with the s3 \
             feature)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10).unwrap(), None);
        assert_eq!(parse_range(Some("bytes=0-3"), 10).unwrap(), Some(0..4));
        assert_eq!(parse_range(Some("bytes=5-"), 10).unwrap(), Some(5..10));
        assert_eq!(parse_range(Some("bytes=-3"), 10).unwrap(), Some(7..10));
        assert_eq!(parse_range(Some("bytes=8-100"), 10).unwrap(), Some(8..10));
        assert_eq!(parse_range(Some("bytes=0-1,4-5"), 10).unwrap(), None);
        assert!(parse_range(Some("bytes=10-"), 10).is_err());
        assert!(parse_range(Some("bytes=5-2"), 10).is_err());
        assert!(parse_range(Some("bytes=x-2"), 10).is_err());
    }

    #[tokio::test]
    async fn write_read_and_limit() {
        let op = Operator::new(opendal::services::Memory::default()).unwrap();
        let store = ByteStore::new(op);
        let body = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ]);
        let w = store.write("k", body, 100).await.unwrap();
        assert_eq!(w.length, 11);
        assert_eq!(w.md5, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        let got: Vec<Bytes> = store
            .read("k", 6..11)
            .await
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
            .await;
        assert_eq!(got.concat(), b"world");
        let body =
            futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 50]))]);
        assert!(matches!(
            store.write("k2", body, 10).await,
            Err(UploadError::TooLarge(10))
        ));
        assert!(
            store.operator().stat("k2").await.is_err(),
            "a refused upload leaves nothing behind"
        );
    }
}

/// Settings of an S3-compatible byte store.
#[cfg(feature = "s3")]
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Bucket.
    pub bucket: String,
    /// Endpoint URL (`http://127.0.0.1:9000`, `https://s3.example.org`).
    pub endpoint: String,
    /// Region.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Key prefix inside the bucket.
    pub root: String,
}

/// An operator over an S3-compatible store. Installs the process's TLS crypto provider (ring) on first use:
/// opendal's HTTP transport is built without one to keep aws-lc out of the build.
#[cfg(feature = "s3")]
pub fn s3_operator(s: &S3Settings) -> Result<Operator, Fault> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // opendal's HTTP services find no transport unless one is installed (first install wins; idempotent)
    opendal_http_transport_reqwest::install_default();
    let b = opendal::services::S3::default()
        .bucket(&s.bucket)
        .endpoint(&s.endpoint)
        .region(if s.region.is_empty() {
            "us-east-1"
        } else {
            &s.region
        })
        .access_key_id(&s.access_key_id)
        .secret_access_key(&s.secret_access_key)
        .root(if s.root.is_empty() { "/" } else { &s.root });
    Ok(Operator::new(b)?)
}
