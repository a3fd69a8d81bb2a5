//! The data side of the VOSpace operations: where uploads go, the all-or-nothing upload itself under quota,
//! reading data nodes, and moving or copying nodes (transfers).

use super::{UploadMeta, Vospace};
use crate::bytes::{ByteStore, UploadError};
use crate::error::Fault;
use crate::model::{Node, NodeKind};
use crate::path::NodePath;
use crate::perm::Caller;
use crate::store::{new_id, new_node};
use bytes::Bytes;
use futures_util::Stream;

impl Vospace {
    /// Where an upload goes: the node at `path` (created as a DataNode owned by `owner` if missing), after
    /// checking the caller may write it.
    pub async fn upload_target(
        &self,
        caller: &Caller,
        path: &NodePath,
        owner: Option<&str>,
    ) -> Result<Node, Fault> {
        let parent = self.check_ancestors(path).await?;
        match self.store.get(path).await? {
            Some(n) => {
                if !n.kind.holds_data() {
                    return Err(Fault::InvalidArgument(format!(
                        "{} is a {}: only data nodes hold bytes",
                        self.ids.uri(path),
                        n.kind.type_name()
                    )));
                }
                self.must_write(caller, &n)?;
                if n.is_immutable() {
                    return Err(Fault::PermissionDenied(format!(
                        "{} is immutable",
                        self.ids.uri(path)
                    )));
                }
                Ok(n)
            }
            None => {
                if path.segments().len() < 2 {
                    return Err(Fault::PermissionDenied(
                        "files go inside a home container".into(),
                    ));
                }
                self.must_write(caller, &parent)?;
                let n = new_node(
                    path.clone(),
                    NodeKind::Data,
                    owner.or(caller.name.as_deref()),
                );
                match self.store.insert(&n, &self.ids.uri(path)).await {
                    Ok(()) => Ok(n),
                    // created meanwhile by a concurrent writer: write into it
                    Err(Fault::DuplicateNode(_)) => self
                        .store
                        .get(path)
                        .await?
                        .ok_or_else(|| Fault::NodeNotFound(self.ids.uri(path))),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Writes the bytes of a data node: streams `body` to a new object, checks size, quota and digest, then
    /// commits it (compare-and-set: concurrent writers end with one complete content, the last commit). On any
    /// failure the node keeps its previous content and the partial object is deleted.
    pub async fn upload<S, E>(&self, node: Node, body: S, meta: &UploadMeta) -> Result<Node, Fault>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let uri = self.ids.uri(&node.path);
        if let Some(len) = meta.length {
            if len > self.cfg.max_file_bytes {
                return Err(Fault::TooLarge(format!(
                    "{len} bytes is more than the {} bytes one file may have",
                    self.cfg.max_file_bytes
                )));
            }
            self.check_room(&node, len as i64).await?;
        }
        let key = ByteStore::new_key();
        self.store.register_pending(&key).await?;
        let written = match self.bytes.write(&key, body, self.cfg.max_file_bytes).await {
            Ok(w) => w,
            Err(e) => {
                let _ = self.store.forget_garbage(&key).await;
                return Err(match e {
                    UploadError::Body(m) => {
                        Fault::InvalidData(format!("the upload to {uri} was interrupted: {m}"))
                    }
                    UploadError::TooLarge(l) => {
                        Fault::TooLarge(format!("more than the {l} bytes one file may have"))
                    }
                    UploadError::Store(f) => f,
                });
            }
        };
        let fail = |f: Fault| async {
            let _ = self.bytes.delete(&key).await;
            let _ = self.store.forget_garbage(&key).await;
            Err(f)
        };
        if let Some(len) = meta.length
            && len != written.length
        {
            return fail(Fault::InvalidData(format!(
                "Content-Length announced {len} bytes but {} arrived",
                written.length
            )))
            .await;
        }
        if let Some(expected) = &meta.md5_base64
            && expected.trim() != written.md5_base64
            && !expected.trim().eq_ignore_ascii_case(&written.md5)
        {
            return fail(Fault::DigestMismatch(format!(
                "the MD5 of the bytes received ({}) is not the one announced ({expected})",
                written.md5_base64
            )))
            .await;
        }
        let mut current = node;
        for _ in 0..16 {
            match self
                .store
                .commit_content(
                    &current,
                    current.blob.as_deref(),
                    current.length,
                    &key,
                    written.length as i64,
                    &written.md5,
                    meta.content_type.as_deref(),
                )
                .await
            {
                Ok(Some(_)) => {
                    let _ = self.sweep(false).await;
                    return self
                        .store
                        .get(&current.path)
                        .await?
                        .ok_or_else(|| Fault::NodeNotFound(uri.clone()));
                }
                Ok(None) => {
                    // another writer committed first: retry against its content
                    match self.store.get(&current.path).await? {
                        Some(n) if n.id == current.id => current = n,
                        _ => {
                            return fail(Fault::NodeNotFound(format!(
                                "{uri} was deleted during the upload"
                            )))
                            .await;
                        }
                    }
                }
                Err(f) => return fail(f).await,
            }
        }
        fail(Fault::NodeBusy(format!(
            "{uri} is being written by others; try again"
        )))
        .await
    }

    /// Removes a data node created for an upload that failed, unless content arrived meanwhile (another
    /// writer): a failed upload into a new name leaves no node behind.
    pub async fn discard_if_empty(&self, node: &Node) {
        if let Ok(Some(n)) = self.store.get(&node.path).await
            && n.id == node.id
            && n.blob.is_none()
        {
            let _ = self.store.delete_subtree(&n).await;
        }
    }

    /// Whether `len` more bytes (replacing the node's current content) fit in its home's quota.
    async fn check_room(&self, node: &Node, len: i64) -> Result<(), Fault> {
        let Some(home) = node.path.home() else {
            return Ok(());
        };
        let Some(h) = self.store.get(&home).await? else {
            return Ok(());
        };
        if let Some(q) = h.quota {
            let delta = len - node.length;
            if delta > 0 && h.used + delta > q {
                return Err(Fault::QuotaExceeded(format!(
                    "{len} bytes do not fit in {}: {} of its {q} bytes are used",
                    self.ids.uri(&home),
                    h.used
                )));
            }
        }
        Ok(())
    }

    /// The data node to read at `path` for `caller`, following LinkNodes inside this service (up to 8).
    pub async fn readable_data(&self, caller: &Caller, path: &NodePath) -> Result<Node, Fault> {
        let mut p = path.clone();
        for _ in 0..8 {
            let n = self.resolve(&p).await?;
            self.must_read(caller, &n)?;
            match n.kind {
                NodeKind::Link => {
                    let t = n.target.clone().unwrap_or_default();
                    p = self.ids.path_of(&t).map_err(|_| {
                        Fault::InvalidArgument(format!(
                            "{} links outside this service, to {t}",
                            self.ids.uri(&n.path)
                        ))
                    })?;
                }
                NodeKind::Container => {
                    return Err(Fault::InvalidArgument(format!(
                        "{} is a container: it has no bytes",
                        self.ids.uri(&n.path)
                    )));
                }
                _ => return Ok(n),
            }
        }
        Err(Fault::InvalidArgument(format!(
            "{} is a chain of more than 8 links",
            self.ids.uri(path)
        )))
    }

    /// moveNode and copyNode (§6.2.2, §6.2.3): `dest` is the new path, or an existing container to put the node
    /// into. Returns the path it ends at.
    pub async fn move_or_copy(
        &self,
        caller: &Caller,
        from: &NodePath,
        dest: &NodePath,
        keep: bool,
    ) -> Result<NodePath, Fault> {
        let node = self.resolve(from).await?;
        if from.segments().len() <= 1 {
            return Err(Fault::PermissionDenied(format!(
                "{} cannot be moved or copied",
                self.ids.uri(from)
            )));
        }
        if keep {
            self.must_read(caller, &node)?;
        } else {
            let parent = self
                .store
                .get(&from.parent())
                .await?
                .unwrap_or_else(crate::store::root_node);
            if !(caller.owns(&node) || caller.can_write(&parent)) {
                return Err(Fault::PermissionDenied(format!(
                    "you may not move {}",
                    self.ids.uri(from)
                )));
            }
            if node.is_immutable() {
                return Err(Fault::PermissionDenied(format!(
                    "{} is immutable",
                    self.ids.uri(from)
                )));
            }
        }
        let mut to = if dest.name() == ".auto" {
            dest.parent().child(&new_id())?
        } else {
            dest.clone()
        };
        if let Some(existing) = self.store.get(&to).await? {
            if existing.kind == NodeKind::Container {
                to = to.child(from.name())?;
            } else {
                return Err(Fault::DuplicateNode(self.ids.uri(&to)));
            }
        }
        if to.starts_with(from) {
            return Err(Fault::InvalidUri(format!(
                "{} cannot go inside itself",
                self.ids.uri(from)
            )));
        }
        let parent = self.check_ancestors(&to).await?;
        if to.segments().len() < 2 {
            return Err(Fault::PermissionDenied(
                "nodes go inside a home container".into(),
            ));
        }
        self.must_write(caller, &parent)?;
        if self.store.get(&to).await?.is_some() {
            return Err(Fault::DuplicateNode(self.ids.uri(&to)));
        }
        if keep {
            self.copy_tree(caller, &node, &to).await?;
        } else {
            self.store
                .move_subtree(&node, &to, &self.ids.uri(&to))
                .await?;
        }
        Ok(to)
    }

    async fn copy_tree(&self, caller: &Caller, root: &Node, to: &NodePath) -> Result<(), Fault> {
        let mut nodes = vec![root.clone()];
        if root.kind == NodeKind::Container {
            nodes.extend(self.store.descendants(&root.path).await?);
        }
        let total: i64 = nodes.iter().map(|n| n.length).sum();
        if let Some(first) = nodes.first() {
            let mut probe = first.clone();
            probe.path = to.clone();
            probe.length = 0;
            self.check_room(&probe, total).await?;
        }
        for n in nodes {
            let rel = &n.path.segments()[root.path.segments().len()..];
            let mut segs: Vec<String> = to.segments().to_vec();
            segs.extend(rel.iter().cloned());
            let path = NodePath::from_segments(&segs)?;
            let mut copy = n.clone();
            copy.id = new_id();
            copy.path = path.clone();
            copy.owner = caller.name.clone().or(n.owner.clone());
            copy.quota = None;
            copy.used = 0;
            copy.busy = false;
            if let Some(src) = &n.blob {
                let key = ByteStore::new_key();
                self.store.register_pending(&key).await?;
                if let Err(e) = self.bytes.copy(src, &key).await {
                    let _ = self.bytes.delete(&key).await;
                    let _ = self.store.forget_garbage(&key).await;
                    return Err(e);
                }
                copy.blob = Some(key);
            }
            if let Err(e) = self.store.insert_copy(&copy, &self.ids.uri(&path)).await {
                if let Some(k) = &copy.blob {
                    let _ = self.bytes.delete(k).await;
                    let _ = self.store.forget_garbage(k).await;
                }
                return Err(e);
            }
        }
        Ok(())
    }
}
