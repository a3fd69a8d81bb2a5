//! `almagest serve`: opens the databases, loads the demo catalogues into an empty catalogue, and serves every
//! service under one origin.

use almagest_common::config::Config;
use almagest_db::exec::Pool;
use almagest_tap::ingest::IngestArgs;
use almagest_tap::service::TapState;
use almagest_tap::snapshot::{Snapshot, SnapshotCell};
use anyhow::Context as _;
use std::sync::Arc;

/// Logs to stderr, filtered by `ALMAGEST_LOG` (e.g. `info`, `almagest_tap=debug`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALMAGEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The tokio runtime of the process.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open_catalogue(config: &Config) -> anyhow::Result<almagest_db::Database> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let db = almagest_db::Database::open(&config.database, &almagest_db::DbOptions::default())
        .await
        .with_context(|| format!("opening the catalogue database {}", config.database))?;
    Ok(db)
}

fn rw_pool(db: &almagest_db::Database) -> Pool {
    db.rw().clone()
}

/// The published catalogue, for `almagest adql`.
pub async fn load_catalogue(config: &Config) -> anyhow::Result<Arc<Snapshot>> {
    let db = open_catalogue(config).await?;
    let rw = rw_pool(&db);
    almagest_tap::tap_schema::install(&rw)
        .await
        .context("installing TAP_SCHEMA")?;
    let cell = SnapshotCell::load(&rw)
        .await
        .context("reading TAP_SCHEMA")?;
    Ok(cell.current())
}

/// `almagest ingest`.
pub async fn ingest(config: &Config, args: &IngestArgs) -> anyhow::Result<()> {
    let db = open_catalogue(config).await?;
    let rw = rw_pool(&db);
    almagest_tap::tap_schema::install(&rw)
        .await
        .context("installing TAP_SCHEMA")?;
    let report = almagest_tap::ingest::ingest(&rw, args, true).await?;
    eprintln!("{report}");
    Ok(())
}

/// `almagest user add NAME`: creates the user in the state database of the configuration (safe while the server
/// runs) and returns its bearer token.
pub async fn add_user(config: &Config, name: &str) -> anyhow::Result<String> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let state_db =
        almagest_db::Database::open(&config.state_database, &almagest_db::DbOptions::default())
            .await
            .with_context(|| format!("opening the state database {}", config.state_database))?;
    Ok(accounts::add_user_cli(state_db.rw(), name).await?)
}

/// `almagest serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let db = open_catalogue(&config).await?;
    let rw = rw_pool(&db);
    almagest_tap::tap_schema::install(&rw)
        .await
        .context("installing TAP_SCHEMA")?;
    if config.demo {
        almagest_tap::demo::load_if_empty(&rw, &config)
            .await
            .context("loading the demo catalogues")?;
    }
    let spool_dir = config.data_dir.join("spool");
    std::fs::create_dir_all(&spool_dir)
        .with_context(|| format!("creating {}", spool_dir.display()))?;
    let snapshot = SnapshotCell::load(&rw)
        .await
        .context("reading TAP_SCHEMA")?;
    almagest_tap::upload::drop_leftovers(&rw)
        .await
        .context("removing upload tables of an earlier run")?;
    let state_db = if config.state_database == config.database {
        db.clone()
    } else {
        almagest_db::Database::open(&config.state_database, &almagest_db::DbOptions::default())
            .await
            .with_context(|| format!("opening the state database {}", config.state_database))?
    };
    let accounts = accounts::Accounts::open(state_db.rw().clone())
        .await
        .context("opening the accounts")?;
    let vospace = vospace::VospaceService::start_configured(
        &config,
        state_db.rw().clone(),
        Some(accounts.clone()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting VOSpace: {e}"))?;
    let tap = Arc::new(TapState {
        config: config.clone(),
        db,
        rw,
        snapshot,
        spool_dir,
        up_since: almagest_tap::service::now_iso(),
        remote_tables: Some(Arc::new(crate::bridge::VosTables {
            svc: vospace.svc.clone(),
        })),
    });
    let jobs = uws::Store::open(state_db.rw().clone())
        .await
        .context("opening the job store")?;
    let tap_async = uws::UwsService::start(
        uws::UwsConfig {
            list: "tap".into(),
            base_url: format!("{}/tap/async", config.base_url),
            slots: config.uws.slots,
            default_execution_duration: config.limits.async_execution_default_secs,
            max_execution_duration: config.limits.async_execution_max_secs,
            retention: std::time::Duration::from_secs(config.uws.retention_hours * 3600),
            max_active_per_owner: config.uws.max_active_per_owner,
            max_wait: std::time::Duration::from_secs(config.uws.max_wait_secs),
            dir: std::path::PathBuf::from(&config.store.root)
                .join("jobs")
                .join("tap"),
        },
        jobs,
        Arc::new(almagest_tap::async_job::TapJobRunner { state: tap.clone() }),
    )
    .await
    .context("starting the TAP job service")?;
    vospace
        .svc
        .add_local_source(Arc::new(crate::bridge::TapResults {
            prefix: format!("{}/tap/async/", config.base_url),
            jobs: tap_async.clone(),
        }));
    let tap = actix_web::web::Data::from(tap);
    let tap_async = actix_web::web::Data::new(tap_async);
    let accounts = actix_web::web::Data::new(accounts);
    let listen = config.listen.clone();
    tracing::info!(listen = %listen, base_url = %config.base_url,
        "Almagest serving: TAP at {b}/tap, VOSpace at {b}/vospace", b = config.base_url);
    actix_web::HttpServer::new(move || {
        let vospace = vospace.clone();
        actix_web::App::new()
            .app_data(accounts.clone())
            // Bearer/Basic credentials become the caller of every service: VOSpace permissions, TAP job owners.
            .wrap(actix_web::middleware::from_fn(accounts::http::authenticate))
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("Access-Control-Allow-Origin", "*"))
                    .add(("Server", concat!("Almagest/", env!("CARGO_PKG_VERSION")))),
            )
            .app_data(tap.clone())
            .service(
                actix_web::web::scope("/tap")
                    .service(
                        actix_web::web::scope("/async")
                            .app_data(tap_async.clone())
                            .configure(uws::routes::configure),
                    )
                    .configure(almagest_tap::service::configure),
            )
            .service(actix_web::web::scope("/vospace").configure(move |c| vospace.configure(c)))
            .route("/", actix_web::web::get().to(root_page))
    })
    .shutdown_timeout(30)
    .bind(&listen)
    .with_context(|| format!("binding {listen}"))?
    .run()
    .await
    .context("running the HTTP server")
}

async fn root_page(tap: actix_web::web::Data<TapState>) -> actix_web::HttpResponse {
    let b = &tap.config.base_url;
    actix_web::HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>\
         <ul><li><a href=\"{b}/tap\">TAP</a> (ADQL queries, VOSI, async jobs)</li>\
         <li><a href=\"{b}/vospace/capabilities\">VOSpace</a> (user workspaces: nodes, transfers)</li></ul></body></html>",
        t = almagest_common::xml::escape_text(&tap.config.service.title)
    ))
}
