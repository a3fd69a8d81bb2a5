//! `/nodes/{path}`: getNode (GET), createNode (PUT), setNode (POST), deleteNode (DELETE) — VOSpace 2.1 §6.2–6.3.

use super::{caller, node_path, read_document, xml};
use crate::error::Fault;
use crate::service::Vospace;
use crate::view::node_out;
use crate::xml::read::read_node;
use crate::xml::write::{Detail, node_document};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;

fn query(req: &HttpRequest) -> Result<HashMap<String, String>, Fault> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|e| Fault::InvalidArgument(format!("malformed query string: {e}")))
}

/// getNode (§6.3.1): `detail=min|max|properties`, `uri=` (first child, inclusive) and `limit=` paging.
pub async fn get(req: HttpRequest, svc: web::Data<Vospace>) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let q = query(&req)?;
    let detail = Detail::parse(q.get("detail").map(String::as_str))?;
    let limit = match q.get("limit").map(|s| s.trim()) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            Fault::InvalidArgument(format!("limit must be a non-negative integer, not '{s}'"))
        })?),
    };
    let caller = caller(&req, &svc).await?;
    let (node, children) = svc
        .get_node(&caller, &path, q.get("uri").map(String::as_str), limit)
        .await?;
    let kids: Vec<_> = children.iter().map(|c| node_out(&svc.ids, c)).collect();
    let doc = node_document(&node_out(&svc.ids, &node), Some(&kids), detail);
    Ok(xml(StatusCode::OK, doc))
}

/// createNode (§6.2.1): 201 with the node. The body needs no Content-Type (`vln` sends none).
pub async fn put(
    req: HttpRequest,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let caller = caller(&req, &svc).await?;
    let doc = read_document(body, svc.cfg.max_document_bytes).await?;
    let doc = read_node(&doc)?;
    let node = svc.create_node(&caller, &path, &doc).await?;
    Ok(xml(
        StatusCode::CREATED,
        node_document(&node_out(&svc.ids, &node), Some(&[]), Detail::Max),
    ))
}

/// setNode (§6.3.2): 200 with the whole updated node.
pub async fn post(
    req: HttpRequest,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let caller = caller(&req, &svc).await?;
    let doc = read_document(body, svc.cfg.max_document_bytes).await?;
    let doc = read_node(&doc)?;
    let node = svc.set_node(&caller, &path, &doc).await?;
    Ok(xml(
        StatusCode::OK,
        node_document(&node_out(&svc.ids, &node), Some(&[]), Detail::Max),
    ))
}

/// deleteNode (§6.2.4): 204.
pub async fn delete(req: HttpRequest, svc: web::Data<Vospace>) -> Result<HttpResponse, Fault> {
    let path = node_path(&req)?;
    let caller = caller(&req, &svc).await?;
    svc.delete_node(&caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
