//! VOSpace 2.1 (IVOA): user workspaces near the data, with quotas, shared over a standard protocol.
//!
//! Node metadata lives in the database (SQLite or PostgreSQL, [`store`]), contents in an opendal byte store under
//! random keys ([`bytes`]), transfers are UWS jobs of the `uws` engine ([`transfer`]), and [`http`] is the REST
//! binding. Mount it in an actix app:
//!
//! ```no_run
//! # async fn demo(pool: almagest_db::exec::Pool, op: opendal::Operator, uws_cfg: uws::UwsConfig)
//! #     -> Result<(), vospace::Fault> {
//! let accounts = accounts::Accounts::open(pool.clone()).await.map_err(|e| vospace::Fault::Internal(e.to_string()))?;
//! let cfg = vospace::VospaceConfig::new("ivo://example.org/vospace", "http://localhost:8080/vospace");
//! let service = vospace::VospaceService::start(cfg, pool, op, Some(accounts.clone()), uws_cfg).await?;
//! let app = actix_web::App::new()
//!     .app_data(actix_web::web::Data::new(accounts))
//!     .wrap(actix_web::middleware::from_fn(accounts::http::authenticate))
//!     .service(actix_web::web::scope("/vospace").configure(|c| service.configure(c)));
//! # let _ = app; Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod bytes;
pub mod config;
pub mod error;
mod fetch;
pub mod http;
pub mod model;
pub mod path;
pub mod perm;
pub mod service;
pub mod store;
pub mod transfer;
pub mod view;
pub mod xml;

pub use config::VospaceConfig;
pub use error::Fault;
pub use service::Vospace;

use std::sync::Arc;

/// A running VOSpace: the service and its transfer job list.
#[derive(Debug, Clone)]
pub struct VospaceService {
    /// The operations.
    pub svc: Arc<Vospace>,
    /// The UWS job list of transfers (`/transfers`).
    pub transfers: Arc<uws::UwsService>,
}

impl VospaceService {
    /// Opens the node store (migrating it), sweeps leftovers of an earlier run, and starts the transfer job list
    /// (`uws_cfg.list` should be `vospace`; its `base_url` must be `<cfg.base_url>/transfers`).
    pub async fn start(
        cfg: VospaceConfig,
        pool: almagest_db::exec::Pool,
        op: opendal::Operator,
        accounts: Option<accounts::Accounts>,
        uws_cfg: uws::UwsConfig,
    ) -> Result<VospaceService, Fault> {
        let svc = Arc::new(Vospace::open(cfg, pool.clone(), op.clone(), accounts).await?);
        let store = uws::Store::open(pool)
            .await
            .map_err(|e| Fault::Internal(format!("transfer job store: {e}")))?;
        let runner = Arc::new(transfer::TransferRunner { svc: svc.clone() });
        let transfers = uws::UwsService::new(uws_cfg, store, op, runner)
            .await
            .map_err(|e| Fault::Internal(format!("starting the transfer jobs: {e}")))?;
        Ok(VospaceService { svc, transfers })
    }

    /// Starts the service the way the Almagest configuration describes it: public URL `<base_url>/vospace`,
    /// identifier `vospace.resource_id`, quota and file size from `[vospace]`, bytes in the `[store]` (a local
    /// directory, or S3 in a build with the `s3` feature), transfer work files under `<data_dir>/work`. Used by
    /// both `almagest serve` and `almagest-vospace`, so they serve the same data directory the same way.
    pub async fn start_configured(
        config: &almagest_common::config::Config,
        pool: almagest_db::exec::Pool,
        accounts: Option<accounts::Accounts>,
    ) -> Result<VospaceService, Fault> {
        let base_url = format!("{}/vospace", config.base_url.trim_end_matches('/'));
        let mut cfg = VospaceConfig::new(&config.vospace.resource_id, &base_url);
        cfg.default_quota = config.vospace.default_quota_bytes;
        cfg.max_file_bytes = config.vospace.max_file_bytes;
        let uws_cfg = VospaceService::uws_config(&base_url, config.data_dir.join("work"));
        let op = bytes::operator_for(&config.store)?;
        VospaceService::start(cfg, pool, op, accounts, uws_cfg).await
    }

    /// The UWS settings that fit a service at `base_url` (public URL of the VOSpace root), with working files in
    /// `dir`.
    pub fn uws_config(base_url: &str, dir: std::path::PathBuf) -> uws::UwsConfig {
        uws::UwsConfig {
            list: "vospace".into(),
            base_url: format!("{}/transfers", base_url.trim_end_matches('/')),
            slots: 4,
            default_execution_duration: 3600,
            max_execution_duration: 24 * 3600,
            retention: std::time::Duration::from_secs(7 * 24 * 3600),
            max_active_per_owner: 0,
            max_wait: std::time::Duration::from_secs(300),
            dir,
        }
    }

    /// Registers every route inside the caller's scope (e.g. `/vospace`).
    pub fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        cfg.app_data(actix_web::web::Data::from(self.svc.clone()))
            .app_data(actix_web::web::Data::new(self.transfers.clone()));
        http::configure(cfg);
    }
}
