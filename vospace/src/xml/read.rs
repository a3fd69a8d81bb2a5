//! Reading the XML documents clients send: node representations (createNode, setNode) and transfers. Parsing is
//! namespace-aware (clients bind the VOSpace namespace to any prefix, or as the default namespace), and a node of
//! an unknown `xsi:type` is a TypeNotSupported fault, never a parser error (VOSpace 2.1 §3.1).

use crate::error::Fault;
use crate::model::{NS, NS_XSI, NodeKind, Property};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;

/// Most properties or protocols accepted in one document.
const MAX_ITEMS: usize = 10_000;

/// A node document as sent by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDoc {
    /// The `uri` attribute.
    pub uri: String,
    /// The type; `None` when absent or `vos:Node` (a generic node).
    pub kind: Option<NodeKind>,
    /// The properties (a `None` value is `xsi:nil="true"`).
    pub properties: Vec<Property>,
    /// LinkNode target.
    pub target: Option<String>,
}

/// A requested protocol of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolDoc {
    /// Its URI.
    pub uri: String,
    /// Its endpoint (service-initiated transfers).
    pub endpoint: Option<String>,
    /// Security method URIs.
    pub security_methods: Vec<String>,
}

/// A transfer document (§3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferDoc {
    /// `version` attribute.
    pub version: Option<String>,
    /// Target node URI.
    pub target: String,
    /// Direction: one of the four keywords or a destination URI.
    pub direction: String,
    /// Requested view.
    pub view: Option<String>,
    /// Requested protocols in order of preference.
    pub protocols: Vec<ProtocolDoc>,
    /// keepBytes (copy when true).
    pub keep_bytes: Option<bool>,
    /// Parameters (uri, value).
    pub params: Vec<(String, String)>,
}

fn bad(msg: impl Into<String>) -> Fault {
    Fault::InvalidArgument(msg.into())
}

/// Whether an element name resolves to the VOSpace namespace (or to none: lenient for hand-written documents).
fn in_vos(ns: &ResolveResult<'_>) -> bool {
    match ns {
        ResolveResult::Bound(n) => n.0 == NS,
        ResolveResult::Unbound => true,
        ResolveResult::Unknown(_) => false,
    }
}

fn attr(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    ns: Option<&str>,
    local: &str,
) -> Result<Option<String>, Fault> {
    for a in e.attributes() {
        let a = a.map_err(|err| bad(format!("malformed attribute: {err}")))?;
        let (res, name) = reader.resolver().resolve_attribute(a.key);
        let ns_ok = match (ns, &res) {
            (None, ResolveResult::Unbound) => true,
            (Some(want), ResolveResult::Bound(n)) => n.0 == want,
            _ => false,
        };
        if ns_ok && name.as_ref() == local {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| bad(format!("malformed attribute '{local}': {err}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn resolve_ref(name: &str) -> Result<char, Fault> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(h) => u32::from_str_radix(h, 16).ok(),
            None => num.parse().ok(),
        };
        return code
            .and_then(char::from_u32)
            .ok_or_else(|| bad(format!("bad character reference '&{name};'")));
    }
    Ok(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return Err(bad(format!("unknown entity '&{name};'"))),
    })
}

/// One element of the document: its VOSpace local name (or None for foreign elements) and attributes read.
struct Walker<'a> {
    reader: NsReader<&'a [u8]>,
}

enum Step {
    Open {
        vos: bool,
        local: String,
        empty: bool,
        xsi_type: Option<(bool, String)>,
        nil: bool,
        uri: Option<String>,
        read_only: Option<String>,
    },
    Close,
    Text(String),
    End,
}

impl<'a> Walker<'a> {
    fn new(doc: &'a str) -> Walker<'a> {
        let mut reader = NsReader::from_str(doc);
        reader.config_mut().expand_empty_elements = false;
        Walker { reader }
    }

    fn next(&mut self) -> Result<Step, Fault> {
        loop {
            let pos = self.reader.buffer_position();
            let (ns, ev) = self.reader.read_resolved_event().map_err(|e| {
                bad(format!(
                    "the XML document is not well-formed after byte {pos}: {e}"
                ))
            })?;
            let vos = in_vos(&ns);
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    let local = e.local_name().as_ref().to_string();
                    let xsi_type = match attr(&self.reader, e, Some(NS_XSI), "type")? {
                        Some(v) => {
                            let (res, lname) =
                                self.reader.resolver().resolve_element(QName(v.as_str()));
                            let is_vos = match res {
                                ResolveResult::Bound(n) => n.0 == NS,
                                // an undeclared prefix: judge by the local name alone
                                ResolveResult::Unknown(_) | ResolveResult::Unbound => true,
                            };
                            Some((is_vos, lname.as_ref().to_string()))
                        }
                        None => None,
                    };
                    let nil = attr(&self.reader, e, Some(NS_XSI), "nil")?
                        .is_some_and(|v| v.trim() == "true");
                    let uri = attr(&self.reader, e, None, "uri")?;
                    let read_only = attr(&self.reader, e, None, "readOnly")?;
                    return Ok(Step::Open {
                        vos,
                        local,
                        empty,
                        xsi_type,
                        nil,
                        uri,
                        read_only,
                    });
                }
                Event::End(_) => return Ok(Step::Close),
                Event::Text(t) => return Ok(Step::Text(t.xml10_content().into_owned())),
                Event::CData(t) => return Ok(Step::Text(t.xml10_content().into_owned())),
                Event::GeneralRef(r) => {
                    let name = r.xml10_content();
                    return Ok(Step::Text(resolve_ref(&name)?.to_string()));
                }
                Event::Eof => return Ok(Step::End),
                _ => {}
            }
        }
    }

    /// The text content of the element just opened (not empty), up to its end; nested elements are refused.
    fn text(&mut self) -> Result<String, Fault> {
        let mut s = String::new();
        loop {
            match self.next()? {
                Step::Text(t) => s.push_str(&t),
                Step::Close => return Ok(s),
                Step::Open { local, .. } => {
                    return Err(bad(format!(
                        "unexpected element <{local}> inside a text value"
                    )));
                }
                Step::End => return Err(bad("the document ends inside an element")),
            }
        }
    }

    /// Skips the rest of an element just opened (not empty).
    fn skip(&mut self) -> Result<(), Fault> {
        let mut depth = 1;
        while depth > 0 {
            match self.next()? {
                Step::Open { empty: false, .. } => depth += 1,
                Step::Close => depth -= 1,
                Step::End => return Err(bad("the document ends inside an element")),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads a node document. Unknown child elements are ignored (accepts/provides/capabilities cannot be set by a
/// client, §6.2.1); an unsupported `xsi:type` is TypeNotSupported.
pub fn read_node(doc: &str) -> Result<NodeDoc, Fault> {
    let mut w = Walker::new(doc);
    let (root_empty, xsi_type, uri) = loop {
        match w.next()? {
            Step::Open {
                vos,
                local,
                empty,
                xsi_type,
                uri,
                ..
            } => {
                if !(vos && local == "node") {
                    return Err(bad(format!(
                        "expected a VOSpace <node> document, found <{local}>"
                    )));
                }
                break (empty, xsi_type, uri);
            }
            Step::End => return Err(bad("empty document: expected a VOSpace <node>")),
            _ => {}
        }
    };
    let uri = uri.ok_or_else(|| bad("the node has no 'uri' attribute"))?;
    let kind = match xsi_type {
        None => None,
        Some((true, name)) if name == "Node" => None,
        Some((true, name)) => Some(
            NodeKind::from_type_name(&name)
                .ok_or_else(|| Fault::TypeNotSupported(format!("vos:{name}")))?,
        ),
        Some((false, name)) => return Err(Fault::TypeNotSupported(name)),
    };
    let mut node = NodeDoc {
        uri,
        kind,
        properties: vec![],
        target: None,
    };
    if root_empty {
        return Ok(node);
    }
    loop {
        match w.next()? {
            Step::Open {
                vos: true,
                local,
                empty,
                ..
            } if local == "properties" => {
                if !empty {
                    read_properties(&mut w, &mut node.properties)?;
                }
            }
            Step::Open {
                vos: true,
                local,
                empty: false,
                ..
            } if local == "target" => {
                node.target = Some(w.text()?.trim().to_string());
            }
            Step::Open { empty: false, .. } => w.skip()?,
            Step::Open { .. } | Step::Text(_) => {}
            Step::Close | Step::End => return Ok(node),
        }
    }
}

fn read_properties(w: &mut Walker<'_>, out: &mut Vec<Property>) -> Result<(), Fault> {
    loop {
        match w.next()? {
            Step::Open {
                vos: true,
                local,
                empty,
                nil,
                uri,
                read_only,
                ..
            } if local == "property" => {
                let uri = uri.ok_or_else(|| bad("a <property> has no 'uri' attribute"))?;
                let value = if empty { String::new() } else { w.text()? };
                if out.len() >= MAX_ITEMS {
                    return Err(bad(format!("more than {MAX_ITEMS} properties")));
                }
                out.push(Property {
                    uri,
                    value: if nil {
                        None
                    } else {
                        Some(value.trim().to_string())
                    },
                    read_only: read_only.is_some_and(|v| v.trim() == "true"),
                });
            }
            Step::Open { empty: false, .. } => w.skip()?,
            Step::Open { .. } | Step::Text(_) => {}
            Step::Close => return Ok(()),
            Step::End => return Err(bad("the document ends inside <properties>")),
        }
    }
}

/// Reads a transfer document.
pub fn read_transfer(doc: &str) -> Result<TransferDoc, Fault> {
    let mut w = Walker::new(doc);
    let version = loop {
        match w.next()? {
            Step::Open {
                vos, local, empty, ..
            } => {
                if !(vos && local == "transfer") {
                    return Err(bad(format!(
                        "expected a VOSpace <transfer> document, found <{local}>"
                    )));
                }
                if empty {
                    return Err(bad("the transfer has no <target>"));
                }
                break attr_version(doc);
            }
            Step::End => return Err(bad("empty document: expected a VOSpace <transfer>")),
            _ => {}
        }
    };
    let mut t = TransferDoc {
        version,
        target: String::new(),
        direction: String::new(),
        view: None,
        protocols: vec![],
        keep_bytes: None,
        params: vec![],
    };
    loop {
        match w.next()? {
            Step::Open {
                vos: true,
                local,
                empty,
                uri,
                ..
            } => match (local.as_str(), empty) {
                ("target", false) => t.target = w.text()?.trim().to_string(),
                ("direction", false) => t.direction = w.text()?.trim().to_string(),
                ("keepBytes", false) => {
                    let v = w.text()?;
                    t.keep_bytes = Some(match v.trim() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        other => {
                            return Err(bad(format!(
                                "keepBytes must be true or false, not '{other}'"
                            )));
                        }
                    });
                }
                ("view", e) => {
                    t.view = Some(uri.ok_or_else(|| bad("a <view> has no 'uri' attribute"))?);
                    if !e {
                        w.skip()?;
                    }
                }
                ("protocol", e) => {
                    let mut p = ProtocolDoc {
                        uri: uri.ok_or_else(|| bad("a <protocol> has no 'uri' attribute"))?,
                        endpoint: None,
                        security_methods: vec![],
                    };
                    if !e {
                        read_protocol(&mut w, &mut p)?;
                    }
                    if t.protocols.len() >= MAX_ITEMS {
                        return Err(bad(format!("more than {MAX_ITEMS} protocols")));
                    }
                    t.protocols.push(p);
                }
                ("param", e) => {
                    let u = uri.ok_or_else(|| bad("a <param> has no 'uri' attribute"))?;
                    let v = if e { String::new() } else { w.text()? };
                    t.params.push((u, v.trim().to_string()));
                }
                (_, false) => w.skip()?,
                _ => {}
            },
            Step::Open { empty: false, .. } => w.skip()?,
            Step::Open { .. } | Step::Text(_) => {}
            Step::Close | Step::End => break,
        }
    }
    if t.target.is_empty() {
        return Err(bad("the transfer has no <target>"));
    }
    Ok(t)
}

fn read_protocol(w: &mut Walker<'_>, p: &mut ProtocolDoc) -> Result<(), Fault> {
    loop {
        match w.next()? {
            Step::Open {
                vos: true,
                local,
                empty: false,
                ..
            } if local == "endpoint" => {
                p.endpoint = Some(w.text()?.trim().to_string());
            }
            Step::Open {
                vos: true,
                local,
                empty,
                uri,
                ..
            } if local == "securityMethod" => {
                if let Some(u) = uri {
                    p.security_methods.push(u);
                }
                if !empty {
                    w.skip()?;
                }
            }
            Step::Open { empty: false, .. } => w.skip()?,
            Step::Open { .. } | Step::Text(_) => {}
            Step::Close => return Ok(()),
            Step::End => return Err(bad("the document ends inside <protocol>")),
        }
    }
}

/// The `version` attribute of the root element, read separately (it is unqualified and optional).
fn attr_version(doc: &str) -> Option<String> {
    let mut reader = NsReader::from_str(doc);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "version")
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(|v| v.into_owned())
                    });
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cadc_style_node_with_odd_prefixes() {
        let doc = r#"<?xml version="1.0"?>
<node xmlns="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0"
      xmlns:ns1="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      uri="vos://example.org!vospace/alice/d" xsi:type="vos:ContainerNode">
  <ns1:properties>
    <ns1:property uri="ivo://ivoa.net/vospace/core#description">My &amp; results</ns1:property>
    <ns1:property uri="ivo://ivoa.net/vospace/core#title" xsi:nil="true"/>
    <ns1:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">12</ns1:property>
  </ns1:properties>
  <accepts/><provides/><capabilities/><nodes/>
</node>"#;
        let n = read_node(doc).unwrap();
        assert_eq!(n.uri, "vos://example.org!vospace/alice/d");
        assert_eq!(n.kind, Some(NodeKind::Container));
        assert_eq!(n.properties.len(), 3);
        assert_eq!(n.properties[0].value.as_deref(), Some("My & results"));
        assert_eq!(n.properties[1].value, None);
        assert!(n.properties[2].read_only);
    }

    #[test]
    fn link_nodes_types_and_faults() {
        let link = r#"<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" uri="vos://a!b/l" xsi:type="vos:LinkNode"><vos:target>vos://a!b/t</vos:target></vos:node>"#;
        let n = read_node(link).unwrap();
        assert_eq!(
            (n.kind, n.target.as_deref()),
            (Some(NodeKind::Link), Some("vos://a!b/t"))
        );
        let unknown = link.replace("vos:LinkNode", "vos:SpaceshipNode");
        assert!(
            matches!(read_node(&unknown), Err(Fault::TypeNotSupported(t)) if t == "vos:SpaceshipNode")
        );
        let generic = r#"<node xmlns="http://www.ivoa.net/xml/VOSpace/v2.0" uri="vos://a!b/x"/>"#;
        assert_eq!(read_node(generic).unwrap().kind, None);
        assert!(matches!(read_node("<node"), Err(Fault::InvalidArgument(_))));
        assert!(matches!(
            read_node(r#"<node xmlns="http://www.ivoa.net/xml/VOSpace/v2.0"/>"#),
            Err(Fault::InvalidArgument(_))
        ));
        assert!(matches!(
            read_node("<other/>"),
            Err(Fault::InvalidArgument(_))
        ));
    }

    #[test]
    fn reads_transfers() {
        let doc = r#"<vos:transfer xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" version="2.1">
  <vos:target>vos://example.org!vospace/alice/f</vos:target>
  <vos:direction>pushToVoSpace</vos:direction>
  <vos:view uri="ivo://ivoa.net/vospace/core#defaultview"/>
  <vos:protocol uri="ivo://ivoa.net/vospace/core#httpsput"><vos:securityMethod uri="ivo://ivoa.net/sso#tls-with-certificate"/></vos:protocol>
  <vos:protocol uri="ivo://ivoa.net/vospace/core#httpput"/>
  <vos:keepBytes>false</vos:keepBytes>
  <vos:param uri="ivo://ivoa.net/vospace/core#length">1024</vos:param>
</vos:transfer>"#;
        let t = read_transfer(doc).unwrap();
        assert_eq!(t.version.as_deref(), Some("2.1"));
        assert_eq!(t.direction, "pushToVoSpace");
        assert_eq!(t.protocols.len(), 2);
        assert_eq!(
            t.protocols[0].security_methods,
            ["ivo://ivoa.net/sso#tls-with-certificate"]
        );
        assert_eq!(t.keep_bytes, Some(false));
        assert_eq!(
            t.params,
            [(
                "ivo://ivoa.net/vospace/core#length".to_string(),
                "1024".to_string()
            )]
        );
        assert!(read_transfer(r#"<transfer xmlns="http://www.ivoa.net/xml/VOSpace/v2.0"><direction>x</direction></transfer>"#).is_err());
    }
}
