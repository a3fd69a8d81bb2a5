//! The UWS 1.1 REST binding (UWS.html §2.2). Mount it with [`UwsService::configure`], or with the service as
//! scope data: `web::scope("/async").app_data(web::Data::new(service)).configure(uws::routes::configure)`.
//!
//! Containers answer XML, atomic values `text/plain` (§2.2.2); changes answer 303 to the job (or to the list
//! after a deletion); unknown jobs and children 404, changes not allowed now or jobs of other users 403.

use crate::error::UwsError;
use crate::model::{Param, Phase, parse_time};
use crate::service::{UwsService, parse_destruction, parse_duration};
use crate::store::ListFilter;
use crate::xml;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, web};
use almagest_common::params::{BodyLimits, Params, read_params};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

type Svc = web::Data<Arc<UwsService>>;

/// Registers the routes of a job list.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(list))
        .route("", web::post().to(create))
        .route("/{id}", web::get().to(get_job))
        .route("/{id}", web::post().to(post_job))
        .route("/{id}", web::delete().to(delete_job))
        .route("/{id}/phase", web::get().to(get_phase))
        .route("/{id}/phase", web::post().to(post_phase))
        .route("/{id}/executionduration", web::get().to(get_duration))
        .route("/{id}/executionduration", web::post().to(post_duration))
        .route("/{id}/destruction", web::get().to(get_destruction))
        .route("/{id}/destruction", web::post().to(post_destruction))
        .route("/{id}/quote", web::get().to(get_quote))
        .route("/{id}/owner", web::get().to(get_owner))
        .route("/{id}/error", web::get().to(get_error))
        .route("/{id}/results", web::get().to(get_results))
        .route("/{id}/results/{result}", web::get().to(get_result))
        .route("/{id}/results/{result}", web::head().to(get_result))
        .route("/{id}/parameters", web::get().to(get_parameters))
        .route("/{id}/parameters", web::post().to(post_parameters))
        .route("/{id}/parameters/{name}", web::get().to(get_parameter));
}

fn caller(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<accounts::Principal>()
        .map(|p| p.name.clone())
}

fn xml_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn see_other(url: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .finish()
}

const LIMITS: BodyLimits = BodyLimits {
    max_form_bytes: 1 << 20,
    max_file_bytes: 512 << 20,
};

async fn params_of(
    req: &HttpRequest,
    payload: web::Payload,
    svc: &UwsService,
) -> Result<Params, UwsError> {
    let spool = svc.spool_dir();
    tokio::fs::create_dir_all(&spool).await?;
    Ok(read_params(req, payload.into_inner(), LIMITS, &spool).await?)
}

/// UWS control parameters: they act on the job and are not job parameters.
const CONTROL: [&str; 3] = ["PHASE", "ACTION", "WAIT"];

/// Job parameters of a request: every parameter but the control ones, in order, each marked with whether it
/// came in the body (`isPost`); file parts become inline parameters.
fn job_params(req: &HttpRequest, p: &Params) -> (Vec<Param>, Vec<(String, PathBuf)>) {
    // read_params puts the query string's parameters first.
    let mut from_url = Params::default();
    from_url.add_urlencoded(req.query_string());
    let in_url = from_url.params.len();
    let params = p
        .params
        .iter()
        .enumerate()
        .filter(|(_, x)| !CONTROL.iter().any(|c| x.name.eq_ignore_ascii_case(c)))
        .filter(|(_, x)| !x.name.is_empty())
        .map(|(i, x)| Param {
            name: x.name.clone(),
            value: x.value.clone(),
            by_reference: false,
            is_post: i >= in_url,
        })
        .collect();
    let inline = p
        .files
        .iter()
        .map(|f| (f.name.clone(), f.path.clone()))
        .collect();
    (params, inline)
}

async fn list(req: HttpRequest, svc: Svc) -> Result<HttpResponse, UwsError> {
    let mut p = Params::default();
    p.add_urlencoded(req.query_string());
    let mut f = ListFilter::default();
    for v in p.all("PHASE") {
        f.phases.push(
            Phase::parse(v)
                .ok_or_else(|| UwsError::BadRequest(format!("PHASE={v} is not a UWS phase")))?,
        );
    }
    if let Some(a) = p.single("AFTER")? {
        f.after =
            Some(parse_time(a).ok_or_else(|| {
                UwsError::BadRequest(format!("AFTER={a} is not an ISO 8601 time"))
            })?);
    }
    if let Some(l) = p.single("LAST")? {
        let n: u64 = l
            .parse()
            .map_err(|_| UwsError::BadRequest(format!("LAST={l} is not a positive integer")))?;
        if n == 0 {
            return Err(UwsError::BadRequest("LAST must be positive".into()));
        }
        f.last = Some(n);
    }
    let jobs = svc.list(caller(&req).as_deref(), &f).await?;
    Ok(xml_response(xml::jobs_document(&jobs, &svc.cfg.base_url)))
}

async fn create(
    req: HttpRequest,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let p = params_of(&req, payload, &svc).await?;
    let run = match p.single("PHASE")? {
        None => false,
        Some(v) if v.trim().eq_ignore_ascii_case("RUN") => true,
        Some(v) => {
            return Err(UwsError::BadRequest(format!(
                "PHASE={v} cannot be given when creating a job: only PHASE=RUN (start it at once)"
            )));
        }
    };
    let (params, inline) = job_params(&req, &p);
    let id = svc
        .create(caller(&req).as_deref(), params, inline, run)
        .await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_job(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    let mut p = Params::default();
    p.add_urlencoded(req.query_string());
    let who = caller(&req);
    let job = match p.single("WAIT")? {
        Some(w) => {
            let secs: i64 = w
                .trim()
                .parse()
                .map_err(|_| UwsError::BadRequest(format!("WAIT={w} is not an integer")))?;
            // WAIT=-1 (any negative value) waits as long as the service allows.
            let timeout = if secs < 0 {
                Duration::MAX
            } else {
                Duration::from_secs(secs as u64)
            };
            let only_if = match p.single("PHASE")? {
                Some(v) => Some(Phase::parse(v).ok_or_else(|| {
                    UwsError::BadRequest(format!("PHASE={v} is not a UWS phase"))
                })?),
                None => None,
            };
            svc.wait(&id, who.as_deref(), timeout, only_if).await?
        }
        None => svc.get(&id, who.as_deref()).await?,
    };
    Ok(xml_response(xml::job_document(&job, &svc.job_url(&id))))
}

async fn post_job(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    let p = params_of(&req, payload, &svc).await?;
    if let Some(a) = p.single("ACTION")? {
        if a.eq_ignore_ascii_case("DELETE") {
            svc.delete(&id).await?;
            return Ok(see_other(&svc.cfg.base_url));
        }
        return Err(UwsError::BadRequest(format!(
            "ACTION={a} is not supported: use ACTION=DELETE"
        )));
    }
    if let Some(ph) = p.single("PHASE")? {
        change_phase(&svc, &id, ph).await?;
        return Ok(see_other(&svc.job_url(&id)));
    }
    Err(UwsError::Forbidden(format!(
        "job parameters cannot be posted to the job itself: post them to {}/parameters (DALI 1.1 §2.1); \
         the job accepts PHASE=RUN, PHASE=ABORT and ACTION=DELETE",
        svc.job_url(&id)
    )))
}

async fn delete_job(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    svc.delete(&id).await?;
    Ok(see_other(&svc.cfg.base_url))
}

async fn change_phase(svc: &UwsService, id: &str, phase: &str) -> Result<(), UwsError> {
    match phase.trim().to_ascii_uppercase().as_str() {
        "RUN" => svc.run(id).await,
        "ABORT" => svc.abort(id).await,
        other => Err(UwsError::BadRequest(format!(
            "PHASE={other}: use PHASE=RUN or PHASE=ABORT"
        ))),
    }
}

async fn get_phase(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(text(job.phase.to_string()))
}

async fn post_phase(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    let p = params_of(&req, payload, &svc).await?;
    let ph = p.single("PHASE")?.ok_or_else(|| {
        UwsError::BadRequest("missing PHASE: post PHASE=RUN or PHASE=ABORT".into())
    })?;
    change_phase(&svc, &id, ph).await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_duration(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    // as in the job document (xs:int)
    Ok(text(
        job.execution_duration.min(i32::MAX as u64).to_string(),
    ))
}

async fn post_duration(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    let p = params_of(&req, payload, &svc).await?;
    let v = p.single("EXECUTIONDURATION")?.ok_or_else(|| {
        UwsError::BadRequest("missing EXECUTIONDURATION (seconds, 0 for no limit)".into())
    })?;
    svc.set_execution_duration(&id, parse_duration(v)?).await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_destruction(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(text(
        job.destruction
            .as_ref()
            .map(crate::model::iso)
            .unwrap_or_default(),
    ))
}

async fn post_destruction(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    let p = params_of(&req, payload, &svc).await?;
    let v = p
        .single("DESTRUCTION")?
        .ok_or_else(|| UwsError::BadRequest("missing DESTRUCTION (an ISO 8601 time)".into()))?;
    svc.set_destruction(&id, parse_destruction(v)?).await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_quote(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(text(String::new()))
}

async fn get_owner(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(text(job.owner.unwrap_or_default()))
}

async fn get_error(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    let job = svc.get(&id, caller(&req).as_deref()).await?;
    let Some(e) = job.error else {
        return Err(UwsError::NotFound(format!(
            "job {id} has no error (phase {})",
            job.phase
        )));
    };
    if let Some((key, mime)) = svc.error_detail(&id).await?
        && let Some(len) = svc.bytes().size(&key).await?
    {
        let body = svc.bytes().stream(&key, 0..len).await?;
        return Ok(HttpResponse::Ok()
            .content_type(mime)
            .body(actix_web::body::SizedStream::new(len, body)));
    }
    Ok(text(e.message))
}

async fn get_results(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    let job = svc.get(&id, caller(&req).as_deref()).await?;
    Ok(xml_response(xml::results_document(&job, &svc.job_url(&id))))
}

async fn get_result(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let (id, name) = path.into_inner();
    let (result, key) = svc.result(&id, caller(&req).as_deref(), &name).await?;
    match (key, &result.href) {
        (Some(key), _) => {
            let mime = if result.mime.is_empty() {
                "application/octet-stream"
            } else {
                result.mime.as_str()
            };
            stored_response(&req, &svc, &key, mime).await
        }
        (None, Some(href)) => Ok(see_other(href)),
        (None, None) => Err(UwsError::NotFound(format!(
            "job {id} has no result '{name}'"
        ))),
    }
}

async fn get_parameters(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(xml_response(xml::parameters_document(&job)))
}

async fn post_parameters(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let id = path.into_inner();
    svc.get(&id, caller(&req).as_deref()).await?;
    let p = params_of(&req, payload, &svc).await?;
    let (params, inline) = job_params(&req, &p);
    if params.is_empty() && inline.is_empty() {
        return Err(UwsError::BadRequest(
            "no parameters given: post NAME=value pairs to change them".into(),
        ));
    }
    svc.update_params(&id, params, inline).await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_parameter(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let (id, name) = path.into_inner();
    let job = svc.get(&id, caller(&req).as_deref()).await?;
    match job
        .params
        .iter()
        .rev()
        .find(|p| p.name.eq_ignore_ascii_case(&name))
    {
        Some(p) if p.by_reference => {
            let key = crate::bytes::JobBytes::param_key(&id, &p.name);
            stored_response(&req, &svc, &key, "application/octet-stream").await
        }
        Some(p) => Ok(text(p.value.clone())),
        None => Err(UwsError::NotFound(format!(
            "job {id} has no parameter '{name}'"
        ))),
    }
}

/// Streams an object of the byte store with its length; a single `Range: bytes=...` is honoured (206), an
/// unsatisfiable one gets 416 (RFC 9110 §14).
async fn stored_response(
    req: &HttpRequest,
    svc: &UwsService,
    key: &str,
    mime: &str,
) -> Result<HttpResponse, UwsError> {
    let Some(len) = svc.bytes().size(key).await? else {
        return Err(UwsError::Internal(format!(
            "the stored bytes of {key} are missing"
        )));
    };
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, len));
    let (status, range) = match range {
        None | Some(RangeAnswer::Ignore) => (StatusCode::OK, 0..len),
        Some(RangeAnswer::Part(r)) => (StatusCode::PARTIAL_CONTENT, r),
        Some(RangeAnswer::Unsatisfiable) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
                .finish());
        }
    };
    let mut resp = HttpResponse::build(status);
    resp.content_type(mime.to_string())
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        resp.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{len}", range.start, range.end - 1),
        ));
    }
    let n = range.end - range.start;
    if n == 0 {
        return Ok(resp.finish());
    }
    let body = svc.bytes().stream(key, range).await?;
    Ok(resp.body(actix_web::body::SizedStream::new(n, body)))
}

/// What to do with a Range header.
#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    /// Not a single byte range we serve: send everything.
    Ignore,
    /// These bytes (end exclusive).
    Part(std::ops::Range<u64>),
    /// No byte of the range exists.
    Unsatisfiable,
}

fn parse_range(v: &str, len: u64) -> RangeAnswer {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Ignore;
    };
    if spec.contains(',') {
        return RangeAnswer::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAnswer::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => Some((start, end.saturating_add(1).min(len))),
        (Ok(start), Err(_)) if b.is_empty() => Some((start, len)),
        (Err(_), Ok(suffix)) if a.is_empty() => Some((len.saturating_sub(suffix), len)),
        _ => None,
    };
    match parsed {
        None => RangeAnswer::Ignore,
        Some((start, end)) if start >= len || (a.is_empty() && end == start) => {
            RangeAnswer::Unsatisfiable
        }
        Some((start, end)) => RangeAnswer::Part(start..end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-4", 10), Part(0..5));
        assert_eq!(parse_range("bytes=5-", 10), Part(5..10));
        assert_eq!(parse_range("bytes=-3", 10), Part(7..10));
        assert_eq!(parse_range("bytes=8-100", 10), Part(8..10));
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=4-2", 10), Ignore);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Ignore);
        assert_eq!(parse_range("items=0-1", 10), Ignore);
        assert_eq!(parse_range("bytes=x-y", 10), Ignore);
    }
}
