//! Transfers over HTTP: `/synctrans` (POST of a transfer document → 303 to its `transferDetails`; GET or POST
//! with TARGET/DIRECTION/PROTOCOL parameters → the transfer document itself, or with REQUEST=redirect a 303 to
//! the data), `/transfers` (the UWS job list of asynchronous transfers; creation also takes a transfer
//! document) and `/recursive-delete` (the CADC job that `vrm -R` starts). Every transfer is a UWS job of the
//! `uws` engine.

use super::read_document;
use crate::error::Fault;
use crate::service::Vospace;
use crate::transfer::{OPERATION, TransferRequest};
use crate::xml::read::{ProtocolDoc, read_transfer};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use std::sync::Arc;
use std::time::Duration;
use uws::{Param, Phase, UwsService};

/// How long a synchronous transfer waits for its negotiation job.
const SYNC_WAIT: Duration = Duration::from_secs(120);

type Jobs = web::Data<Arc<UwsService>>;

/// Registers `/synctrans`, `/recursive-delete` and the transfer job list (the UWS routes come from `uws`; job
/// creation with a transfer document is handled here first).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/synctrans")
            .route(web::get().to(synctrans))
            .route(web::post().to(synctrans)),
    )
    .service(web::resource("/recursive-delete").route(web::post().to(recursive_delete)))
    .service(
        web::scope("/transfers")
            .service(web::resource("").guard(guard::Post()).to(create))
            .configure(uws::routes::configure),
    );
}

fn principal(req: &HttpRequest) -> Option<accounts::Principal> {
    accounts::http::principal(req)
}

fn see_other(url: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .content_type("text/plain; charset=utf-8")
        .body(format!("{url}\n"))
}

fn uws_fault(e: uws::UwsError) -> Fault {
    match e {
        uws::UwsError::NotFound(m) => Fault::NodeNotFound(m),
        uws::UwsError::Forbidden(m) => Fault::PermissionDenied(m),
        uws::UwsError::BadRequest(m) => Fault::InvalidArgument(m),
        other => Fault::Internal(other.to_string()),
    }
}

/// The parameter form of a transfer, if the request uses it (TARGET in the query string or a form body).
fn param_form(pairs: &[(String, String)]) -> Option<(TransferRequest, bool)> {
    let get = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let target = get("TARGET")?;
    let protocols = pairs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("PROTOCOL"))
        .map(|(_, v)| ProtocolDoc {
            uri: v.clone(),
            endpoint: None,
            security_methods: get("SECURITYMETHOD").into_iter().collect(),
        })
        .collect();
    let redirect = get("REQUEST").is_some_and(|v| v.eq_ignore_ascii_case("redirect"));
    Some((
        TransferRequest {
            target,
            direction: get("DIRECTION").unwrap_or_default(),
            view: get("VIEW"),
            protocols,
            keep_bytes: None,
        },
        redirect,
    ))
}

fn pairs_of(text: &str) -> Vec<(String, String)> {
    url_pairs(text)
}

fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                almagest_common::params::decode_form(k),
                almagest_common::params::decode_form(v),
            )
        })
        .collect()
}

/// Runs a transfer job to its end and returns it (the synchronous endpoint).
async fn run_sync(
    jobs: &UwsService,
    req: &HttpRequest,
    t: &TransferRequest,
) -> Result<(String, uws::Job), Fault> {
    if !matches!(t.direction.as_str(), "pushToVoSpace" | "pullFromVoSpace") {
        return Err(Fault::OperationNotSupported(format!(
            "the synchronous endpoint negotiates pushToVoSpace and pullFromVoSpace; post '{}' transfers to /transfers",
            t.direction
        )));
    }
    let p = principal(req);
    let id = jobs
        .create_job(p.as_ref(), t.to_params())
        .await
        .map_err(uws_fault)?;
    jobs.run(&id).await.map_err(uws_fault)?;
    let job = jobs.wait_for_end(&id, SYNC_WAIT).await.map_err(uws_fault)?;
    match job.phase {
        Phase::Completed => Ok((id, job)),
        Phase::Error => Err(
            match job.error.as_ref().map(|e| Fault::from_message(&e.message)) {
                // an anonymous caller is told to authenticate (401), as on the other endpoints
                Some(Fault::PermissionDenied(d)) if p.is_none() => Fault::NotAuthenticated(d),
                Some(f) => f,
                None => Fault::Internal(format!("transfer job {id} failed")),
            },
        ),
        other => Err(Fault::Internal(format!(
            "transfer job {id} did not finish in time (phase {other:?})"
        ))),
    }
}

/// `/synctrans` (§6.4, both forms).
pub async fn synctrans(
    req: HttpRequest,
    jobs: Jobs,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let mut pairs = url_pairs(req.query_string());
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body_text = if req.method() == actix_web::http::Method::POST {
        read_document(body, svc.cfg.max_document_bytes).await?
    } else {
        String::new()
    };
    if is_form || (!body_text.trim_start().starts_with('<') && param_form(&pairs).is_none()) {
        pairs.extend(pairs_of(body_text.trim()));
    }
    if let Some((t, redirect)) = param_form(&pairs) {
        if t.protocols.len() != 1 {
            return Err(Fault::InvalidArgument(
                "the parameter form of a transfer takes exactly one PROTOCOL".into(),
            ));
        }
        let (id, _) = run_sync(&jobs, &req, &t).await?;
        let (_, key) = jobs
            .result(
                &id,
                principal(&req).map(|p| p.name).as_deref(),
                "transferDetails",
            )
            .await
            .map_err(uws_fault)?;
        let key = key.ok_or_else(|| Fault::Internal("transferDetails is not stored".into()))?;
        let doc = jobs.bytes().operator().read(&key).await?.to_vec();
        let doc = String::from_utf8_lossy(&doc).into_owned();
        if redirect {
            if t.direction != "pullFromVoSpace" {
                return Err(Fault::InvalidArgument(
                    "REQUEST=redirect applies to pullFromVoSpace only".into(),
                ));
            }
            let endpoint = doc
                .split("<vos:endpoint>")
                .nth(1)
                .and_then(|s| s.split("</vos:endpoint>").next())
                .map(|s| s.replace("&amp;", "&"))
                .ok_or_else(|| Fault::Internal("no endpoint negotiated".into()))?;
            return Ok(see_other(&endpoint));
        }
        return Ok(super::xml(StatusCode::OK, doc));
    }
    if body_text.trim().is_empty() {
        return Err(Fault::InvalidArgument(
            "post a <vos:transfer> document, or give TARGET, DIRECTION and PROTOCOL parameters"
                .into(),
        ));
    }
    let t: TransferRequest = read_transfer(&body_text)?.into();
    let (id, _) = run_sync(&jobs, &req, &t).await?;
    Ok(see_other(&format!(
        "{}/{id}/results/transferDetails",
        jobs.config().base_url
    )))
}

/// POST `/transfers` with a transfer document (or UWS-style TARGET/DIRECTION/... parameters): a PENDING job,
/// or QUEUED with `PHASE=RUN` in the query string.
pub async fn create(
    req: HttpRequest,
    jobs: Jobs,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let mut pairs = url_pairs(req.query_string());
    let text = read_document(body, svc.cfg.max_document_bytes).await?;
    let t: TransferRequest = if text.trim_start().starts_with('<') {
        read_transfer(&text)?.into()
    } else {
        pairs.extend(pairs_of(text.trim()));
        let params: Vec<Param> = pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("PHASE"))
            .map(|(k, v)| Param::new(k.to_ascii_uppercase(), v))
            .collect();
        TransferRequest::from_params(&params)?
    };
    let run = pairs
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("PHASE") && v.eq_ignore_ascii_case("RUN"));
    let p = principal(&req);
    let id = jobs
        .create(
            p.as_ref().map(|p| p.name.as_str()),
            t.to_params(),
            vec![],
            run,
        )
        .await
        .map_err(uws_fault)?;
    Ok(see_other(&jobs.job_url(&id)))
}

/// POST `/recursive-delete` (`target=vos://...`): the CADC recursive delete, as a transfer job that deletes
/// the node and everything under it and reports `successcount`.
pub async fn recursive_delete(
    req: HttpRequest,
    jobs: Jobs,
    svc: web::Data<Vospace>,
    body: web::Payload,
) -> Result<HttpResponse, Fault> {
    let mut pairs = url_pairs(req.query_string());
    let text = read_document(body, svc.cfg.max_document_bytes).await?;
    pairs.extend(pairs_of(text.trim()));
    let target = pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("target"))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Fault::InvalidArgument("recursive-delete needs target=vos://...".into()))?;
    svc.ids.path_of(&target)?;
    let run = pairs
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("PHASE") && v.eq_ignore_ascii_case("RUN"));
    let p = principal(&req);
    let id = jobs
        .create(
            p.as_ref().map(|p| p.name.as_str()),
            vec![
                Param::new(OPERATION, "recursive-delete"),
                Param::new("TARGET", target),
            ],
            vec![],
            run,
        )
        .await
        .map_err(uws_fault)?;
    Ok(see_other(&jobs.job_url(&id)))
}
