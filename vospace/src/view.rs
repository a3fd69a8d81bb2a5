//! What a node looks like on the wire: the stored node plus the properties the service computes (length, MD5,
//! dates, creator, permissions, quota and available space).

use crate::model::{Node, NodeKind, Property, props};
use crate::path::Identifiers;
use crate::xml::write::NodeOut;

/// The representation of a node.
pub fn node_out(ids: &Identifiers, n: &Node) -> NodeOut {
    NodeOut {
        uri: ids.uri(&n.path),
        kind: n.kind,
        props: properties(n),
        target: n.target.clone(),
        busy: n.busy,
    }
}

/// Every property of a node: computed ones (read-only) first, then stored ones.
pub fn properties(n: &Node) -> Vec<Property> {
    let mut out = Vec::with_capacity(n.props.len() + 12);
    if n.path.is_root() {
        out.push(Property::new(props::PUBLICREAD, "true", false));
        out.push(Property::new(props::ISPUBLIC, "true", false));
        return out;
    }
    if n.kind.holds_data() {
        out.push(Property::new(props::LENGTH, n.length.to_string(), true));
        if let Some(md5) = &n.md5 {
            out.push(Property::new(props::MD5, md5.clone(), true));
        }
    }
    if n.kind == NodeKind::Container
        && let Some(q) = n.quota
    {
        out.push(Property::new(props::LENGTH, n.used.to_string(), true));
        out.push(Property::new(props::QUOTA, q.to_string(), true));
        out.push(Property::new(
            props::AVAILABLE_SPACE,
            (q - n.used).max(0).to_string(),
            true,
        ));
    }
    out.push(Property::new(props::DATE, n.mtime.clone(), true));
    out.push(Property::new(props::MTIME, n.mtime.clone(), true));
    out.push(Property::new(props::CTIME, n.ctime.clone(), true));
    out.push(Property::new(props::BTIME, n.btime.clone(), true));
    if let Some(o) = &n.owner {
        out.push(Property::new(props::CREATOR, o.clone(), true));
    }
    let public = if n.public_read { "true" } else { "false" };
    out.push(Property::new(props::PUBLICREAD, public, false));
    out.push(Property::new(props::ISPUBLIC, public, false));
    if let Some(g) = &n.group_read {
        out.push(Property::new(props::GROUPREAD, g.clone(), false));
    }
    if let Some(g) = &n.group_write {
        out.push(Property::new(props::GROUPWRITE, g.clone(), false));
    }
    for (u, v) in &n.props {
        out.push(Property::new(u, v.clone(), false));
    }
    out
}
