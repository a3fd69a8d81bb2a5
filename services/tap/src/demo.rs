//! The demo catalogues, loaded at first start into an empty catalogue: Hipparcos (built into the binary, so
//! the demo works anywhere) and Gaia DR3 G<=10 when its file is found under `demo_source`.

use crate::ingest::{self, IngestArgs, IngestError, InputFormat};
use crate::tap_schema;
use almagest_common::config::Config;
use almagest_db::exec::Pool;
use std::path::PathBuf;

const HIP_CSV: &[u8] = include_bytes!("../../../demo/hip2_main.csv.gz");
const HIP_META: &str = include_str!("../../../demo/hip2_main.meta.toml");
const GAIA_META: &str = include_str!("../../../demo/gaia_dr3_g10.meta.toml");

/// Loads the demo tables if the catalogue has no table of its own yet.
pub async fn load_if_empty(pool: &Pool, config: &Config) -> Result<(), IngestError> {
    let catalogue = tap_schema::load(pool).await?;
    if catalogue
        .tables
        .iter()
        .any(|t| !t.schema.eq_ignore_ascii_case(tap_schema::SCHEMA))
    {
        return Ok(());
    }
    let dir = config.data_dir.join("demo");
    std::fs::create_dir_all(&dir)
        .map_err(|e| IngestError::Read(format!("{}: {e}", dir.display())))?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, IngestError> {
        let p = dir.join(name);
        std::fs::write(&p, bytes)
            .map_err(|e| IngestError::Read(format!("{}: {e}", p.display())))?;
        Ok(p)
    };
    let hip = write("hip2_main.csv.gz", HIP_CSV)?;
    let hip_meta = write("hip2_main.meta.toml", HIP_META.as_bytes())?;
    tracing::info!("loading the demo catalogue hip.main (Hipparcos, 117,955 stars)");
    let report = ingest::ingest(pool, &args(hip, hip_meta), false).await?;
    tracing::info!("{report}");
    let gaia = config.demo_source.join("gaia_dr3_g10.csv.gz");
    if gaia.exists() {
        let gaia_meta = write("gaia_dr3_g10.meta.toml", GAIA_META.as_bytes())?;
        tracing::info!(
            "loading the demo catalogue gaia.dr3_g10 from {}",
            gaia.display()
        );
        let report = ingest::ingest(pool, &args(gaia, gaia_meta), false).await?;
        tracing::info!("{report}");
    } else {
        tracing::info!("{} not found: the demo has Hipparcos only", gaia.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn args(file: PathBuf, meta: PathBuf) -> IngestArgs {
    IngestArgs {
        file,
        table: None,
        ra: None,
        dec: None,
        description: None,
        meta: Some(meta),
        format: Some(InputFormat::Csv),
        replace: false,
        no_index: false,
    }
}
