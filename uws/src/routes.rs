//! The UWS 1.1 REST binding (UWS.html §2.2). Mount it with the service as scope data:
//! `web::scope("/async").app_data(web::Data::new(service)).configure(uws::routes::configure)`.

use crate::engine::UwsService;
use crate::error::UwsError;
use crate::model::{Param, Phase, parse_time};
use crate::store::ListFilter;
use crate::xml;
use actix_web::http::header;
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
    let spool = svc.cfg.dir.join(".spool");
    std::fs::create_dir_all(&spool)?;
    Ok(read_params(req, payload.into_inner(), LIMITS, &spool).await?)
}

/// Job parameters from a request: everything but the control parameters, plus file parts to keep inline.
fn job_params(p: &Params) -> (Vec<Param>, Vec<(String, PathBuf)>) {
    let control = ["PHASE", "ACTION", "WAIT"];
    let params = p
        .params
        .iter()
        .filter(|x| !control.iter().any(|c| x.name.eq_ignore_ascii_case(c)))
        .map(|x| Param {
            name: x.name.clone(),
            value: x.value.clone(),
            by_reference: false,
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
    let run = matches!(p.single("PHASE")?, Some(v) if v.eq_ignore_ascii_case("RUN"));
    let (params, inline) = job_params(&p);
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
        "post job parameters to {}/parameters (DALI 1.1 §2.1)",
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
    let ph = p
        .single("PHASE")?
        .ok_or_else(|| UwsError::BadRequest("missing PHASE=RUN or PHASE=ABORT".into()))?;
    change_phase(&svc, &id, ph).await?;
    Ok(see_other(&svc.job_url(&id)))
}

async fn get_duration(
    req: HttpRequest,
    path: web::Path<String>,
    svc: Svc,
) -> Result<HttpResponse, UwsError> {
    let job = svc.get(&path.into_inner(), caller(&req).as_deref()).await?;
    Ok(text(job.execution_duration.to_string()))
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
    let v = p
        .single("EXECUTIONDURATION")?
        .ok_or_else(|| UwsError::BadRequest("missing EXECUTIONDURATION".into()))?;
    let secs: u64 = v.trim().parse().map_err(|_| {
        UwsError::BadRequest(format!("EXECUTIONDURATION={v} is not a number of seconds"))
    })?;
    svc.set_execution_duration(&id, secs).await?;
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
        .ok_or_else(|| UwsError::BadRequest("missing DESTRUCTION".into()))?;
    let t = parse_time(v)
        .ok_or_else(|| UwsError::BadRequest(format!("DESTRUCTION={v} is not an ISO 8601 time")))?;
    svc.set_destruction(&id, t).await?;
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
    if let Some((file, mime)) = svc.error_detail(&id).await? {
        if let Ok(bytes) = std::fs::read(&file) {
            return Ok(HttpResponse::Ok().content_type(mime).body(bytes));
        }
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
    let (id, rid) = path.into_inner();
    let job = svc.get(&id, caller(&req).as_deref()).await?;
    let Some(r) = job.results.iter().find(|r| r.id == rid) else {
        // Some clients fetch the result even of a failed job and show this body: make it the reason.
        return Err(UwsError::NotFound(match &job.error {
            Some(e) => format!(
                "job {id} failed, so it has no result '{rid}': {}",
                e.message
            ),
            None => format!("job {id} has no result '{rid}' (phase {})", job.phase),
        }));
    };
    file_response(svc.result_file(&id, &rid), &r.mime).await
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
    let (params, inline) = job_params(&p);
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
            file_response(svc.param_file(&id, &name), "application/octet-stream").await
        }
        Some(p) => Ok(text(p.value.clone())),
        None => Err(UwsError::NotFound(format!(
            "job {id} has no parameter '{name}'"
        ))),
    }
}

/// Streams a file in 64 KiB chunks with its length.
async fn file_response(path: PathBuf, mime: &str) -> Result<HttpResponse, UwsError> {
    use tokio::io::AsyncReadExt as _;
    let file = tokio::fs::File::open(&path).await?;
    let len = file.metadata().await?.len();
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(mime.to_string())
        .insert_header((header::CONTENT_LENGTH, len))
        .streaming(stream))
}
