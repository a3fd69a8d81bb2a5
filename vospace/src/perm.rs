//! Who may do what (VOSpace 2.1 §5 leaves the policy to the service; this one is Unix-like):
//!
//! - read a node: its owner, members of a group named in its `groupread` or `groupwrite`, and anyone (anonymous
//!   callers included) when `publicread` is true; the root is readable by all;
//! - write (create or delete children, upload, set properties): the owner and members of a `groupwrite` group,
//!   never anonymous callers; nobody writes the root (homes are created by the service);
//! - change permissions (`publicread`, `groupread`, `groupwrite`) and delete a node: the owner of the node, or a
//!   writer of its parent container for deletion.

use crate::model::Node;

/// The caller of an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// Account name; `None` when anonymous.
    pub name: Option<String>,
    /// Groups the account belongs to.
    pub groups: Vec<String>,
}

impl Caller {
    /// The anonymous caller.
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    /// An authenticated caller.
    pub fn user(name: &str, groups: Vec<String>) -> Caller {
        Caller {
            name: Some(name.to_string()),
            groups,
        }
    }

    /// Whether the caller owns the node.
    pub fn owns(&self, node: &Node) -> bool {
        matches!((&self.name, &node.owner), (Some(a), Some(b)) if a == b)
    }

    /// Whether the caller is in one of the groups of a `groupread`/`groupwrite` value. Entries are separated by
    /// commas or spaces; an entry names a group either bare (`team`) or as a group URI ending in `?team` or
    /// `#team` (the CADC form `ivo://cadc.nrc.ca/gms?team`).
    pub fn in_groups(&self, value: Option<&str>) -> bool {
        let Some(v) = value else { return false };
        v.split([',', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .any(|entry| {
                let name = entry.rsplit(['?', '#']).next().unwrap_or(entry);
                self.groups.iter().any(|g| g == entry || g == name)
            })
    }

    /// May read the node (and list it, for a container).
    pub fn can_read(&self, node: &Node) -> bool {
        node.path.is_root()
            || node.public_read
            || self.owns(node)
            || (self.name.is_some()
                && (self.in_groups(node.group_read.as_deref())
                    || self.in_groups(node.group_write.as_deref())))
    }

    /// May write the node: its content, its properties, its children.
    pub fn can_write(&self, node: &Node) -> bool {
        !node.path.is_root()
            && self.name.is_some()
            && (self.owns(node) || self.in_groups(node.group_write.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeKind;
    use crate::path::NodePath;
    use crate::store::new_node;

    #[test]
    fn policy() {
        let mut n = new_node(
            NodePath::parse("alice/x").unwrap(),
            NodeKind::Data,
            Some("alice"),
        );
        let alice = Caller::user("alice", vec![]);
        let bob = Caller::user("bob", vec!["team".into()]);
        let anon = Caller::anonymous();
        assert!(alice.can_read(&n) && alice.can_write(&n));
        assert!(!bob.can_read(&n) && !bob.can_write(&n));
        assert!(!anon.can_read(&n));
        n.group_read = Some("ivo://example.org/gms?team".into());
        assert!(bob.can_read(&n) && !bob.can_write(&n));
        n.group_write = Some("other, team".into());
        assert!(bob.can_write(&n));
        n.public_read = true;
        assert!(anon.can_read(&n) && !anon.can_write(&n));
        let root = crate::store::root_node();
        assert!(anon.can_read(&root) && !alice.can_write(&root));
    }
}
