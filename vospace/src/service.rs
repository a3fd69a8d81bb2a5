//! The VOSpace operations (VOSpace 2.1 §6) over the node store and the byte store, independent of HTTP: the
//! handlers in `http` and the transfer runner call these.

use crate::bytes::ByteStore;
use crate::config::VospaceConfig;
use crate::error::Fault;
use crate::model::{Node, NodeKind, Property, props, truthy};
use crate::path::{Identifiers, NodePath};
use crate::perm::Caller;
use crate::store::{NodeStore, PermissionChange, new_id, new_node};
use crate::xml::read::NodeDoc;
use bytes::Bytes;
use futures_util::Stream;
use std::collections::HashSet;
use std::sync::Mutex;

mod data;

/// A VOSpace service: configuration, node store, byte store, accounts.
#[derive(Debug)]
pub struct Vospace {
    /// Configuration.
    pub cfg: VospaceConfig,
    /// `vos://` identifiers of this service.
    pub ids: Identifiers,
    /// Node metadata.
    pub store: NodeStore,
    /// Node contents.
    pub bytes: ByteStore,
    /// Accounts (groups of callers); `None` serves anonymous callers only.
    pub accounts: Option<accounts::Accounts>,
    /// When the service started (VOSI availability).
    pub up_since: String,
    homes: Mutex<HashSet<String>>,
    local_sources: std::sync::RwLock<Vec<std::sync::Arc<dyn LocalSource>>>,
}

/// Bytes a pullToVoSpace transfer reads inside this process instead of over HTTP: e.g. the results of TAP jobs
/// of the same server, which belong to the caller and are refused to the service's own anonymous HTTP request.
pub trait LocalSource: Send + Sync + std::fmt::Debug {
    /// Opens `url` for `caller` (account name, `None` when anonymous). `None`: the URL is not served by this
    /// source (it is fetched over HTTP); `Some(Err(..))`: it is, but cannot be read (missing, not permitted).
    fn open<'a>(&'a self, url: &'a str, caller: Option<&'a str>) -> LocalOpen<'a>;
}

/// What [`LocalSource::open`] returns.
pub type LocalOpen<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Option<Result<LocalBytes, Fault>>> + Send + 'a>,
>;

/// The bytes of a [`LocalSource`].
pub struct LocalBytes {
    /// Length, when known in advance (checked against the quota before reading).
    pub length: Option<u64>,
    /// MIME type to record on the node.
    pub content_type: Option<String>,
    /// The bytes.
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

impl std::fmt::Debug for LocalBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBytes")
            .field("length", &self.length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// An upload request.
#[derive(Debug, Clone, Default)]
pub struct UploadMeta {
    /// `Content-Length`, if announced (checked against quota and size limit before reading the body).
    pub length: Option<u64>,
    /// MIME type to record (`Content-Type`).
    pub content_type: Option<String>,
    /// Expected MD5 (base64) from a `digest: md5=...` or `Content-MD5` header.
    pub md5_base64: Option<String>,
}

impl Vospace {
    /// Opens the service over a database pool and a byte store, creating the node tables, and sweeps what an
    /// earlier run left behind (partial uploads, replaced contents, expired tickets).
    pub async fn open(
        cfg: VospaceConfig,
        pool: almagest_db::exec::Pool,
        op: opendal::Operator,
        accounts: Option<accounts::Accounts>,
    ) -> Result<Vospace, Fault> {
        let store = NodeStore::open(pool).await?;
        let svc = Vospace {
            ids: Identifiers::new(&cfg.ivo_id),
            cfg,
            store,
            bytes: ByteStore::new(op),
            accounts,
            up_since: crate::model::now(),
            homes: Mutex::new(HashSet::new()),
            local_sources: std::sync::RwLock::new(vec![]),
        };
        let swept = svc.sweep(true).await?;
        let tickets = svc.store.sweep_tickets().await?;
        tracing::info!(swept, tickets, "VOSpace opened");
        Ok(svc)
    }

    /// Adds a source of bytes that pullToVoSpace reads in-process (tried before HTTP, in the order added).
    pub fn add_local_source(&self, source: std::sync::Arc<dyn LocalSource>) {
        if let Ok(mut v) = self.local_sources.write() {
            v.push(source);
        }
    }

    /// Opens `url` from the first local source that serves it.
    pub async fn open_local(
        &self,
        url: &str,
        caller: Option<&str>,
    ) -> Option<Result<LocalBytes, Fault>> {
        let sources: Vec<_> = self
            .local_sources
            .read()
            .map(|v| v.clone())
            .unwrap_or_default();
        for s in sources {
            if let Some(r) = s.open(url, caller).await {
                return Some(r);
            }
        }
        None
    }

    /// Deletes garbage contents (with `pending`, also uploads that never committed: only safe at start-up).
    pub async fn sweep(&self, pending: bool) -> Result<usize, Fault> {
        let keys = self.store.garbage(pending).await?;
        let mut n = 0;
        for k in keys {
            if self.bytes.delete(&k).await.is_ok() {
                self.store.forget_garbage(&k).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The caller of a request: its groups are looked up, and its home container is created at its first
    /// request (so `almagest user add` needs nothing else, even while the server runs).
    pub async fn caller(&self, principal: Option<&accounts::Principal>) -> Result<Caller, Fault> {
        let Some(p) = principal else {
            return Ok(Caller::anonymous());
        };
        let known = self
            .homes
            .lock()
            .map(|h| h.contains(&p.name))
            .unwrap_or(false);
        if !known {
            self.store
                .ensure_home(&p.name, self.cfg.default_quota.min(i64::MAX as u64) as i64)
                .await?;
            if let Ok(mut h) = self.homes.lock() {
                h.insert(p.name.clone());
            }
        }
        let groups = match &self.accounts {
            Some(a) => a
                .groups_of(&p.name)
                .await
                .map_err(|e| Fault::Internal(e.to_string()))?,
            None => vec![],
        };
        Ok(Caller::user(&p.name, groups))
    }

    /// The node at `path`, checking the ancestors: a missing one is ContainerNotFound, a LinkNode one LinkFound
    /// (§6.2), and a missing node NodeNotFound.
    pub async fn resolve(&self, path: &NodePath) -> Result<Node, Fault> {
        self.check_ancestors(path).await?;
        self.store
            .get(path)
            .await?
            .ok_or_else(|| Fault::NodeNotFound(self.ids.uri(path)))
    }

    async fn check_ancestors(&self, path: &NodePath) -> Result<Node, Fault> {
        let mut parent = crate::store::root_node();
        for a in path.ancestors() {
            let node = self
                .store
                .get(&a)
                .await?
                .ok_or_else(|| Fault::ContainerNotFound(self.ids.uri(&a)))?;
            match node.kind {
                NodeKind::Container => parent = node,
                NodeKind::Link => {
                    return Err(Fault::LinkFound(format!(
                        "{} is a LinkNode to {}",
                        self.ids.uri(&a),
                        node.target.as_deref().unwrap_or("")
                    )));
                }
                _ => {
                    return Err(Fault::ContainerNotFound(format!(
                        "{} is not a container",
                        self.ids.uri(&a)
                    )));
                }
            }
        }
        Ok(parent)
    }

    fn must_read(&self, caller: &Caller, node: &Node) -> Result<(), Fault> {
        if caller.can_read(node) {
            Ok(())
        } else if caller.name.is_none() {
            Err(Fault::NotAuthenticated(format!(
                "{} is not public: authenticate to read it",
                self.ids.uri(&node.path)
            )))
        } else {
            Err(Fault::PermissionDenied(format!(
                "you may not read {}",
                self.ids.uri(&node.path)
            )))
        }
    }

    fn must_write(&self, caller: &Caller, node: &Node) -> Result<(), Fault> {
        if caller.can_write(node) {
            Ok(())
        } else if caller.name.is_none() {
            Err(Fault::NotAuthenticated(format!(
                "anonymous callers cannot change {}",
                self.ids.uri(&node.path)
            )))
        } else {
            Err(Fault::PermissionDenied(format!(
                "you may not write {}",
                self.ids.uri(&node.path)
            )))
        }
    }

    /// getNode (§6.3.1): the node, and for a container up to `limit` children starting at child URI `from`.
    pub async fn get_node(
        &self,
        caller: &Caller,
        path: &NodePath,
        from: Option<&str>,
        limit: Option<u64>,
    ) -> Result<(Node, Vec<Node>), Fault> {
        let node = self.resolve(path).await?;
        self.must_read(caller, &node)?;
        if node.kind != NodeKind::Container {
            return Ok((node, vec![]));
        }
        let from_name = match from {
            Some(uri) => {
                let p = self.ids.path_of(uri)?;
                if p.parent() != node.path || p.is_root() {
                    return Err(Fault::InvalidUri(format!(
                        "{uri} is not a child of {}",
                        self.ids.uri(path)
                    )));
                }
                Some(p.name().to_string())
            }
            None => None,
        };
        let limit = limit
            .unwrap_or(self.cfg.page_limit)
            .min(self.cfg.page_limit);
        let children = self
            .store
            .children(&node.path, from_name.as_deref(), limit)
            .await?;
        Ok((node, children))
    }

    /// createNode (§6.2.1).
    pub async fn create_node(
        &self,
        caller: &Caller,
        path: &NodePath,
        doc: &NodeDoc,
    ) -> Result<Node, Fault> {
        let uri_path = self.ids.path_of(&doc.uri)?;
        let path = if path.name() == ".auto" {
            path.parent().child(&new_id())?
        } else {
            if uri_path != *path {
                return Err(Fault::InvalidUri(format!(
                    "the node URI {} does not match the path of the request ({})",
                    doc.uri,
                    self.ids.uri(path)
                )));
            }
            path.clone()
        };
        if path.is_root() {
            return Err(Fault::DuplicateNode(self.ids.base()));
        }
        if path.name() == ".null" {
            return Err(Fault::InvalidUri("'.null' is reserved".into()));
        }
        let parent = self.check_ancestors(&path).await?;
        if path.segments().len() == 1 {
            return Err(Fault::PermissionDenied(
                "top-level containers are the users' homes, created by the service".into(),
            ));
        }
        self.must_write(caller, &parent)?;
        if parent.is_immutable() {
            return Err(Fault::PermissionDenied(format!(
                "{} is immutable",
                self.ids.uri(&parent.path)
            )));
        }
        let kind = doc.kind.unwrap_or(NodeKind::Data);
        let mut node = new_node(path.clone(), kind, caller.name.as_deref());
        if kind == NodeKind::Link {
            let target = doc.target.as_deref().map(str::trim).unwrap_or("");
            if target.is_empty() {
                return Err(Fault::InvalidArgument("a LinkNode needs a <target>".into()));
            }
            if Identifiers::is_vos(target) {
                // a link inside this service must name a valid path (it may not exist yet)
                if target.contains('!') || target.contains('~') {
                    let _ = self.ids.path_of(target)?;
                }
            } else if !target.contains(':') {
                return Err(Fault::InvalidUri(format!(
                    "the link target '{target}' is not a URI"
                )));
            }
            node.target = Some(target.to_string());
        }
        let (changes, perms) = self.property_changes(caller, None, &doc.properties)?;
        apply_perms(&mut node, &perms);
        for (u, v) in changes {
            if let Some(v) = v {
                node.props.push((u, v));
            }
        }
        self.store.insert(&node, &self.ids.uri(&path)).await?;
        Ok(node)
    }

    /// Turns requested properties into stored changes, refusing changes to read-only ones (PermissionDenied,
    /// §6.2.1/§6.3.2) and permission changes by anyone but the owner. A read-only property sent back with its
    /// current value is accepted unchanged (clients post back what they read).
    fn property_changes(
        &self,
        caller: &Caller,
        existing: Option<&Node>,
        requested: &[Property],
    ) -> Result<(Vec<(String, Option<String>)>, PermissionChange), Fault> {
        let current: Vec<Property> = existing.map(crate::view::properties).unwrap_or_default();
        let mut changes = Vec::new();
        let mut perms = PermissionChange::default();
        for p in requested {
            if props::is_read_only(&p.uri) {
                let same = current.iter().any(|c| {
                    c.uri == p.uri
                        && c.value.as_deref().map(str::trim) == p.value.as_deref().map(str::trim)
                });
                if same {
                    continue;
                }
                return Err(Fault::PermissionDenied(format!(
                    "property {} is read-only",
                    p.uri
                )));
            }
            let owner_only = [
                props::PUBLICREAD,
                props::ISPUBLIC,
                props::GROUPREAD,
                props::GROUPWRITE,
            ];
            if owner_only.contains(&p.uri.as_str()) {
                let unchanged = current.iter().any(|c| c.uri == p.uri && c.value == p.value);
                if unchanged {
                    continue;
                }
                if let Some(n) = existing
                    && !caller.owns(n)
                {
                    return Err(Fault::PermissionDenied(format!(
                        "only the owner of {} may change its permissions",
                        self.ids.uri(&n.path)
                    )));
                }
                let value = p.value.as_deref().map(str::trim).filter(|v| !v.is_empty());
                match p.uri.as_str() {
                    props::PUBLICREAD | props::ISPUBLIC => {
                        let v = value.unwrap_or("false");
                        if !matches!(
                            v.to_ascii_lowercase().as_str(),
                            "true" | "false" | "1" | "0" | "yes" | "no"
                        ) {
                            return Err(Fault::InvalidArgument(format!(
                                "{} must be true or false, not '{v}'",
                                p.uri
                            )));
                        }
                        perms.public_read = Some(truthy(v));
                    }
                    props::GROUPREAD => perms.group_read = Some(value.map(str::to_string)),
                    _ => perms.group_write = Some(value.map(str::to_string)),
                }
                continue;
            }
            if p.value.as_ref().is_some_and(|v| v.len() > 64 * 1024) {
                return Err(Fault::InvalidArgument(format!(
                    "the value of {} is longer than 64 KiB",
                    p.uri
                )));
            }
            if !p.uri.contains(':') {
                return Err(Fault::InvalidArgument(format!(
                    "property identifier '{}' is not a URI",
                    p.uri
                )));
            }
            changes.push((p.uri.clone(), p.value.clone()));
        }
        Ok((changes, perms))
    }

    /// setNode (§6.3.2): adds, changes (and with `xsi:nil`, deletes) properties; returns the updated node.
    pub async fn set_node(
        &self,
        caller: &Caller,
        path: &NodePath,
        doc: &NodeDoc,
    ) -> Result<Node, Fault> {
        let uri_path = self.ids.path_of(&doc.uri)?;
        if uri_path != *path {
            return Err(Fault::InvalidUri(format!(
                "the node URI {} does not match the path of the request ({})",
                doc.uri,
                self.ids.uri(path)
            )));
        }
        let node = self.resolve(path).await?;
        if path.is_root() {
            return Err(Fault::PermissionDenied(
                "the root container cannot be changed".into(),
            ));
        }
        self.must_write(caller, &node)?;
        if let Some(k) = doc.kind
            && k != node.kind
            && !(node.kind.holds_data() && k.holds_data())
        {
            return Err(Fault::InvalidArgument(format!(
                "setNode cannot change the type of {} ({} to {})",
                doc.uri,
                node.kind.type_name(),
                k.type_name()
            )));
        }
        let (changes, perms) = self.property_changes(caller, Some(&node), &doc.properties)?;
        if !changes.is_empty() || !perms.is_empty() {
            self.store.update(&node, &changes, &perms).await?;
        }
        self.resolve(path).await
    }

    /// deleteNode (§6.2.4): the node and everything under it.
    pub async fn delete_node(&self, caller: &Caller, path: &NodePath) -> Result<(), Fault> {
        let node = self.resolve(path).await?;
        if path.segments().len() <= 1 {
            return Err(Fault::PermissionDenied(format!(
                "{} is a home container (or the root) and cannot be deleted",
                self.ids.uri(path)
            )));
        }
        let parent = self
            .store
            .get(&path.parent())
            .await?
            .unwrap_or_else(crate::store::root_node);
        if !(caller.owns(&node) || caller.can_write(&parent)) {
            return Err(if caller.name.is_none() {
                Fault::NotAuthenticated(format!(
                    "anonymous callers cannot delete {}",
                    self.ids.uri(path)
                ))
            } else {
                Fault::PermissionDenied(format!("you may not delete {}", self.ids.uri(path)))
            });
        }
        if node.is_immutable() || parent.is_immutable() {
            return Err(Fault::PermissionDenied(format!(
                "{} is immutable",
                self.ids.uri(path)
            )));
        }
        self.store.delete_subtree(&node).await?;
        let _ = self.sweep(false).await;
        Ok(())
    }
}

fn apply_perms(node: &mut Node, perms: &PermissionChange) {
    if let Some(p) = perms.public_read {
        node.public_read = p;
    }
    if let Some(g) = &perms.group_read {
        node.group_read = g.clone();
    }
    if let Some(g) = &perms.group_write {
        node.group_write = g.clone();
    }
}
