//! The node model (VOSpace 2.1 §3.1–3.2): node types, properties and the standard property URIs.

use crate::path::NodePath;

/// The VOSpace namespace (2.x documents; 2.1 ones also carry `version="2.1"`).
pub const NS: &str = "http://www.ivoa.net/xml/VOSpace/v2.0";
/// XML Schema instance.
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Standard property URIs (§3.2.4).
pub mod props {
    /// Prefix of the core properties.
    pub const CORE: &str = "ivo://ivoa.net/vospace/core#";
    /// Size in bytes.
    pub const LENGTH: &str = "ivo://ivoa.net/vospace/core#length";
    /// Last data modification (what CADC clients show).
    pub const DATE: &str = "ivo://ivoa.net/vospace/core#date";
    /// Data modification time.
    pub const MTIME: &str = "ivo://ivoa.net/vospace/core#mtime";
    /// Metadata change time.
    pub const CTIME: &str = "ivo://ivoa.net/vospace/core#ctime";
    /// Creation time.
    pub const BTIME: &str = "ivo://ivoa.net/vospace/core#btime";
    /// MD5 of the content (hex).
    pub const MD5: &str = "ivo://ivoa.net/vospace/core#MD5";
    /// Who created the node.
    pub const CREATOR: &str = "ivo://ivoa.net/vospace/core#creator";
    /// MIME type of the content.
    pub const TYPE: &str = "ivo://ivoa.net/vospace/core#type";
    /// Content encoding.
    pub const CONTENT_ENCODING: &str = "ivo://ivoa.net/vospace/core#contentEncoding";
    /// Groups that may read.
    pub const GROUPREAD: &str = "ivo://ivoa.net/vospace/core#groupread";
    /// Groups that may read and write.
    pub const GROUPWRITE: &str = "ivo://ivoa.net/vospace/core#groupwrite";
    /// Readable by anyone, anonymous callers included.
    pub const PUBLICREAD: &str = "ivo://ivoa.net/vospace/core#publicread";
    /// The CADC clients' spelling of `publicread` (`vchmod o+r`, `vls -l`).
    pub const ISPUBLIC: &str = "ivo://ivoa.net/vospace/core#ispublic";
    /// Quota of a container, bytes.
    pub const QUOTA: &str = "ivo://ivoa.net/vospace/core#quota";
    /// Bytes still available under a container's quota.
    pub const AVAILABLE_SPACE: &str = "ivo://ivoa.net/vospace/core#availableSpace";
    /// Immutable node (§3.1.1).
    pub const IMMUTABLE: &str = "ivo://ivoa.net/vospace/core#immutable";

    /// Properties only the service sets: a client changing one gets PermissionDenied (§6.2.1, §6.3.2).
    pub const READ_ONLY: &[&str] = &[
        LENGTH,
        DATE,
        MTIME,
        CTIME,
        BTIME,
        MD5,
        CREATOR,
        QUOTA,
        AVAILABLE_SPACE,
    ];

    /// Properties the service understands and acts on (the `accepts` list of `/properties`).
    pub const ACCEPTED: &[&str] = &[
        TYPE,
        CONTENT_ENCODING,
        GROUPREAD,
        GROUPWRITE,
        PUBLICREAD,
        ISPUBLIC,
        IMMUTABLE,
        "ivo://ivoa.net/vospace/core#title",
        "ivo://ivoa.net/vospace/core#description",
        "ivo://ivoa.net/vospace/core#subject",
        "ivo://ivoa.net/vospace/core#publisher",
        "ivo://ivoa.net/vospace/core#contributor",
        "ivo://ivoa.net/vospace/core#format",
        "ivo://ivoa.net/vospace/core#identifier",
        "ivo://ivoa.net/vospace/core#source",
        "ivo://ivoa.net/vospace/core#language",
        "ivo://ivoa.net/vospace/core#relation",
        "ivo://ivoa.net/vospace/core#coverage",
        "ivo://ivoa.net/vospace/core#rights",
    ];

    /// Whether `uri` is a property only the service sets.
    pub fn is_read_only(uri: &str) -> bool {
        READ_ONLY.contains(&uri)
    }
}

/// View URIs (§3.4).
pub mod views {
    /// Any data format is accepted.
    pub const ANY: &str = "ivo://ivoa.net/vospace/core#anyview";
    /// Raw bytes.
    pub const BINARY: &str = "ivo://ivoa.net/vospace/core#binaryview";
    /// The service's choice on export.
    pub const DEFAULT: &str = "ivo://ivoa.net/vospace/core#defaultview";
}

/// Protocol URIs (§3.5).
pub mod protocols {
    /// HTTP GET.
    pub const HTTPGET: &str = "ivo://ivoa.net/vospace/core#httpget";
    /// HTTP PUT.
    pub const HTTPPUT: &str = "ivo://ivoa.net/vospace/core#httpput";
    /// HTTPS GET.
    pub const HTTPSGET: &str = "ivo://ivoa.net/vospace/core#httpsget";
    /// HTTPS PUT.
    pub const HTTPSPUT: &str = "ivo://ivoa.net/vospace/core#httpsput";
}

/// The type of a node (its `xsi:type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `vos:ContainerNode`.
    Container,
    /// `vos:DataNode`.
    Data,
    /// `vos:UnstructuredDataNode`.
    Unstructured,
    /// `vos:StructuredDataNode`.
    Structured,
    /// `vos:LinkNode`.
    Link,
}

impl NodeKind {
    /// The local name of the type (`ContainerNode`, ...).
    pub fn type_name(self) -> &'static str {
        match self {
            NodeKind::Container => "ContainerNode",
            NodeKind::Data => "DataNode",
            NodeKind::Unstructured => "UnstructuredDataNode",
            NodeKind::Structured => "StructuredDataNode",
            NodeKind::Link => "LinkNode",
        }
    }

    /// The type from its local name; `Node` (the abstract base, §6.2.1: "a generic node of type Node is implied")
    /// and unknown names are `None`.
    pub fn from_type_name(name: &str) -> Option<NodeKind> {
        Some(match name {
            "ContainerNode" => NodeKind::Container,
            "DataNode" => NodeKind::Data,
            "UnstructuredDataNode" => NodeKind::Unstructured,
            "StructuredDataNode" => NodeKind::Structured,
            "LinkNode" => NodeKind::Link,
            _ => return None,
        })
    }

    /// Whether nodes of this type hold bytes.
    pub fn holds_data(self) -> bool {
        matches!(
            self,
            NodeKind::Data | NodeKind::Unstructured | NodeKind::Structured
        )
    }
}

/// A property of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Its URI.
    pub uri: String,
    /// Its value (`None`: `xsi:nil="true"`, i.e. delete it in setNode).
    pub value: Option<String>,
    /// Whether only the service may change it.
    pub read_only: bool,
}

impl Property {
    /// A property with a value.
    pub fn new(uri: &str, value: impl Into<String>, read_only: bool) -> Property {
        Property {
            uri: uri.to_string(),
            value: Some(value.into()),
            read_only,
        }
    }
}

/// A node as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Stable id (the key of its properties; moves keep it).
    pub id: String,
    /// Where it is.
    pub path: NodePath,
    /// Its type.
    pub kind: NodeKind,
    /// Owner account; `None` for nodes of the service itself (the root).
    pub owner: Option<String>,
    /// LinkNode target URI.
    pub target: Option<String>,
    /// Byte-store key of the content (data nodes with content).
    pub blob: Option<String>,
    /// Content length, bytes.
    pub length: i64,
    /// Hex MD5 of the content.
    pub md5: Option<String>,
    /// Readable by anyone.
    pub public_read: bool,
    /// Groups that may read (comma- or space-separated, as given).
    pub group_read: Option<String>,
    /// Groups that may read and write.
    pub group_write: Option<String>,
    /// A write is in progress.
    pub busy: bool,
    /// Creation time (`YYYY-MM-DDThh:mm:ss.sss`, UTC).
    pub btime: String,
    /// Metadata change time.
    pub ctime: String,
    /// Data change time.
    pub mtime: String,
    /// Quota in bytes (home containers).
    pub quota: Option<i64>,
    /// Bytes used under this container (home containers).
    pub used: i64,
    /// Other properties (title, description, type, ...), URI → value.
    pub props: Vec<(String, String)>,
}

impl Node {
    /// The value of a stored (non-computed) property.
    pub fn prop(&self, uri: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(u, _)| u == uri)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the node is immutable (§3.1.1).
    pub fn is_immutable(&self) -> bool {
        self.prop(props::IMMUTABLE)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}

/// Now, as VOSpace and the CADC clients write dates: `YYYY-MM-DDThh:mm:ss.sss` in UTC.
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string()
}

/// Whether a property value means true (`true`, `1`, `yes`).
pub fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}
