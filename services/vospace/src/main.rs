//! `almagest-vospace`: serves VOSpace 2.1 alone, with the library code `almagest serve` mounts at `/vospace`.
//!
//! ```text
//! almagest-vospace                 serve (ALMAGEST_LISTEN, ALMAGEST_DATA_DIR, ALMAGEST_BASE_URL, ...)
//! almagest-vospace user add NAME   create a user; prints its bearer token on the last line
//! ```

use anyhow::Context as _;
use std::path::PathBuf;

/// Settings from the environment (kept in this one function: the lead moves it onto the shared config).
#[derive(Debug, Clone)]
struct Settings {
    listen: String,
    data_dir: PathBuf,
    base_url: String,
    database: String,
    ivo_id: String,
    default_quota: u64,
    max_file_bytes: u64,
    store: String,
}

fn settings() -> anyhow::Result<Settings> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let listen = env("ALMAGEST_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
    let data_dir = PathBuf::from(env("ALMAGEST_DATA_DIR").unwrap_or_else(|| "data".into()));
    let base = env("ALMAGEST_BASE_URL").unwrap_or_else(|| format!("http://{listen}"));
    let number = |k: &str, d: u64| -> anyhow::Result<u64> {
        env(k)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .with_context(|| format!("{k}={v} is not a number of bytes"))
            })
            .unwrap_or(Ok(d))
    };
    Ok(Settings {
        base_url: format!("{}/vospace", base.trim_end_matches('/')),
        database: env("ALMAGEST_STATE_DATABASE")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("state.sqlite").display())),
        ivo_id: env("ALMAGEST_VOSPACE_ID").unwrap_or_else(|| "ivo://example.org/vospace".into()),
        default_quota: number("ALMAGEST_VOSPACE_QUOTA", 10 << 30)?,
        max_file_bytes: number("ALMAGEST_VOSPACE_MAX_FILE", 100 << 30)?,
        store: env("ALMAGEST_STORE").unwrap_or_else(|| "fs".into()),
        listen,
        data_dir,
    })
}

async fn open_pool(s: &Settings) -> anyhow::Result<almagest_db::exec::Pool> {
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("creating {}", s.data_dir.display()))?;
    let db = almagest_db::Database::open(&s.database, &almagest_db::DbOptions::default())
        .await
        .with_context(|| format!("opening {}", s.database))?;
    Ok(db.rw().clone())
}

fn operator(s: &Settings) -> anyhow::Result<opendal::Operator> {
    match s.store.as_str() {
        "fs" => {
            let root = s.data_dir.join("store");
            std::fs::create_dir_all(&root)?;
            Ok(opendal::Operator::new(
                opendal::services::Fs::default().root(&root.display().to_string()),
            )?)
        }
        #[cfg(feature = "s3")]
        "s3" => {
            let env = |k: &str| std::env::var(k).unwrap_or_default();
            Ok(vospace::bytes::s3_operator(&vospace::bytes::S3Settings {
                bucket: env("ALMAGEST_S3_BUCKET"),
                endpoint: env("ALMAGEST_S3_ENDPOINT"),
                region: env("ALMAGEST_S3_REGION"),
                access_key_id: env("ALMAGEST_S3_ACCESS_KEY_ID"),
                secret_access_key: env("ALMAGEST_S3_SECRET_ACCESS_KEY"),
                root: env("ALMAGEST_S3_ROOT"),
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?)
        }
        other => {
            anyhow::bail!("ALMAGEST_STORE={other}: use fs (or s3 in a build with the s3 feature)")
        }
    }
}

async fn serve(s: Settings) -> anyhow::Result<()> {
    let pool = open_pool(&s).await?;
    let accounts = accounts::Accounts::open(pool.clone()).await?;
    let mut cfg = vospace::VospaceConfig::new(&s.ivo_id, &s.base_url);
    cfg.default_quota = s.default_quota;
    cfg.max_file_bytes = s.max_file_bytes;
    let uws_cfg = vospace::VospaceService::uws_config(&s.base_url, s.data_dir.join("work"));
    let service =
        vospace::VospaceService::start(cfg, pool, operator(&s)?, Some(accounts.clone()), uws_cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(listen = %s.listen, base_url = %s.base_url, "VOSpace serving");
    let accounts = actix_web::web::Data::new(accounts);
    actix_web::HttpServer::new(move || {
        let service = service.clone();
        actix_web::App::new()
            .app_data(accounts.clone())
            .wrap(actix_web::middleware::from_fn(accounts::http::authenticate))
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("Server", concat!("Almagest/", env!("CARGO_PKG_VERSION")))),
            )
            .service(actix_web::web::scope("/vospace").configure(move |c| service.configure(c)))
    })
    .shutdown_timeout(30)
    .bind(&s.listen)
    .with_context(|| format!("binding {}", s.listen))?
    .run()
    .await
    .context("running the HTTP server")
}

fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALMAGEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = (|| -> anyhow::Result<()> {
        let s = settings()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => rt.block_on(serve(s)),
            ["user", "add", name] => {
                let token = rt.block_on(async {
                    let pool = open_pool(&s).await?;
                    accounts::add_user_cli(&pool, name)
                        .await
                        .map_err(anyhow::Error::from)
                })?;
                println!("user {name} added; bearer token:");
                println!("{token}");
                Ok(())
            }
            _ => anyhow::bail!("usage: almagest-vospace [serve] | almagest-vospace user add NAME"),
        }
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("almagest-vospace: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
