//! The REST binding (VOSpace 2.1 §4, §6), cut like garage's API crates (STYLE.md §6): this router, a file per
//! group of operations (`nodes`, `files`, `meta`, `transfers`), faults rendered by [`crate::error::Fault`].
//!
//! Mount under a scope with the service as `web::Data<Vospace>`:
//! `web::scope("/vospace").app_data(web::Data::from(vospace)).configure(vospace::http::configure)`;
//! authentication (`accounts::http::authenticate`) wraps the app.

pub mod files;
pub mod meta;
pub mod nodes;
pub mod transfers;

use crate::error::Fault;
use crate::path::NodePath;
use crate::perm::Caller;
use crate::service::Vospace;
use actix_web::{HttpRequest, web};

/// Registers every route of the service, also under `/auth`: the CADC client, when it authenticates, rewrites
/// every redirect it follows from `/vospace/...` to `/vospace/auth/...` (cadcutils `netutils.transfer`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/auth").configure(routes));
    routes(cfg);
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/capabilities", web::get().to(meta::capabilities))
        .route("/availability", web::get().to(meta::availability))
        .route("/protocols", web::get().to(meta::protocols))
        .route("/views", web::get().to(meta::views))
        .route("/properties", web::get().to(meta::properties))
        .service(
            web::resource(["/nodes", "/nodes/{tail:.*}"])
                .route(web::get().to(nodes::get))
                .route(web::head().to(nodes::get))
                .route(web::put().to(nodes::put))
                .route(web::post().to(nodes::post))
                .route(web::delete().to(nodes::delete)),
        )
        .service(
            web::resource("/files/{tail:.*}")
                .route(web::get().to(files::get_by_path))
                .route(web::head().to(files::get_by_path))
                .route(web::put().to(files::put_by_path)),
        )
        .service(
            web::resource("/bytes/{ticket}")
                .route(web::get().to(files::get_by_ticket))
                .route(web::head().to(files::get_by_ticket))
                .route(web::put().to(files::put_by_ticket)),
        )
        .configure(transfers::configure);
}

/// The raw (still percent-encoded) path after the literal prefix of the matched pattern (`.../nodes`,
/// `.../files`), parsed once into a [`NodePath`]. The raw form is used so that percent-decoding happens exactly
/// once, in [`NodePath::parse`].
pub(crate) fn node_path(req: &HttpRequest) -> Result<NodePath, Fault> {
    let pattern = req.match_pattern().unwrap_or_default();
    let literal = pattern.split('{').next().unwrap_or("");
    let literal = literal.trim_end_matches('/');
    let raw = req.uri().path();
    let rest = raw.get(literal.len()..).unwrap_or("");
    NodePath::parse(rest)
}

/// The caller of the request.
pub(crate) async fn caller(req: &HttpRequest, svc: &Vospace) -> Result<Caller, Fault> {
    let p = accounts::http::principal(req);
    svc.caller(p.as_ref()).await
}

/// Reads a small XML body (node and transfer documents), refusing ones over the configured size.
pub(crate) async fn read_document(
    mut payload: web::Payload,
    limit: usize,
) -> Result<String, Fault> {
    use futures_util::StreamExt as _;
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| Fault::InvalidArgument(format!("reading the request body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(Fault::InvalidArgument(format!(
                "the document is larger than {limit} bytes"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf.to_vec())
        .map_err(|_| Fault::InvalidArgument("the document is not UTF-8".into()))
}

/// `text/xml` response.
pub(crate) fn xml(status: actix_web::http::StatusCode, body: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .content_type("text/xml; charset=utf-8")
        .body(body)
}
