//! The TAP service: its state and its routes (TAP 1.1 §2), mounted by `almagest-tap` and `almagest serve`.

use crate::capabilities::{OutputFormatDecl, TapCapabilities};
use crate::error::TapError;
use crate::examples::{examples_document, home_page};
use crate::query::QueryLimits;
use crate::request::TapRequest;
use crate::snapshot::{Snapshot, SnapshotCell};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use almagest_common::config::Config;
use almagest_common::params::BodyLimits;
use almagest_common::vosi::{self, Detail};
use almagest_db::Database;
use almagest_db::exec::Pool;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything the TAP handlers share.
pub struct TapState {
    /// The deployment's configuration.
    pub config: Arc<Config>,
    /// The catalogue database (read-only query connections inside).
    pub db: Database,
    /// Read-write access for TAP_SCHEMA maintenance and uploads.
    pub rw: Pool,
    /// The catalogue in use.
    pub snapshot: SnapshotCell,
    /// Where request parts (uploads) are spooled.
    pub spool_dir: PathBuf,
    /// Start time, for VOSI availability.
    pub up_since: String,
    /// Reads uploads given by reference (`UPLOAD=t,vos://...`); `None` accepts inline uploads only.
    pub remote_tables: Option<Arc<dyn crate::upload::RemoteTables>>,
}

impl std::fmt::Debug for TapState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapState")
            .field("base_url", &self.base_url())
            .finish()
    }
}

impl TapState {
    /// The public URL of the TAP service.
    pub fn base_url(&self) -> String {
        format!("{}/tap", self.config.base_url)
    }

    /// How uploads by reference are read for `caller`: `http://` URLs here, other URIs (`vos://`) through the
    /// composed server's source when there is one.
    pub fn remote<'a>(&'a self, caller: Option<&'a str>) -> crate::upload::Remote<'a> {
        crate::upload::Remote {
            source: self.remote_tables.as_deref(),
            caller,
            scratch: &self.spool_dir,
            max_bytes: self.config.limits.upload_max_bytes,
        }
    }

    /// The current catalogue (reloaded when it changed).
    pub async fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.get(&self.rw).await
    }

    /// The SQL dialect of the catalogue database.
    pub fn dialect(&self) -> adql::Dialect {
        if self.rw.is_postgres() {
            adql::Dialect::Postgres
        } else {
            adql::Dialect::Sqlite
        }
    }

    /// MAXREC limits.
    pub fn query_limits(&self) -> QueryLimits {
        QueryLimits {
            maxrec_default: self.config.limits.maxrec_default,
            maxrec_hard: self.config.limits.maxrec_hard,
        }
    }

    /// Request body limits.
    pub fn body_limits(&self) -> BodyLimits {
        BodyLimits {
            max_form_bytes: self.config.limits.max_form_bytes,
            max_file_bytes: self.config.limits.upload_max_bytes,
        }
    }

    /// Time limit of a synchronous query.
    pub fn sync_timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(self.config.limits.sync_timeout_secs)).filter(|d| !d.is_zero())
    }

    /// The document-level metadata of a result (DALI 1.1 §4.4 INFOs).
    pub fn result_meta(&self, req: &TapRequest) -> formats::ResultMeta {
        let mut infos = vec![
            (
                "standardID".to_string(),
                "ivo://ivoa.net/std/TAP".to_string(),
            ),
            ("QUERY".to_string(), req.query.clone()),
            ("request_date".to_string(), now_iso()),
            (
                "publisher".to_string(),
                self.config.service.publisher.clone(),
            ),
        ];
        if let Some(r) = &req.runid {
            infos.push(("RUNID".to_string(), r.clone()));
        }
        formats::ResultMeta {
            infos,
            ..Default::default()
        }
    }

    /// The TAPRegExt description of this service.
    pub fn capabilities(&self) -> TapCapabilities {
        let l = &self.config.limits;
        TapCapabilities {
            base_url: self.base_url(),
            udf_forms: adql::standard_udfs().iter().map(|u| u.form()).collect(),
            output_formats: formats::OutputFormat::all()
                .iter()
                .map(|f| OutputFormatDecl {
                    mime: f.content_type().to_string(),
                    aliases: f.aliases().iter().map(|a| a.to_string()).collect(),
                    ivo_id: f.ivo_id().map(str::to_string),
                })
                .collect(),
            // Only what works: inline uploads. By-reference http(s) uploads are refused (no fetching of arbitrary
            // URLs from inside the data centre); vos:// nodes of this server have no TAPRegExt key.
            upload_methods: vec![
                "ivo://ivoa.net/std/TAPRegExt#upload-inline".into(),
                "ivo://ivoa.net/std/TAPRegExt#upload-http".into(),
                "ivo://ivoa.net/std/TAPRegExt#upload-https".into(),
            ],
            retention_secs: self.config.uws.retention_hours * 3600,
            execution_secs: (l.async_execution_default_secs, l.async_execution_max_secs),
            output_limit: (l.maxrec_default, l.maxrec_hard),
            upload_limit_bytes: l.upload_max_bytes,
            authenticated_interface: false,
        }
    }
}

/// Now as ISO 8601 UTC with a `Z`.
pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

async fn capabilities(state: web::Data<TapState>) -> HttpResponse {
    xml(state.capabilities().document())
}

async fn availability(state: web::Data<TapState>) -> HttpResponse {
    let (ok, note) = match state.db.ping().await {
        Ok(()) => (true, "the service is accepting queries".to_string()),
        Err(e) => (false, format!("the database does not answer: {e}")),
    };
    xml(vosi::availability_document(
        ok,
        Some(&state.up_since),
        &[note],
    ))
}

async fn tables(req: HttpRequest, state: web::Data<TapState>) -> HttpResponse {
    let detail = if req
        .query_string()
        .split('&')
        .any(|p| p.eq_ignore_ascii_case("detail=min"))
    {
        Detail::Min
    } else {
        Detail::Max
    };
    let snap = state.snapshot().await;
    xml(vosi::tableset_document(&snap.catalogue, detail))
}

async fn table(
    path: web::Path<String>,
    state: web::Data<TapState>,
) -> Result<HttpResponse, TapError> {
    let snap = state.snapshot().await;
    let name = path.into_inner();
    match snap.catalogue.table(&name) {
        Some(t) => Ok(xml(vosi::table_document(&snap.catalogue, t))),
        None => Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "no table '{name}' in this service; see /tables for the list\n"
            ))),
    }
}

async fn examples(state: web::Data<TapState>) -> HttpResponse {
    let snap = state.snapshot().await;
    HttpResponse::Ok()
        .content_type("application/xhtml+xml; charset=utf-8")
        .body(examples_document(
            &snap.catalogue,
            &state.config.service.title,
        ))
}

async fn home(state: web::Data<TapState>) -> HttpResponse {
    let snap = state.snapshot().await;
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(home_page(
            &snap.catalogue,
            &state.config.service.title,
            &state.base_url(),
        ))
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET"))
        .content_type("text/plain")
        .body("VOSI resources are read with GET\n")
}

/// The TAP routes, relative to the service's mount point (e.g. `/tap`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/sync", web::get().to(crate::sync::sync))
        .route("/sync", web::post().to(crate::sync::sync))
        .service(
            web::resource("/capabilities")
                .route(web::get().to(capabilities))
                .route(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/availability")
                .route(web::get().to(availability))
                .route(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/tables")
                .route(web::get().to(tables))
                .route(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/tables/{name}")
                .route(web::get().to(table))
                .route(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/examples")
                .route(web::get().to(examples))
                .route(web::to(method_not_allowed)),
        );
}
