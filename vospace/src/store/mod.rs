//! The node store: node metadata in the database (SQLite or PostgreSQL through `almagest_db::exec`), with the
//! invariants kept by single transactions:
//!
//! - a content change is a compare-and-set on the node's byte-store key, so concurrent writers to one node
//!   serialise (the last commit wins, nobody ever sees a mix) and the quota is charged exactly once per commit;
//! - a home container's `used` is changed in the same transaction as the content it counts, and only when the
//!   result stays within its quota (`UPDATE ... WHERE used + delta <= quota`), so the quota cannot be overrun
//!   by racing uploads;
//! - replaced or deleted contents go to `vospace_garbage` in the same transaction, and are removed from the byte
//!   store afterwards (and at start-up), so a crash leaks nothing.

mod tickets;
mod tree;

pub use tickets::Ticket;

use crate::error::Fault;
use crate::model::{Node, NodeKind, now};
use crate::path::NodePath;
use accounts::migrate::{self, Migration};
use almagest_db::exec::{Arg, Pool, Tx};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sqlite: include_str!("../../../schemas/vospace/sqlite/001_nodes.sql"),
    postgres: include_str!("../../../schemas/vospace/postgres/001_nodes.sql"),
}];

const COLUMNS: &str = "id, path, kind, owner, target, blob, length, md5, public_read, group_read, group_write, \
                       busy, btime, ctime, mtime, quota, used";

/// The node metadata store.
#[derive(Debug, Clone)]
pub struct NodeStore {
    pool: Pool,
}

/// What a content commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The byte-store key the node had before, now garbage.
    pub replaced: Option<String>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A new random id (128 bits, hex).
pub fn new_id() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn kind_of(s: &str) -> Result<NodeKind, Fault> {
    NodeKind::from_type_name(s)
        .ok_or_else(|| Fault::Internal(format!("node store holds an unknown type '{s}'")))
}

fn text(row: &[Arg], i: usize) -> Option<String> {
    row.get(i).and_then(|a| match a {
        Arg::Text(s) => Some(s.clone()),
        Arg::Int(n) => Some(n.to_string()),
        _ => None,
    })
}

fn int(row: &[Arg], i: usize) -> Option<i64> {
    row.get(i).and_then(Arg::as_i64)
}

fn decode(row: &[Arg]) -> Result<Node, Fault> {
    let path = text(row, 1).ok_or_else(|| Fault::Internal("node without a path".into()))?;
    Ok(Node {
        id: text(row, 0).unwrap_or_default(),
        path: NodePath::from_key(&path),
        kind: kind_of(&text(row, 2).unwrap_or_default())?,
        owner: text(row, 3),
        target: text(row, 4),
        blob: text(row, 5),
        length: int(row, 6).unwrap_or(0),
        md5: text(row, 7),
        public_read: int(row, 8).unwrap_or(0) != 0,
        group_read: text(row, 9),
        group_write: text(row, 10),
        busy: int(row, 11).unwrap_or(0) != 0,
        btime: text(row, 12).unwrap_or_default(),
        ctime: text(row, 13).unwrap_or_default(),
        mtime: text(row, 14).unwrap_or_default(),
        quota: int(row, 15),
        used: int(row, 16).unwrap_or(0),
        props: vec![],
    })
}

/// The root container: not stored, readable by everyone, writable by no one (homes are made by the service).
pub fn root_node() -> Node {
    Node {
        id: "root".into(),
        path: NodePath::root(),
        kind: NodeKind::Container,
        owner: None,
        target: None,
        blob: None,
        length: 0,
        md5: None,
        public_read: true,
        group_read: None,
        group_write: None,
        busy: false,
        btime: String::new(),
        ctime: String::new(),
        mtime: String::new(),
        quota: None,
        used: 0,
        props: vec![],
    }
}

/// A node to insert.
pub fn new_node(path: NodePath, kind: NodeKind, owner: Option<&str>) -> Node {
    let t = now();
    Node {
        id: new_id(),
        path,
        kind,
        owner: owner.map(str::to_string),
        target: None,
        blob: None,
        length: 0,
        md5: None,
        public_read: false,
        group_read: None,
        group_write: None,
        busy: false,
        btime: t.clone(),
        ctime: t.clone(),
        mtime: t,
        quota: None,
        used: 0,
        props: vec![],
    }
}

/// `path = k OR path in the descendant range of k`.
const SUBTREE: &str = "(path = $1 OR (path >= $2 AND path < $3))";

fn subtree_args(p: &NodePath) -> [Arg; 3] {
    let (lo, hi) = p.descendant_range();
    [p.key().into(), lo.into(), hi.into()]
}

impl NodeStore {
    /// Opens the store, creating or upgrading its tables.
    pub async fn open(pool: Pool) -> Result<NodeStore, Fault> {
        migrate::apply(&pool, "vospace_schema", MIGRATIONS)
            .await
            .map_err(|e| Fault::Internal(format!("node store migration: {e}")))?;
        Ok(NodeStore { pool })
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A node with its stored properties; the root is synthesised.
    pub async fn get(&self, path: &NodePath) -> Result<Option<Node>, Fault> {
        if path.is_root() {
            return Ok(Some(root_node()));
        }
        let rows = self
            .pool
            .fetch(
                &format!("SELECT {COLUMNS} FROM vospace_nodes WHERE path = $1"),
                &[path.key().into()],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let mut node = decode(row)?;
        node.props = self.props_of(&node.id).await?;
        Ok(Some(node))
    }

    async fn props_of(&self, id: &str) -> Result<Vec<(String, String)>, Fault> {
        let rows = self
            .pool
            .fetch(
                "SELECT uri, value FROM vospace_props WHERE node = $1 ORDER BY uri",
                &[id.into()],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((text(r, 0)?, text(r, 1)?)))
            .collect())
    }

    /// Up to `limit` children of a container in name order, starting at the child named `from` (inclusive:
    /// paging with `uri=` starts at the given child, CLIENTS.md §3), with their properties.
    pub async fn children(
        &self,
        parent: &NodePath,
        from: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Node>, Fault> {
        if limit == 0 {
            return Ok(vec![]);
        }
        let limit = limit.min(i64::MAX as u64) as i64;
        let from = from.unwrap_or("");
        let rows = self
            .pool
            .fetch(
                &format!(
                    "SELECT {COLUMNS} FROM vospace_nodes WHERE parent = $1 AND name >= $2 ORDER BY name LIMIT $3"
                ),
                &[parent.key().into(), from.into(), Arg::Int(limit)],
            )
            .await?;
        let mut nodes = rows
            .iter()
            .map(|r| decode(r))
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.is_empty() {
            return Ok(nodes);
        }
        let props = self
            .pool
            .fetch(
                "SELECT p.node, p.uri, p.value FROM vospace_props p JOIN vospace_nodes n ON n.id = p.node \
                 WHERE n.parent = $1 AND n.name >= $2 AND n.name <= $3 ORDER BY p.uri",
                &[
                    parent.key().into(),
                    from.into(),
                    nodes.last().map(|n| n.path.name().to_string()).unwrap_or_default().into(),
                ],
            )
            .await?;
        for r in &props {
            if let (Some(id), Some(uri), Some(value)) = (text(r, 0), text(r, 1), text(r, 2))
                && let Some(n) = nodes.iter_mut().find(|n| n.id == id)
            {
                n.props.push((uri, value));
            }
        }
        Ok(nodes)
    }

    /// Number of direct children.
    pub async fn child_count(&self, parent: &NodePath) -> Result<i64, Fault> {
        let rows = self
            .pool
            .fetch(
                "SELECT COUNT(*) FROM vospace_nodes WHERE parent = $1",
                &[parent.key().into()],
            )
            .await?;
        Ok(rows.first().and_then(|r| int(r, 0)).unwrap_or(0))
    }

    /// Inserts a node with its properties; DuplicateNode when the path is taken.
    pub async fn insert(&self, node: &Node, uri: &str) -> Result<(), Fault> {
        let mut tx = self.pool.begin().await?;
        insert_in(&mut tx, node).await.map_err(|e| {
            if is_unique_violation(&e) {
                Fault::DuplicateNode(uri.to_string())
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates the home container `/name` owned by `name` with `quota` bytes, if missing. Returns whether it was
    /// created.
    pub async fn ensure_home(&self, name: &str, quota: i64) -> Result<bool, Fault> {
        let path = NodePath::from_segments(&[name])?;
        if self.get(&path).await?.is_some() {
            return Ok(false);
        }
        let mut home = new_node(path, NodeKind::Container, Some(name));
        home.quota = Some(quota);
        let mut tx = self.pool.begin().await?;
        match insert_in(&mut tx, &home).await {
            Ok(()) => {
                tx.commit().await?;
                tracing::info!(user = name, quota, "home container created");
                Ok(true)
            }
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies property changes: `(uri, Some(value))` sets, `(uri, None)` deletes; permission columns given as
    /// `Some` are replaced. Updates ctime.
    pub async fn update(
        &self,
        node: &Node,
        changes: &[(String, Option<String>)],
        perms: &PermissionChange,
    ) -> Result<(), Fault> {
        let mut tx = self.pool.begin().await?;
        let t = now();
        tx.execute(
            "UPDATE vospace_nodes SET ctime = $1 WHERE id = $2",
            &[t.into(), node.id.clone().into()],
        )
        .await?;
        if let Some(p) = perms.public_read {
            tx.execute(
                "UPDATE vospace_nodes SET public_read = $1 WHERE id = $2",
                &[Arg::Int(p as i64), node.id.clone().into()],
            )
            .await?;
        }
        if let Some(g) = &perms.group_read {
            tx.execute(
                "UPDATE vospace_nodes SET group_read = $1 WHERE id = $2",
                &[g.clone().into(), node.id.clone().into()],
            )
            .await?;
        }
        if let Some(g) = &perms.group_write {
            tx.execute(
                "UPDATE vospace_nodes SET group_write = $1 WHERE id = $2",
                &[g.clone().into(), node.id.clone().into()],
            )
            .await?;
        }
        for (uri, value) in changes {
            match value {
                Some(v) => set_prop(&mut tx, &node.id, uri, v).await?,
                None => {
                    tx.execute(
                        "DELETE FROM vospace_props WHERE node = $1 AND uri = $2",
                        &[node.id.clone().into(), uri.clone().into()],
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Registers a byte-store key an upload is about to write (garbage until [`NodeStore::commit_content`]).
    pub async fn register_pending(&self, blob: &str) -> Result<(), Fault> {
        self.pool
            .execute(
                "INSERT INTO vospace_garbage (blob, since, pending) VALUES ($1, $2, 1)",
                &[blob.into(), now().into()],
            )
            .await?;
        Ok(())
    }

    /// Makes `new_blob` the content of `node` if its content is still `expected_old` (compare-and-set), charging
    /// the size difference to the home container within its quota. `Ok(None)` when the content changed meanwhile
    /// (the caller re-reads and retries); QuotaExceeded when the home has no room.
    pub async fn commit_content(
        &self,
        node: &Node,
        expected_old: Option<&str>,
        old_length: i64,
        new_blob: &str,
        length: i64,
        md5: &str,
        content_type: Option<&str>,
    ) -> Result<Option<Committed>, Fault> {
        let mut tx = self.pool.begin().await?;
        let t = now();
        let n = tx
            .execute(
                "UPDATE vospace_nodes SET blob = $1, length = $2, md5 = $3, mtime = $4, ctime = $4, busy = 0 \
                 WHERE id = $5 AND COALESCE(blob, '') = $6",
                &[
                    new_blob.into(),
                    Arg::Int(length),
                    md5.into(),
                    t.clone().into(),
                    node.id.clone().into(),
                    expected_old.unwrap_or("").into(),
                ],
            )
            .await?;
        if n == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let delta = length - old_length;
        if let Some(home) = node.path.home() {
            charge(&mut tx, &home, delta).await?;
        }
        tx.execute(
            "DELETE FROM vospace_garbage WHERE blob = $1",
            &[new_blob.into()],
        )
        .await?;
        if let Some(old) = expected_old {
            tx.execute(
                "INSERT INTO vospace_garbage (blob, since, pending) VALUES ($1, $2, 0) ON CONFLICT (blob) DO NOTHING",
                &[old.into(), t.into()],
            )
            .await?;
        }
        if let Some(ct) = content_type {
            set_prop(&mut tx, &node.id, crate::model::props::TYPE, ct).await?;
        }
        tx.commit().await?;
        Ok(Some(Committed {
            replaced: expected_old.map(str::to_string),
        }))
    }

    /// Byte-store keys to delete: committed garbage, plus pending uploads older than `pending_before` (or all
    /// pending ones when `None`... use at start-up only).
    pub async fn garbage(&self, include_pending: bool) -> Result<Vec<String>, Fault> {
        let sql = if include_pending {
            "SELECT blob FROM vospace_garbage"
        } else {
            "SELECT blob FROM vospace_garbage WHERE pending = 0"
        };
        let rows = self.pool.fetch(sql, &[]).await?;
        Ok(rows.iter().filter_map(|r| text(r, 0)).collect())
    }

    /// Forgets a garbage entry once its bytes are gone.
    pub async fn forget_garbage(&self, blob: &str) -> Result<(), Fault> {
        self.pool
            .execute(
                "DELETE FROM vospace_garbage WHERE blob = $1",
                &[blob.into()],
            )
            .await?;
        Ok(())
    }

    /// Marks a data node busy (a write is in progress) or not.
    pub async fn set_busy(&self, node: &Node, busy: bool) -> Result<(), Fault> {
        self.pool
            .execute(
                "UPDATE vospace_nodes SET busy = $1 WHERE id = $2",
                &[Arg::Int(busy as i64), node.id.clone().into()],
            )
            .await?;
        Ok(())
    }

    /// Every property URI in use (the `contains` list of `/properties`).
    pub async fn property_uris(&self) -> Result<Vec<String>, Fault> {
        let rows = self
            .pool
            .fetch("SELECT DISTINCT uri FROM vospace_props ORDER BY uri", &[])
            .await?;
        Ok(rows.iter().filter_map(|r| text(r, 0)).collect())
    }
}

/// Changes of the permission properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionChange {
    /// New publicread.
    pub public_read: Option<bool>,
    /// New groupread (empty: none).
    pub group_read: Option<Option<String>>,
    /// New groupwrite (empty: none).
    pub group_write: Option<Option<String>>,
}

impl PermissionChange {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.public_read.is_none() && self.group_read.is_none() && self.group_write.is_none()
    }
}

async fn charge(tx: &mut Tx, home: &NodePath, delta: i64) -> Result<(), Fault> {
    let n = tx
        .execute(
            "UPDATE vospace_nodes SET used = used + $1 WHERE path = $2 AND ($1 <= 0 OR quota IS NULL OR used + $1 <= quota)",
            &[Arg::Int(delta), home.key().into()],
        )
        .await?;
    if n == 0 {
        return Err(Fault::QuotaExceeded(format!(
            "{delta} more bytes would exceed the quota of {home}"
        )));
    }
    Ok(())
}

async fn set_prop(tx: &mut Tx, id: &str, uri: &str, value: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        "INSERT INTO vospace_props (node, uri, value) VALUES ($1, $2, $3) \
         ON CONFLICT (node, uri) DO UPDATE SET value = excluded.value",
        &[id.into(), uri.into(), value.into()],
    )
    .await
    .map(|_| ())
}

async fn insert_in(tx: &mut Tx, n: &Node) -> Result<(), sqlx::Error> {
    tx.execute(
        "INSERT INTO vospace_nodes (id, path, parent, name, kind, owner, target, blob, length, md5, public_read, \
         group_read, group_write, busy, btime, ctime, mtime, quota, used) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        &[
            n.id.clone().into(),
            n.path.key().into(),
            n.path.parent().key().into(),
            n.path.name().into(),
            n.kind.type_name().into(),
            n.owner.clone().into(),
            n.target.clone().into(),
            n.blob.clone().into(),
            Arg::Int(n.length),
            n.md5.clone().into(),
            Arg::Int(n.public_read as i64),
            n.group_read.clone().into(),
            n.group_write.clone().into(),
            Arg::Int(n.busy as i64),
            n.btime.clone().into(),
            n.ctime.clone().into(),
            n.mtime.clone().into(),
            n.quota.into(),
            Arg::Int(n.used),
        ],
    )
    .await?;
    for (uri, value) in &n.props {
        set_prop(tx, &n.id, uri, value).await?;
    }
    Ok(())
}
