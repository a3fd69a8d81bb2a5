//! Job bytes in the byte store (opendal: a local directory by default, S3 at scale): results, inline parameters
//! and error documents under `jobs/<job-id>/`. Every object is written under a temporary key and moved to its
//! name only when complete, so a reader never sees half a result (ARCHITECTURE.md, "State and storage").

use crate::error::UwsError;
use bytes::Bytes;
use futures_util::Stream;
use opendal::Operator;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use tokio::io::AsyncReadExt as _;

/// Characters kept as they are in keys; everything else is percent-encoded, so distinct names never share a key
/// and no name can climb out of its job's prefix (`..`, `/`).
const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// Bytes read from the store, as an HTTP body stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Where a job's bytes live.
#[derive(Debug, Clone)]
pub struct JobBytes {
    op: Operator,
    /// The local directory of an `fs` store: files are moved in by rename instead of copied.
    fs_root: Option<PathBuf>,
    rename: bool,
    copy: bool,
}

fn io_err(e: opendal::Error) -> UwsError {
    UwsError::Bytes(e.to_string())
}

/// The key segment of a name (a result id or a parameter name).
pub fn key_segment(name: &str) -> String {
    let s = utf8_percent_encode(name, KEY_SET).to_string();
    if s.is_empty() { "%".into() } else { s }
}

impl JobBytes {
    /// Job bytes in `op`.
    pub fn new(op: Operator) -> JobBytes {
        let info = op.info();
        let fs_root = (info.scheme() == "fs").then(|| PathBuf::from(info.root()));
        let cap = info.capability();
        JobBytes {
            op,
            fs_root,
            rename: cap.rename,
            copy: cap.copy,
        }
    }

    /// A store in a local directory.
    pub fn local(dir: &Path) -> Result<JobBytes, UwsError> {
        let dir = dir.to_str().ok_or_else(|| {
            UwsError::Internal(format!("the job directory {} is not UTF-8", dir.display()))
        })?;
        let op = Operator::new(opendal::services::Fs::default().root(dir)).map_err(io_err)?;
        Ok(JobBytes::new(op))
    }

    /// The operator (for runners that want to read or write elsewhere in the store).
    pub fn operator(&self) -> &Operator {
        &self.op
    }

    fn prefix(id: &str) -> String {
        format!("jobs/{}/", key_segment(id))
    }

    /// Key of a result.
    pub fn result_key(id: &str, name: &str) -> String {
        format!("{}results/{}", Self::prefix(id), key_segment(name))
    }

    /// Key of an inline parameter.
    pub fn param_key(id: &str, name: &str) -> String {
        format!("{}params/{}", Self::prefix(id), key_segment(name))
    }

    /// Key of the error detail document.
    pub fn error_key(id: &str) -> String {
        format!("{}error", Self::prefix(id))
    }

    /// A fresh temporary key of a job.
    pub fn temp_key(id: &str) -> String {
        format!("{}tmp/{}", Self::prefix(id), crate::service::new_id())
    }

    /// The local file of a key, when the store is a local directory.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.fs_root.as_ref().map(|r| r.join(key))
    }

    /// Moves a finished temporary object to its name: a rename where the store can (fs), else a server-side
    /// copy (S3), else a streamed copy; then the temporary object goes.
    pub async fn commit(&self, temp: &str, key: &str) -> Result<(), UwsError> {
        if self.rename {
            return self.op.rename(temp, key).await.map_err(io_err);
        }
        if self.copy {
            self.op.copy(temp, key).await.map_err(io_err)?;
        } else {
            use futures_util::TryStreamExt as _;
            let mut s = self
                .op
                .reader(temp)
                .await
                .map_err(io_err)?
                .into_bytes_stream(..)
                .await
                .map_err(io_err)?;
            let mut w = self.op.writer(key).await.map_err(io_err)?;
            while let Some(chunk) = s.try_next().await? {
                w.write(chunk).await.map_err(io_err)?;
            }
            w.close().await.map_err(io_err)?;
        }
        self.op.delete(temp).await.map_err(io_err)
    }

    /// Stores a small document (an error detail).
    pub async fn put(&self, id: &str, key: &str, bytes: Vec<u8>) -> Result<u64, UwsError> {
        let len = bytes.len() as u64;
        let temp = Self::temp_key(id);
        self.op.write(&temp, bytes).await.map_err(io_err)?;
        self.commit(&temp, key).await?;
        Ok(len)
    }

    /// Moves a local file into the store under `key`: a rename when the store is a directory on the same file
    /// system (no copy of a large result), else a streamed copy through a temporary key. Returns the size.
    pub async fn put_file(&self, id: &str, file: &Path, key: &str) -> Result<u64, UwsError> {
        let size = tokio::fs::metadata(file).await?.len();
        if let Some(target) = self.local_path(key) {
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            if tokio::fs::rename(file, &target).await.is_ok() {
                return Ok(size);
            }
        }
        let temp = Self::temp_key(id);
        let mut w = self
            .op
            .writer_with(&temp)
            .chunk(8 << 20)
            .await
            .map_err(io_err)?;
        let mut f = tokio::fs::File::open(file).await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            w.write(Bytes::copy_from_slice(&buf[..n]))
                .await
                .map_err(io_err)?;
        }
        w.close().await.map_err(io_err)?;
        self.commit(&temp, key).await?;
        let _ = tokio::fs::remove_file(file).await;
        Ok(size)
    }

    /// Copies an object to a local file (an inline parameter for a runner that reads files).
    pub async fn fetch_to(&self, key: &str, file: &Path) -> Result<(), UwsError> {
        use futures_util::TryStreamExt as _;
        use tokio::io::AsyncWriteExt as _;
        if let Some(parent) = file.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let mut out = tokio::fs::File::create(file).await?;
        let reader = self.op.reader(key).await.map_err(io_err)?;
        let mut s = reader.into_bytes_stream(..).await.map_err(io_err)?;
        while let Some(chunk) = s.try_next().await? {
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        Ok(())
    }

    /// The size of an object, or None when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, UwsError> {
        match self.op.stat(key).await {
            Ok(m) => Ok(Some(m.content_length())),
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    /// Streams bytes `range` (end exclusive) of an object.
    pub async fn stream(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<ByteStream, UwsError> {
        let reader = self
            .op
            .reader_with(key)
            .chunk(1 << 20)
            .await
            .map_err(io_err)?;
        let s = reader.into_bytes_stream(range).await.map_err(io_err)?;
        Ok(Box::pin(s))
    }

    /// Deletes everything of a job.
    pub async fn delete_job(&self, id: &str) -> Result<(), UwsError> {
        self.op
            .delete_with(&Self::prefix(id))
            .recursive(true)
            .await
            .map_err(io_err)
    }

    /// Deletes the leftovers of unfinished writes of a job.
    pub async fn delete_temp(&self, id: &str) -> Result<(), UwsError> {
        self.op
            .delete_with(&format!("{}tmp/", Self::prefix(id)))
            .recursive(true)
            .await
            .map_err(io_err)
    }

    /// Deletes a job's results (a job that did not complete keeps none).
    pub async fn delete_results(&self, id: &str) -> Result<(), UwsError> {
        self.op
            .delete_with(&format!("{}results/", Self::prefix(id)))
            .recursive(true)
            .await
            .map_err(io_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt as _;

    #[test]
    fn keys_never_leave_their_job() {
        assert_eq!(
            JobBytes::result_key("abc", "result"),
            "jobs/abc/results/result"
        );
        assert_eq!(
            JobBytes::param_key("abc", "../../x"),
            "jobs/abc/params/%2E%2E%2F%2E%2E%2Fx"
        );
        assert_ne!(key_segment("a b"), key_segment("a_b"));
        assert_eq!(key_segment(""), "%");
    }

    #[tokio::test]
    async fn put_file_commit_stream_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let b = JobBytes::local(&dir.path().join("store")).unwrap();
        let spool = dir.path().join("spool.bin");
        std::fs::write(&spool, b"0123456789").unwrap();
        let key = JobBytes::result_key("j", "result");
        assert_eq!(b.put_file("j", &spool, &key).await.unwrap(), 10);
        assert!(!spool.exists(), "moved, not copied");
        assert_eq!(b.size(&key).await.unwrap(), Some(10));
        let got: Vec<Bytes> = b
            .stream(&key, 2..5)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.concat(), b"234");
        b.put("j", &JobBytes::error_key("j"), b"oops".to_vec())
            .await
            .unwrap();
        assert_eq!(b.size(&JobBytes::error_key("j")).await.unwrap(), Some(4));
        let copy = dir.path().join("copy");
        b.fetch_to(&key, &copy).await.unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"0123456789");
        b.delete_job("j").await.unwrap();
        assert_eq!(b.size(&key).await.unwrap(), None);
    }

    /// The in-memory service has no rename: results are copied into place, and files streamed in.
    #[tokio::test]
    async fn a_store_without_rename() {
        let op = Operator::new(opendal::services::Memory::default()).unwrap();
        let b = JobBytes::new(op);
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("r");
        std::fs::write(&spool, vec![7u8; 3 << 20]).unwrap();
        let key = JobBytes::result_key("j", "big");
        assert_eq!(b.put_file("j", &spool, &key).await.unwrap(), 3 << 20);
        assert_eq!(b.size(&key).await.unwrap(), Some(3 << 20));
        let got: Vec<Bytes> = b
            .stream(&key, 0..(3 << 20))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.concat().len(), 3 << 20);
    }
}
