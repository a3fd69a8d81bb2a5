//! Transfer tickets: the endpoints that transfer negotiation hands out (`/vospace/bytes/{ticket}`) are
//! pre-authorised for one node, one direction and a limited time, so a client can PUT or GET them without
//! sending credentials again (as `vos` does), and no other node can be reached through them.

use super::{NodeStore, new_id, text};
use crate::error::Fault;
use crate::path::NodePath;

/// A pre-authorised transfer endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The unguessable id in the endpoint URL.
    pub id: String,
    /// The node.
    pub path: NodePath,
    /// `pushToVoSpace` (PUT allowed) or `pullFromVoSpace` (GET allowed).
    pub direction: String,
    /// Who negotiated it (the owner of new nodes it creates).
    pub caller: Option<String>,
    /// Until when it works (`YYYY-MM-DDThh:mm:ss.sss`, UTC, compares as text).
    pub expires: String,
}

impl NodeStore {
    /// Issues a ticket valid for `valid` from now.
    pub async fn issue_ticket(
        &self,
        path: &NodePath,
        direction: &str,
        caller: Option<&str>,
        valid: std::time::Duration,
    ) -> Result<Ticket, Fault> {
        let expires = (chrono::Utc::now()
            + chrono::Duration::from_std(valid).unwrap_or(chrono::Duration::hours(1)))
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
        let t = Ticket {
            id: new_id(),
            path: path.clone(),
            direction: direction.to_string(),
            caller: caller.map(str::to_string),
            expires,
        };
        self.pool
            .execute(
                "INSERT INTO vospace_tickets (id, path, direction, caller, expires) VALUES ($1, $2, $3, $4, $5)",
                &[
                    t.id.clone().into(),
                    t.path.key().into(),
                    t.direction.clone().into(),
                    t.caller.clone().into(),
                    t.expires.clone().into(),
                ],
            )
            .await?;
        Ok(t)
    }

    /// A ticket that has not expired.
    pub async fn ticket(&self, id: &str) -> Result<Option<Ticket>, Fault> {
        let rows = self
            .pool
            .fetch(
                "SELECT id, path, direction, caller, expires FROM vospace_tickets WHERE id = $1 AND expires > $2",
                &[id.into(), crate::model::now().into()],
            )
            .await?;
        Ok(rows.first().map(|r| Ticket {
            id: text(r, 0).unwrap_or_default(),
            path: NodePath::from_key(&text(r, 1).unwrap_or_default()),
            direction: text(r, 2).unwrap_or_default(),
            caller: text(r, 3),
            expires: text(r, 4).unwrap_or_default(),
        }))
    }

    /// Removes expired tickets.
    pub async fn sweep_tickets(&self) -> Result<u64, Fault> {
        Ok(self
            .pool
            .execute(
                "DELETE FROM vospace_tickets WHERE expires <= $1",
                &[crate::model::now().into()],
            )
            .await?)
    }
}
