//! `almagest-vospace`: serves VOSpace 2.1 alone, with the library code `almagest serve` mounts at `/vospace`, and
//! the same configuration (`--config FILE` or `ALMAGEST_CONFIG`, `ALMAGEST_*` variables; see README.md).
//!
//! ```text
//! almagest-vospace [--config FILE]                 serve
//! almagest-vospace [--config FILE] user add NAME   create a user; prints its bearer token on the last line
//! ```

use almagest_common::config::Config;
use anyhow::Context as _;
use std::path::PathBuf;

async fn open_pool(config: &Config) -> anyhow::Result<almagest_db::exec::Pool> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let db =
        almagest_db::Database::open(&config.state_database, &almagest_db::DbOptions::default())
            .await
            .with_context(|| format!("opening {}", config.state_database))?;
    Ok(db.rw().clone())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let pool = open_pool(&config).await?;
    let accounts = accounts::Accounts::open(pool.clone()).await?;
    let service = vospace::VospaceService::start_configured(&config, pool, Some(accounts.clone()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(listen = %config.listen, base_url = %config.base_url, "VOSpace serving at {}/vospace", config.base_url);
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
    .bind(&config.listen)
    .with_context(|| format!("binding {}", config.listen))?
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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let result = (|| -> anyhow::Result<()> {
        let mut file = None;
        if args.first().map(String::as_str) == Some("--config") {
            anyhow::ensure!(args.len() >= 2, "--config needs a file name");
            file = Some(PathBuf::from(args[1].clone()));
            args.drain(..2);
        }
        let config = Config::from_process(file.as_deref())?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => rt.block_on(serve(config)),
            ["user", "add", name] => {
                let token = rt.block_on(async {
                    let pool = open_pool(&config).await?;
                    accounts::add_user_cli(&pool, name)
                        .await
                        .map_err(anyhow::Error::from)
                })?;
                println!("user {name} added; bearer token:");
                println!("{token}");
                Ok(())
            }
            _ => anyhow::bail!(
                "usage: almagest-vospace [--config FILE] [serve] | almagest-vospace [--config FILE] user add NAME"
            ),
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
