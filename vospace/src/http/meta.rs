//! Service metadata: VOSI capabilities and availability, getProtocols, getViews and getProperties (§6.1).

use super::xml;
use crate::error::Fault;
use crate::model::{props, protocols as proto, views as view};
use crate::service::Vospace;
use crate::xml::write::lists_document;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use almagest_common::vosi::{Capability, Interface, availability_document, capabilities_document};

/// Security methods offered besides anonymous access.
pub const BASIC_AA: &str = "ivo://ivoa.net/sso#BasicAA";
/// HTTP Bearer tokens.
pub const TOKEN: &str = "ivo://ivoa.net/sso#token";

/// Standard ids of the VOSpace resources.
pub mod ids {
    /// Nodes.
    pub const NODES: &str = "ivo://ivoa.net/std/VOSpace/v2.0#nodes";
    /// Asynchronous transfers.
    pub const TRANSFERS: &str = "ivo://ivoa.net/std/VOSpace/v2.0#transfers";
    /// Synchronous transfers, 2.1.
    pub const SYNC_21: &str = "ivo://ivoa.net/std/VOSpace#sync-2.1";
    /// Synchronous transfers, 2.0.
    pub const SYNC_20: &str = "ivo://ivoa.net/std/VOSpace/v2.0#sync";
    /// Properties.
    pub const PROPERTIES: &str = "ivo://ivoa.net/std/VOSpace/v2.0#properties";
    /// Views.
    pub const VIEWS: &str = "ivo://ivoa.net/std/VOSpace/v2.0#views";
    /// Protocols.
    pub const PROTOCOLS: &str = "ivo://ivoa.net/std/VOSpace/v2.0#protocols";
    /// CADC files endpoint (bytes by path), needed by `vcp` and `vcat` downloads.
    pub const FILES: &str = "ivo://ivoa.net/std/VOSpace#files-proto";
    /// CADC recursive delete (a job), needed by `vrm -R`.
    pub const RECURSIVE_DELETE: &str = "ivo://ivoa.net/std/VOSpace#recursive-delete-proto";
}

fn with_auth(standard_id: &str, url: String, url_use: &str) -> Capability {
    let anon = Interface::param_http(url.clone(), url_use);
    let mut interfaces = vec![anon.clone()];
    for sm in [BASIC_AA, TOKEN] {
        let mut i = anon.clone();
        i.security_method = Some(sm.to_string());
        interfaces.push(i);
    }
    Capability {
        standard_id: standard_id.into(),
        xsi_type: None,
        interfaces,
        extension: None,
    }
}

/// The capabilities of a service at `base` (public URL of the service root).
pub fn capabilities_doc(base: &str) -> String {
    let caps = vec![
        Capability::vosi(
            "ivo://ivoa.net/std/VOSI#capabilities",
            format!("{base}/capabilities"),
        ),
        Capability::vosi(
            "ivo://ivoa.net/std/VOSI#availability",
            format!("{base}/availability"),
        ),
        with_auth(ids::NODES, format!("{base}/nodes"), "base"),
        with_auth(ids::TRANSFERS, format!("{base}/transfers"), "full"),
        with_auth(ids::SYNC_21, format!("{base}/synctrans"), "full"),
        with_auth(ids::SYNC_20, format!("{base}/synctrans"), "full"),
        with_auth(ids::FILES, format!("{base}/files"), "base"),
        with_auth(
            ids::RECURSIVE_DELETE,
            format!("{base}/recursive-delete"),
            "full",
        ),
        with_auth(ids::PROPERTIES, format!("{base}/properties"), "full"),
        with_auth(ids::VIEWS, format!("{base}/views"), "full"),
        with_auth(ids::PROTOCOLS, format!("{base}/protocols"), "full"),
    ];
    capabilities_document(&caps)
}

/// GET `/capabilities` (VOSI 1.1 §3.1).
pub async fn capabilities(svc: web::Data<Vospace>) -> HttpResponse {
    xml(StatusCode::OK, capabilities_doc(&svc.cfg.base_url))
}

/// GET `/availability` (VOSI 1.1 §3.2): a real round trip to the node database and the byte store.
pub async fn availability(svc: web::Data<Vospace>) -> HttpResponse {
    let mut notes = vec![];
    let db = svc.store.child_count(&crate::path::NodePath::root()).await;
    if let Err(e) = &db {
        notes.push(format!("node database unavailable: {e}"));
    }
    let bytes = svc.bytes.operator().check().await;
    if let Err(e) = &bytes {
        notes.push(format!("byte store unavailable: {e}"));
    }
    let ok = db.is_ok() && bytes.is_ok();
    if ok {
        notes.push("VOSpace 2.1 service accepting requests".into());
    }
    xml(
        StatusCode::OK,
        availability_document(ok, Some(&format!("{}Z", svc.up_since)), &notes),
    )
}

/// GET `/protocols` (§6.1.1): the service reads http(s) URLs (pullToVoSpace) and serves both directions.
pub async fn protocols() -> HttpResponse {
    let accepts = vec![proto::HTTPGET.to_string(), proto::HTTPSGET.to_string()];
    let provides = vec![
        proto::HTTPGET.to_string(),
        proto::HTTPPUT.to_string(),
        proto::HTTPSGET.to_string(),
        proto::HTTPSPUT.to_string(),
    ];
    xml(
        StatusCode::OK,
        lists_document(
            "protocols",
            "protocol",
            &[("accepts", &accepts), ("provides", &provides)],
        ),
    )
}

/// GET `/views` (§6.1.2).
pub async fn views() -> HttpResponse {
    let accepts = vec![view::ANY.to_string(), view::BINARY.to_string()];
    let provides = vec![view::BINARY.to_string(), view::DEFAULT.to_string()];
    xml(
        StatusCode::OK,
        lists_document(
            "views",
            "view",
            &[("accepts", &accepts), ("provides", &provides)],
        ),
    )
}

/// GET `/properties` (§6.1.3): accepts (understood and settable), provides (computed), contains (in use).
pub async fn properties(svc: web::Data<Vospace>) -> Result<HttpResponse, Fault> {
    let accepts: Vec<String> = props::ACCEPTED.iter().map(|s| s.to_string()).collect();
    let provides: Vec<String> = props::READ_ONLY
        .iter()
        .chain(
            [
                props::PUBLICREAD,
                props::ISPUBLIC,
                props::GROUPREAD,
                props::GROUPWRITE,
            ]
            .iter(),
        )
        .map(|s| s.to_string())
        .collect();
    let mut contains = provides.clone();
    for u in svc.store.property_uris().await? {
        if !contains.contains(&u) {
            contains.push(u);
        }
    }
    Ok(xml(
        StatusCode::OK,
        lists_document(
            "properties",
            "property",
            &[
                ("accepts", &accepts),
                ("provides", &provides),
                ("contains", &contains),
            ],
        ),
    ))
}
