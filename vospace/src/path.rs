//! Node paths and `vos://` identifiers (VOSpace 2.1 §2).
//!
//! A [`NodePath`] is the only form in which a user-supplied path reaches the store: percent-decoded exactly once,
//! each segment checked (no `.`/`..`, no empty segment, no `/` smuggled in as `%2F`, no NUL or control
//! characters, at most 255 bytes) and normalised to Unicode NFC, so two spellings of the same visible name are one
//! node. Bytes never live under these paths: the byte store uses random keys (see `bytes`), so no path trick can
//! reach a file outside a node's own content.

use crate::error::Fault;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use std::fmt;
use unicode_normalization::UnicodeNormalization as _;

/// Longest segment, in bytes (the usual file-system limit).
pub const MAX_SEGMENT: usize = 255;
/// Most segments in a path.
pub const MAX_DEPTH: usize = 64;

/// A checked node path: the root is no segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodePath {
    segments: Vec<String>,
}

/// Characters escaped when a path is written into a URI (RFC 3986 path segment, plus the separators
/// VOSpace gives a meaning to).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'/');

impl NodePath {
    /// The root container.
    pub fn root() -> NodePath {
        NodePath { segments: vec![] }
    }

    /// Parses the part of a URL or URI after `nodes/` (or after the authority of a `vos://` URI): segments are
    /// percent-decoded once and checked. A single leading and a single trailing `/` are ignored.
    pub fn parse(raw: &str) -> Result<NodePath, Fault> {
        let trimmed = raw.strip_prefix('/').unwrap_or(raw);
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Ok(NodePath::root());
        }
        let mut segments = Vec::new();
        for raw_segment in trimmed.split('/') {
            let decoded = percent_decode_str(raw_segment).decode_utf8().map_err(|_| {
                Fault::InvalidUri(format!(
                    "'{raw}': a segment is not UTF-8 after percent-decoding"
                ))
            })?;
            segments.push(check_segment(raw, &decoded)?);
        }
        if segments.len() > MAX_DEPTH {
            return Err(Fault::InvalidUri(format!(
                "'{raw}': deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(NodePath { segments })
    }

    /// A path from already-decoded segments (checked the same way).
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<NodePath, Fault> {
        let joined: Vec<&str> = segments.iter().map(|s| s.as_ref()).collect();
        let shown = joined.join("/");
        let segments = joined
            .iter()
            .map(|s| check_segment(&shown, s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NodePath { segments })
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The segments.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The last segment (empty for the root).
    pub fn name(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }

    /// The parent (the root's parent is the root).
    pub fn parent(&self) -> NodePath {
        let mut segments = self.segments.clone();
        segments.pop();
        NodePath { segments }
    }

    /// A child of this path; `name` must already be a checked segment.
    pub fn child(&self, name: &str) -> Result<NodePath, Fault> {
        let mut segments = self.segments.clone();
        segments.push(check_segment(name, name)?);
        Ok(NodePath { segments })
    }

    /// The home container this path is under (its first segment), none for the root.
    pub fn home(&self) -> Option<NodePath> {
        self.segments.first().map(|s| NodePath {
            segments: vec![s.clone()],
        })
    }

    /// Whether `self` is `other` or inside it.
    pub fn starts_with(&self, other: &NodePath) -> bool {
        self.segments.len() >= other.segments.len()
            && self.segments[..other.segments.len()] == other.segments[..]
    }

    /// Every ancestor from the first segment down to the parent (not the root, not self).
    pub fn ancestors(&self) -> Vec<NodePath> {
        (1..self.segments.len())
            .map(|n| NodePath {
                segments: self.segments[..n].to_vec(),
            })
            .collect()
    }

    /// The key of the node in the database: `/a/b`, `/` for the root. Segments cannot contain `/`, so the text
    /// form is unambiguous, and descendants of `/a` are exactly the keys in [`NodePath::descendant_range`].
    pub fn key(&self) -> String {
        if self.segments.is_empty() {
            "/".to_string()
        } else {
            let mut s = String::new();
            for seg in &self.segments {
                s.push('/');
                s.push_str(seg);
            }
            s
        }
    }

    /// Parses a database key written by [`NodePath::key`].
    pub fn from_key(key: &str) -> NodePath {
        NodePath {
            segments: key
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// `[low, high)` bounds of the keys of every descendant: `key/` up to `key0` (`0` follows `/` in byte order).
    pub fn descendant_range(&self) -> (String, String) {
        let k = if self.is_root() {
            String::new()
        } else {
            self.key()
        };
        (format!("{k}/"), format!("{k}0"))
    }

    /// The path percent-encoded for a URL or URI (`a/b%20c`), without a leading slash.
    pub fn encoded(&self) -> String {
        self.segments
            .iter()
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

fn check_segment(whole: &str, segment: &str) -> Result<String, Fault> {
    let bad = |why: &str| Err(Fault::InvalidUri(format!("'{whole}': {why}")));
    if segment.is_empty() {
        return bad("empty path segment ('//')");
    }
    if segment == "." || segment == ".." {
        return bad("'.' and '..' are not allowed in node paths");
    }
    if segment.contains('/') {
        return bad("a segment contains an encoded '/' (%2F)");
    }
    if segment.chars().any(|c| c.is_control()) {
        return bad("a segment contains NUL or a control character");
    }
    let nfc: String = segment.nfc().collect();
    if nfc.len() > MAX_SEGMENT {
        return bad("a segment is longer than 255 bytes");
    }
    Ok(nfc)
}

/// The `vos://` form of the service authority: `ivo://example.org/vospace` → `example.org!vospace`.
pub fn vos_authority(ivo_id: &str) -> String {
    ivo_id
        .trim_start_matches("ivo://")
        .trim_end_matches('/')
        .replace('/', "!")
}

/// Identifiers of this service: turns paths into `vos://` URIs and back.
#[derive(Debug, Clone)]
pub struct Identifiers {
    /// `example.org!vospace`.
    authority: String,
}

impl Identifiers {
    /// For the service registered as `ivo_id` (e.g. `ivo://example.org/vospace`).
    pub fn new(ivo_id: &str) -> Identifiers {
        Identifiers {
            authority: vos_authority(ivo_id),
        }
    }

    /// `vos://example.org!vospace` (with `!`, as this service always writes).
    pub fn base(&self) -> String {
        format!("vos://{}", self.authority)
    }

    /// The URI of a node.
    pub fn uri(&self, path: &NodePath) -> String {
        if path.is_root() {
            self.base()
        } else {
            format!("vos://{}/{}", self.authority, path.encoded())
        }
    }

    /// Whether `uri` is a `vos://` URI (of any service).
    pub fn is_vos(uri: &str) -> bool {
        uri.len() > 6 && uri[..6].eq_ignore_ascii_case("vos://")
    }

    /// The node path of a `vos://` URI of this service. `!` and `~` are both accepted as the separator
    /// (VOSpace 2.1 §2); a query or fragment is dropped; another authority is an InvalidURI fault.
    pub fn path_of(&self, uri: &str) -> Result<NodePath, Fault> {
        let uri = uri.trim();
        if !Self::is_vos(uri) {
            return Err(Fault::InvalidUri(format!("'{uri}' is not a vos:// URI")));
        }
        let rest = &uri[6..];
        let rest = rest.split(['#', '?']).next().unwrap_or(rest);
        // The authority ends at the first '/' after the separator; it may itself contain '!' or '~' but no '/'.
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let normalised = authority.replace('~', "!");
        if !normalised.eq_ignore_ascii_case(&self.authority) {
            return Err(Fault::InvalidUri(format!(
                "'{uri}' belongs to another VOSpace ({authority}); this one is {}",
                self.authority
            )));
        }
        NodePath::parse(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let p = NodePath::parse("/alice/a%20b/c/").unwrap();
        assert_eq!(p.segments(), ["alice", "a b", "c"]);
        assert_eq!(p.key(), "/alice/a b/c");
        assert_eq!(p.encoded(), "alice/a%20b/c");
        assert_eq!(NodePath::parse("").unwrap(), NodePath::root());
        assert_eq!(NodePath::parse("/").unwrap().key(), "/");
        // decomposed e + combining acute == precomposed é
        assert_eq!(
            NodePath::parse("e\u{301}").unwrap(),
            NodePath::parse("%C3%A9").unwrap()
        );
    }

    #[test]
    fn refuses_escapes() {
        for bad in [
            "a/../b",
            "..",
            "a/./b",
            "a//b",
            "a/%2F/b",
            "a%2Fb",
            "%2e%2e",
            "a/%00",
            "a/\u{7}",
            "a/%ff",
            &format!("a/{}", "x".repeat(256)),
        ] {
            assert!(
                matches!(NodePath::parse(bad), Err(Fault::InvalidUri(_))),
                "{bad}"
            );
        }
        // percent-decoding happens once: %252e%252e is the literal name "%2e%2e", not ".."
        assert_eq!(NodePath::parse("%252e%252e").unwrap().name(), "%2e%2e");
    }

    #[test]
    fn vos_uris() {
        let ids = Identifiers::new("ivo://example.org/vospace");
        assert_eq!(ids.base(), "vos://example.org!vospace");
        let p = NodePath::parse("alice/x y").unwrap();
        assert_eq!(ids.uri(&p), "vos://example.org!vospace/alice/x%20y");
        assert_eq!(
            ids.path_of("vos://example.org!vospace/alice/x%20y")
                .unwrap(),
            p
        );
        assert_eq!(
            ids.path_of("vos://example.org~vospace/alice/x%20y#frag")
                .unwrap(),
            p
        );
        assert!(ids.path_of("vos://other.org!vospace/alice").is_err());
        assert!(ids.path_of("http://example.org/vospace/alice").is_err());
        assert_eq!(
            ids.path_of("vos://example.org!vospace").unwrap(),
            NodePath::root()
        );
    }

    #[test]
    fn ranges_and_relations() {
        let a = NodePath::parse("alice/a").unwrap();
        let (lo, hi) = a.descendant_range();
        assert_eq!((lo.as_str(), hi.as_str()), ("/alice/a/", "/alice/a0"));
        assert!("/alice/a/b".to_string() >= lo && "/alice/a/b".to_string() < hi);
        assert!("/alice/ab".to_string() >= hi || "/alice/ab".to_string() < lo);
        assert_eq!(a.home().unwrap().key(), "/alice");
        assert!(NodePath::parse("alice/a/b").unwrap().starts_with(&a));
        assert!(!NodePath::parse("alice/ab").unwrap().starts_with(&a));
        assert_eq!(NodePath::parse("a/b/c").unwrap().ancestors().len(), 2);
    }
}
