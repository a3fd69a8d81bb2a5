//! Writing VOSpace documents. Every `xsi:type` carries the literal `vos:` prefix bound on the root (the CADC
//! client reads the attribute value as text, CLIENTS.md §3), and element order follows VOSpace-2.1.xsd: Node
//! (properties), DataNode (accepts, provides, capabilities), ContainerNode (nodes), LinkNode (target).

use crate::model::{NS, NS_XSI, NodeKind, Property, views};
use almagest_common::xml::{escape_attr_into, escape_text_into};

/// How much of a node getNode returns (§6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Type and URI only (children likewise).
    Min,
    /// Everything (the default).
    Max,
    /// Properties, without children.
    Properties,
}

impl Detail {
    /// From the `detail` parameter.
    pub fn parse(s: Option<&str>) -> Result<Detail, crate::error::Fault> {
        match s.map(str::trim) {
            None | Some("") | Some("max") => Ok(Detail::Max),
            Some("min") => Ok(Detail::Min),
            Some("properties") => Ok(Detail::Properties),
            Some(other) => Err(crate::error::Fault::InvalidArgument(format!(
                "detail must be min, max or properties, not '{other}'"
            ))),
        }
    }
}

/// A node as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOut {
    /// Its `vos://` URI.
    pub uri: String,
    /// Its type.
    pub kind: NodeKind,
    /// Properties to show.
    pub props: Vec<Property>,
    /// LinkNode target.
    pub target: Option<String>,
    /// Data node busy flag.
    pub busy: bool,
}

fn attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr_into(out, value);
    out.push('"');
}

fn open_node(out: &mut String, tag: &str, n: &NodeOut, root: bool) {
    out.push('<');
    out.push_str(tag);
    if root {
        attr(out, "xmlns:vos", NS);
        attr(out, "xmlns:xsi", NS_XSI);
        attr(out, "version", "2.1");
    }
    attr(out, "uri", &n.uri);
    attr(out, "xsi:type", &format!("vos:{}", n.kind.type_name()));
    if n.kind.holds_data() || n.kind == NodeKind::Container {
        attr(out, "busy", if n.busy { "true" } else { "false" });
    }
}

fn properties(out: &mut String, props: &[Property], indent: &str) {
    if props.is_empty() {
        out.push_str(indent);
        out.push_str("<vos:properties/>\n");
        return;
    }
    out.push_str(indent);
    out.push_str("<vos:properties>\n");
    for p in props {
        out.push_str(indent);
        out.push_str("  <vos:property");
        attr(out, "uri", &p.uri);
        if p.read_only {
            attr(out, "readOnly", "true");
        }
        match &p.value {
            Some(v) => {
                out.push('>');
                escape_text_into(out, v);
                out.push_str("</vos:property>\n");
            }
            None => out.push_str(" xsi:nil=\"true\"/>\n"),
        }
    }
    out.push_str(indent);
    out.push_str("</vos:properties>\n");
}

/// accepts / provides / capabilities of a data or container node.
fn data_parts(out: &mut String, indent: &str) {
    out.push_str(indent);
    out.push_str("<vos:accepts>\n");
    out.push_str(indent);
    out.push_str(&format!("  <vos:view uri=\"{}\"/>\n", views::ANY));
    out.push_str(indent);
    out.push_str("</vos:accepts>\n");
    out.push_str(indent);
    out.push_str("<vos:provides>\n");
    out.push_str(indent);
    out.push_str(&format!("  <vos:view uri=\"{}\"/>\n", views::BINARY));
    out.push_str(indent);
    out.push_str(&format!("  <vos:view uri=\"{}\"/>\n", views::DEFAULT));
    out.push_str(indent);
    out.push_str("</vos:provides>\n");
    out.push_str(indent);
    out.push_str("<vos:capabilities/>\n");
}

fn target(out: &mut String, n: &NodeOut, indent: &str) {
    out.push_str(indent);
    out.push_str("<vos:target>");
    escape_text_into(out, n.target.as_deref().unwrap_or(""));
    out.push_str("</vos:target>\n");
}

/// One child inside `<vos:nodes>`: at `Max` with its properties (what `vls -l` shows), at `Min` bare. The
/// elements its type requires are always there, so the document stays schema-valid.
fn child(out: &mut String, n: &NodeOut, detail: Detail) {
    let indent = "    ";
    out.push_str("    ");
    open_node(out, "vos:node", n, false);
    out.push_str(">\n");
    let inner = "      ";
    if detail == Detail::Max {
        properties(out, &n.props, inner);
    }
    match n.kind {
        NodeKind::Container => {
            if detail == Detail::Max {
                data_parts(out, inner);
            }
            out.push_str(inner);
            out.push_str("<vos:nodes/>\n");
        }
        NodeKind::Link => target(out, n, inner),
        _ => {
            if detail == Detail::Max {
                data_parts(out, inner);
            }
        }
    }
    out.push_str(indent);
    out.push_str("</vos:node>\n");
}

/// The node document of getNode, createNode and setNode. `children` is listed for containers (`None` outside
/// getNode or at `detail=properties`).
pub fn node_document(n: &NodeOut, children: Option<&[NodeOut]>, detail: Detail) -> String {
    let mut out = String::with_capacity(1024 + children.map_or(0, |c| c.len() * 600));
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    open_node(&mut out, "vos:node", n, true);
    out.push_str(">\n");
    if detail != Detail::Min {
        properties(&mut out, &n.props, "  ");
    }
    match n.kind {
        NodeKind::Link => target(&mut out, n, "  "),
        NodeKind::Container => {
            if detail == Detail::Max {
                data_parts(&mut out, "  ");
            }
            match children {
                Some(c) if !c.is_empty() && detail != Detail::Properties => {
                    out.push_str("  <vos:nodes>\n");
                    for ch in c {
                        child(&mut out, ch, detail);
                    }
                    out.push_str("  </vos:nodes>\n");
                }
                _ => out.push_str("  <vos:nodes/>\n"),
            }
        }
        _ => {
            if detail == Detail::Max {
                data_parts(&mut out, "  ");
            }
        }
    }
    out.push_str("</vos:node>\n");
    out
}

/// A protocol in a transfer result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolOut {
    /// Its URI.
    pub uri: String,
    /// Its endpoint.
    pub endpoint: Option<String>,
    /// Security method, echoed only if the client sent one (§4).
    pub security_method: Option<String>,
}

/// A transfer document (request echo or result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOut {
    /// Target URI.
    pub target: String,
    /// Direction.
    pub direction: String,
    /// View.
    pub view: Option<String>,
    /// Protocols.
    pub protocols: Vec<ProtocolOut>,
    /// keepBytes.
    pub keep_bytes: Option<bool>,
    /// Parameters.
    pub params: Vec<(String, String)>,
}

/// `<vos:transfer version="2.1">`.
pub fn transfer_document(t: &TransferOut) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<vos:transfer");
    attr(&mut out, "xmlns:vos", NS);
    attr(&mut out, "version", "2.1");
    out.push_str(">\n  <vos:target>");
    escape_text_into(&mut out, &t.target);
    out.push_str("</vos:target>\n  <vos:direction>");
    escape_text_into(&mut out, &t.direction);
    out.push_str("</vos:direction>\n");
    if let Some(v) = &t.view {
        out.push_str("  <vos:view");
        attr(&mut out, "uri", v);
        out.push_str("/>\n");
    }
    for p in &t.protocols {
        out.push_str("  <vos:protocol");
        attr(&mut out, "uri", &p.uri);
        if p.endpoint.is_none() && p.security_method.is_none() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Some(e) = &p.endpoint {
            out.push_str("    <vos:endpoint>");
            escape_text_into(&mut out, e);
            out.push_str("</vos:endpoint>\n");
        }
        if let Some(s) = &p.security_method {
            out.push_str("    <vos:securityMethod");
            attr(&mut out, "uri", s);
            out.push_str("/>\n");
        }
        out.push_str("  </vos:protocol>\n");
    }
    if let Some(k) = t.keep_bytes {
        out.push_str(&format!("  <vos:keepBytes>{k}</vos:keepBytes>\n"));
    }
    for (u, v) in &t.params {
        out.push_str("  <vos:param");
        attr(&mut out, "uri", u);
        out.push('>');
        escape_text_into(&mut out, v);
        out.push_str("</vos:param>\n");
    }
    out.push_str("</vos:transfer>\n");
    out
}

/// A document with `accepts`, `provides` (and `contains`) lists of `item` elements carrying a `uri` (the
/// getProtocols, getViews and getProperties responses, §6.1).
pub fn lists_document(root: &str, item: &str, lists: &[(&str, &[String])]) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<vos:{root}"));
    attr(&mut out, "xmlns:vos", NS);
    out.push_str(">\n");
    for (name, items) in lists {
        if items.is_empty() {
            out.push_str(&format!("  <vos:{name}/>\n"));
            continue;
        }
        out.push_str(&format!("  <vos:{name}>\n"));
        for u in *items {
            out.push_str(&format!("    <vos:{item}"));
            attr(&mut out, "uri", u);
            out.push_str("/>\n");
        }
        out.push_str(&format!("  </vos:{name}>\n"));
    }
    out.push_str(&format!("</vos:{root}>\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::read::read_node;

    fn container() -> NodeOut {
        NodeOut {
            uri: "vos://example.org!vospace/alice".into(),
            kind: NodeKind::Container,
            props: vec![Property::new(
                "ivo://ivoa.net/vospace/core#description",
                "a <b> & \"c\"",
                false,
            )],
            target: None,
            busy: false,
        }
    }

    #[test]
    fn node_round_trips_through_the_reader() {
        let kids = vec![
            NodeOut {
                uri: "vos://example.org!vospace/alice/f".into(),
                kind: NodeKind::Data,
                props: vec![Property::new(crate::model::props::LENGTH, "3", true)],
                target: None,
                busy: false,
            },
            NodeOut {
                uri: "vos://example.org!vospace/alice/l".into(),
                kind: NodeKind::Link,
                props: vec![],
                target: Some("vos://example.org!vospace/alice/f".into()),
                busy: false,
            },
        ];
        let doc = node_document(&container(), Some(&kids), Detail::Max);
        assert!(doc.contains("xsi:type=\"vos:ContainerNode\""));
        assert!(doc.contains("xsi:type=\"vos:DataNode\""));
        let back = read_node(&doc).unwrap();
        assert_eq!(back.kind, Some(NodeKind::Container));
        assert_eq!(back.properties[0].value.as_deref(), Some("a <b> & \"c\""));
        let min = node_document(&container(), Some(&kids), Detail::Min);
        assert!(!min.contains("vos:properties"));
        assert!(min.contains("<vos:target>"));
    }
}
