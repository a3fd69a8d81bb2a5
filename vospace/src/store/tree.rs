//! Operations on whole subtrees: delete, move, copy and listing descendants, each in one transaction.

use super::{
    COLUMNS, NodeStore, SUBTREE, charge, decode, insert_in, is_unique_violation, subtree_args,
};
use crate::error::Fault;
use crate::model::Node;
use crate::model::now;
use crate::path::NodePath;
use almagest_db::exec::Arg;

impl NodeStore {
    /// Deletes a node and everything under it; their contents become garbage and their bytes are uncharged from
    /// the home container.
    pub async fn delete_subtree(&self, node: &Node) -> Result<(), Fault> {
        let args = subtree_args(&node.path);
        let mut tx = self.pool.begin().await?;
        if let Some(home) = node.path.home()
            && home != node.path
        {
            tx.execute(
                    &format!(
                        "UPDATE vospace_nodes SET used = used - (SELECT COALESCE(SUM(length), 0) FROM vospace_nodes \
                         WHERE {SUBTREE}) WHERE path = $4"
                    ),
                    &[args[0].clone(), args[1].clone(), args[2].clone(), home.key().into()],
                )
                .await?;
        }
        tx.execute(
            &format!(
                "INSERT INTO vospace_garbage (blob, since, pending) SELECT blob, $4, 0 FROM vospace_nodes \
                 WHERE {SUBTREE} AND blob IS NOT NULL ON CONFLICT (blob) DO NOTHING"
            ),
            &[args[0].clone(), args[1].clone(), args[2].clone(), now().into()],
        )
        .await?;
        tx.execute(
            &format!("DELETE FROM vospace_props WHERE node IN (SELECT id FROM vospace_nodes WHERE {SUBTREE})"),
            &args,
        )
        .await?;
        tx.execute(&format!("DELETE FROM vospace_nodes WHERE {SUBTREE}"), &args)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a node and everything under it to `to` (which must not exist; its parent must). Only metadata
    /// changes: contents stay under their keys. Moving into another home charges that home's quota.
    pub async fn move_subtree(
        &self,
        node: &Node,
        to: &NodePath,
        to_uri: &str,
    ) -> Result<(), Fault> {
        let args = subtree_args(&node.path);
        let mut tx = self.pool.begin().await?;
        let (from_home, to_home) = (node.path.home(), to.home());
        if from_home != to_home {
            if let Some(h) = &to_home {
                let n = tx
                    .execute(
                        &format!(
                            "UPDATE vospace_nodes SET used = used + (SELECT COALESCE(SUM(length), 0) FROM vospace_nodes \
                             WHERE {SUBTREE}) WHERE path = $4 AND (quota IS NULL OR used + (SELECT COALESCE(SUM(length), 0) \
                             FROM vospace_nodes WHERE {SUBTREE}) <= quota)"
                        ),
                        &[args[0].clone(), args[1].clone(), args[2].clone(), h.key().into()],
                    )
                    .await?;
                if n == 0 {
                    return Err(Fault::QuotaExceeded(format!(
                        "{} has no room for what is moved into it",
                        h
                    )));
                }
            }
            if let Some(h) = &from_home {
                tx.execute(
                    &format!(
                        "UPDATE vospace_nodes SET used = used - (SELECT COALESCE(SUM(length), 0) FROM vospace_nodes \
                         WHERE {SUBTREE}) WHERE path = $4"
                    ),
                    &[args[0].clone(), args[1].clone(), args[2].clone(), h.key().into()],
                )
                .await?;
            }
        }
        let old = node.path.key();
        let new = to.key();
        let cut = old.chars().count() as i64 + 1;
        let (lo, hi) = node.path.descendant_range();
        tx.execute(
            "UPDATE vospace_nodes SET path = $1 || substr(path, $2), parent = $1 || substr(parent, $2) \
             WHERE path >= $3 AND path < $4",
            &[new.clone().into(), Arg::Int(cut), lo.into(), hi.into()],
        )
        .await
        .map_err(|e| if is_unique_violation(&e) { Fault::DuplicateNode(to_uri.into()) } else { e.into() })?;
        tx.execute(
            "UPDATE vospace_nodes SET path = $1, parent = $2, name = $3, ctime = $4 WHERE id = $5",
            &[
                new.into(),
                to.parent().key().into(),
                to.name().into(),
                now().into(),
                node.id.clone().into(),
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Fault::DuplicateNode(to_uri.into())
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a copy of one node (already given a new id, path and content key) charging its length to its
    /// home. The copied content must already be in the byte store, registered as pending.
    pub async fn insert_copy(&self, node: &Node, uri: &str) -> Result<(), Fault> {
        let mut tx = self.pool.begin().await?;
        insert_in(&mut tx, node).await.map_err(|e| {
            if is_unique_violation(&e) {
                Fault::DuplicateNode(uri.to_string())
            } else {
                e.into()
            }
        })?;
        if let (Some(home), true) = (node.path.home(), node.length > 0) {
            charge(&mut tx, &home, node.length).await?;
        }
        if let Some(b) = &node.blob {
            tx.execute(
                "DELETE FROM vospace_garbage WHERE blob = $1",
                &[b.clone().into()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every node under `path` (not itself), parents before children.
    pub async fn descendants(&self, path: &NodePath) -> Result<Vec<Node>, Fault> {
        let (lo, hi) = path.descendant_range();
        let rows = self
            .pool
            .fetch(
                &format!("SELECT {COLUMNS} FROM vospace_nodes WHERE path >= $1 AND path < $2 ORDER BY path"),
                &[lo.into(), hi.into()],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut n = decode(r)?;
            n.props = self.props_of(&n.id).await?;
            out.push(n);
        }
        Ok(out)
    }
}
