//! The service's view of the catalogue: TAP_SCHEMA as loaded, converted once into what the ADQL checker needs,
//! and reloaded when an ingest (possibly by another process) bumps the catalogue version.

use crate::tap_schema;
use almagest_common::catalog::{Catalogue, TableInfo};
use almagest_db::exec::Pool;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// One consistent catalogue, shared by all requests that started while it was current.
#[derive(Debug)]
pub struct Snapshot {
    /// The catalogue version it was loaded at.
    pub version: i64,
    /// TAP_SCHEMA content.
    pub catalogue: Catalogue,
    /// The same tables as the ADQL checker sees them.
    pub adql_tables: Vec<adql::TableMeta>,
    /// The functions the service declares.
    pub udfs: Vec<adql::Udf>,
}

impl adql::Catalog for Snapshot {
    fn tables(&self) -> &[adql::TableMeta] {
        &self.adql_tables
    }
    fn udfs(&self) -> &[adql::Udf] {
        &self.udfs
    }
}

/// The ADQL checker's view of one table.
pub fn adql_table(t: &TableInfo) -> adql::TableMeta {
    adql::TableMeta {
        schema: Some(t.schema.clone()),
        name: t.name.clone(),
        sql_name: adql::SqlName {
            schema: t.sql_schema.clone(),
            table: t.sql_table.clone(),
        },
        columns: t
            .columns
            .iter()
            .map(|c| adql::ColumnMeta {
                name: adql::undelimited(&c.name),
                sql_name: c.sql_name.clone(),
                datatype: c.datatype.clone(),
                arraysize: c.arraysize.clone(),
                xtype: c.xtype.clone(),
                unit: c.unit.clone(),
                ucd: c.ucd.clone(),
                utype: c.utype.clone(),
                description: c.description.clone(),
            })
            .collect(),
        position: t.position.as_ref().map(|p| adql::PositionIndex {
            ra: p.ra.clone(),
            dec: p.dec.clone(),
            hpx_column: p.hpx_column.clone(),
            depth: p.depth,
        }),
        description: t.description.clone(),
    }
}

impl Snapshot {
    /// Builds a snapshot from a loaded catalogue.
    pub fn new(version: i64, catalogue: Catalogue) -> Snapshot {
        let adql_tables = catalogue.tables.iter().map(adql_table).collect();
        Snapshot {
            version,
            catalogue,
            adql_tables,
            udfs: adql::standard_udfs(),
        }
    }
}

/// Holds the current snapshot and refreshes it at most once per `check_every`.
#[derive(Debug)]
pub struct SnapshotCell {
    current: RwLock<Arc<Snapshot>>,
    last_check: RwLock<Instant>,
    check_every: Duration,
}

impl SnapshotCell {
    /// Loads the catalogue now.
    pub async fn load(pool: &Pool) -> Result<SnapshotCell, sqlx::Error> {
        let version = tap_schema::version(pool).await?;
        let catalogue = tap_schema::load(pool).await?;
        Ok(SnapshotCell {
            current: RwLock::new(Arc::new(Snapshot::new(version, catalogue))),
            last_check: RwLock::new(Instant::now()),
            check_every: Duration::from_secs(1),
        })
    }

    /// The current snapshot, reloaded first if the catalogue changed since (checked at most once a second).
    pub async fn get(&self, pool: &Pool) -> Arc<Snapshot> {
        let due = self
            .last_check
            .read()
            .map(|t| t.elapsed() >= self.check_every)
            .unwrap_or(true);
        if due {
            if let Ok(mut t) = self.last_check.write() {
                *t = Instant::now();
            }
            if let Err(e) = self.refresh(pool).await {
                tracing::warn!(error = %e, "could not check the catalogue version; keeping the loaded catalogue");
            }
        }
        self.current()
    }

    /// The snapshot in use, without checking for changes.
    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads if the version changed.
    pub async fn refresh(&self, pool: &Pool) -> Result<(), sqlx::Error> {
        let version = tap_schema::version(pool).await?;
        if version == self.current().version {
            return Ok(());
        }
        let catalogue = tap_schema::load(pool).await?;
        tracing::info!(
            version,
            tables = catalogue.tables.len(),
            "catalogue reloaded"
        );
        let snap = Arc::new(Snapshot::new(version, catalogue));
        if let Ok(mut g) = self.current.write() {
            *g = snap;
        }
        Ok(())
    }
}
