//! TAP_UPLOAD (TAP 1.1 §2.7.6, DALI 1.1 §3.4.5): uploaded VOTables become temporary tables of the catalogue
//! database, visible to the query as `TAP_UPLOAD.<name>` and dropped when the request ends.
//!
//! The tables live in the catalogue database (schema `tap_upload` on PostgreSQL, a `tap_upload.` name prefix on
//! SQLite) under a name unique to the request, so concurrent requests never see each other's uploads; they are
//! never listed in TAP_SCHEMA.

use crate::error::TapError;
use crate::ingest::ColType;
use crate::request::{UploadSource, UploadSpec};
use crate::tap_schema::{quote_ident, quote_table};
use almagest_db::exec::{Arg, Pool};
use formats::{Field, TableReader, Value};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Tables created for one request; drop them with [`Uploads::drop_all`].
#[derive(Debug, Default)]
pub struct Uploads {
    /// What the ADQL checker sees.
    pub tables: Vec<adql::TableMeta>,
    sql_names: Vec<(Option<String>, String)>,
}

/// Where uploads may come from for this request: `param:NAME` looks up files by part name.
pub trait InlineFiles {
    /// The file holding part `name`, if the request had one.
    fn path(&self, name: &str) -> Option<PathBuf>;
}

/// Tables uploaded by reference (`UPLOAD=t,vos://...`): whoever can read such URIs for the caller. The composed
/// server reads VOSpace nodes with it; without one, references are refused with a clear error.
pub trait RemoteTables: Send + Sync + std::fmt::Debug {
    /// Copies the bytes at `uri` into the file `dest`, reading with the rights of `caller` (account name, `None`
    /// when anonymous), at most `max_bytes`. `None`: this source does not read such URIs; `Some(Err(why))`: it
    /// does, but could not (missing, not permitted, too large).
    fn fetch<'a>(
        &'a self,
        uri: &'a str,
        caller: Option<&'a str>,
        dest: &'a Path,
        max_bytes: u64,
    ) -> RemoteFetch<'a>;
}

/// What [`RemoteTables::fetch`] returns.
pub type RemoteFetch<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<Result<(), String>>> + Send + 'a>>;

/// Reading uploads by reference for one request.
#[derive(Debug, Clone, Copy)]
pub struct Remote<'a> {
    /// Who reads the URIs it knows (the composed server: `vos://` nodes); `http://` URLs are fetched here.
    pub source: Option<&'a dyn RemoteTables>,
    /// The caller of the request (its rights apply).
    pub caller: Option<&'a str>,
    /// A directory for the fetched bytes (removed after loading).
    pub scratch: &'a Path,
    /// Largest table accepted, bytes.
    pub max_bytes: u64,
}

/// A fetched upload file, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn unique_tag() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| (b'a' + rng.random_range(0..26u8)) as char)
        .collect()
}

/// Loads every upload of a request: inline ones (`param:`) from `files`, references (`http(s)://`, `vos://`) as
/// `remote` allows.
pub async fn load(
    pool: &Pool,
    specs: &[UploadSpec],
    files: &(dyn InlineFiles + Sync),
    max_rows: u64,
    remote: Remote<'_>,
) -> Result<Uploads, TapError> {
    let mut out = Uploads::default();
    for spec in specs {
        if out
            .tables
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(&spec.name))
        {
            out.drop_all(pool).await;
            return Err(TapError::Upload(format!(
                "two uploads are called '{}'",
                spec.name
            )));
        }
        let mut fetched = None;
        let path = match &spec.source {
            UploadSource::Inline(part) => match files.path(part) {
                Some(p) => p,
                None => {
                    out.drop_all(pool).await;
                    return Err(TapError::Upload(format!(
                        "UPLOAD {}: no file part named '{part}' in the request",
                        spec.name
                    )));
                }
            },
            UploadSource::Url(u) | UploadSource::Vos(u) => {
                let dest = remote.scratch.join(format!("upload-{}", unique_tag()));
                fetched = Some(TempFile(dest.clone()));
                // the composed server's source first (vos://), then http(s):// here
                let got = match remote.source {
                    Some(s) => s.fetch(u, remote.caller, &dest, remote.max_bytes).await,
                    None => None,
                };
                let got = match got {
                    None if matches!(spec.source, UploadSource::Url(_)) => {
                        let limits = almagest_common::http_get::Limits {
                            max_bytes: remote.max_bytes,
                            ..Default::default()
                        };
                        Some(
                            almagest_common::http_get::get_to_file(u, &dest, limits)
                                .await
                                .map(|_| ())
                                .map_err(|e| e.to_string()),
                        )
                    }
                    other => other,
                };
                match got {
                    Some(Ok(())) => dest,
                    Some(Err(why)) => {
                        out.drop_all(pool).await;
                        return Err(TapError::Upload(format!("UPLOAD {}: {why}", spec.name)));
                    }
                    None => {
                        out.drop_all(pool).await;
                        return Err(TapError::Upload(format!(
                            "UPLOAD {}: {u} cannot be read here; send the table inline (param:), give an http:// \
                             URL or name a VOSpace node of this service (vos://)",
                            spec.name
                        )));
                    }
                }
            }
        };
        let loaded = load_one(pool, &spec.name, &path, max_rows).await;
        drop(fetched);
        match loaded {
            Ok((meta, sql)) => {
                out.tables.push(meta);
                out.sql_names.push(sql);
            }
            Err(e) => {
                out.drop_all(pool).await;
                return Err(e);
            }
        }
    }
    Ok(out)
}

async fn load_one(
    pool: &Pool,
    name: &str,
    path: &Path,
    max_rows: u64,
) -> Result<(adql::TableMeta, (Option<String>, String)), TapError> {
    let file = std::fs::File::open(path).map_err(|e| TapError::Upload(format!("{name}: {e}")))?;
    let mut reader = formats::read_votable(BufReader::new(file))
        .map_err(|e| TapError::Upload(format!("table '{name}' is not a readable VOTable: {e}")))?;
    let fields: Vec<Field> = reader.fields().to_vec();
    if fields.is_empty() {
        return Err(TapError::Upload(format!("table '{name}' has no columns")));
    }
    let types: Vec<ColType> = fields.iter().map(ColType::from_field).collect();
    let pg = pool.is_postgres();
    let tag = unique_tag();
    let (schema, table) = if pg {
        (
            Some("tap_upload".to_string()),
            format!("{}_{tag}", name.to_ascii_lowercase()),
        )
    } else {
        (
            None,
            format!("tap_upload.{}_{tag}", name.to_ascii_lowercase()),
        )
    };
    let target = quote_table(schema.as_deref(), &table);
    let mut tx = pool.begin().await.map_err(db)?;
    if pg {
        tx.execute("CREATE SCHEMA IF NOT EXISTS tap_upload", &[])
            .await
            .map_err(db)?;
    }
    let cols: Vec<String> = fields
        .iter()
        .enumerate()
        .zip(&types)
        .map(|((i, _), t)| format!("{} {}", quote_ident(&format!("c{i}")), t.sql(pg)))
        .collect();
    tx.execute(&format!("CREATE TABLE {target} ({})", cols.join(", ")), &[])
        .await
        .map_err(db)?;
    let n = fields.len();
    let batch = (30_000 / n).clamp(1, 500);
    let names: Vec<String> = (0..n).map(|i| quote_ident(&format!("c{i}"))).collect();
    let head = format!("INSERT INTO {target} ({}) VALUES ", names.join(", "));
    let mut args: Vec<Arg> = Vec::with_capacity(batch * n);
    let mut rows_in_batch = 0;
    let mut total: u64 = 0;
    for row in reader.by_ref() {
        let row = row.map_err(|e| TapError::Upload(format!("table '{name}': {e}")))?;
        total += 1;
        if total > max_rows {
            return Err(TapError::Upload(format!(
                "table '{name}' has more than the limit of {max_rows} rows"
            )));
        }
        for ((v, t), f) in row.iter().zip(&types).zip(&fields) {
            let v = crate::ingest::convert(v, *t).map_err(|m| {
                TapError::Upload(format!(
                    "table '{name}', row {total}, column '{}': {m}",
                    f.name
                ))
            })?;
            args.push(match v {
                Value::Null => crate::ingest::null_of(*t),
                Value::Bool(b) => Arg::Bool(b),
                Value::Int(i) => Arg::Int(i),
                Value::Float(x) => Arg::Float(x),
                Value::Text(s) => Arg::Text(s),
                Value::Bytes(b) => Arg::Text(String::from_utf8_lossy(&b).into_owned()),
            });
        }
        rows_in_batch += 1;
        if rows_in_batch == batch {
            tx.execute(&insert(pg, &head, n, rows_in_batch), &args)
                .await
                .map_err(db)?;
            args.clear();
            rows_in_batch = 0;
        }
    }
    if rows_in_batch > 0 {
        tx.execute(&insert(pg, &head, n, rows_in_batch), &args)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    let meta = adql::TableMeta {
        schema: Some("TAP_UPLOAD".into()),
        name: name.to_string(),
        sql_name: adql::SqlName {
            schema: schema.clone(),
            table: table.clone(),
        },
        columns: fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let (datatype, arraysize) = match ColType::from_field(f) {
                    // arraysize="1" is a deprecated way of saying scalar (VOTable 1.3 Erratum 3)
                    ColType::Text => (
                        f.datatype.clone(),
                        f.arraysize
                            .clone()
                            .filter(|a| a != "1")
                            .or(Some("*".into())),
                    ),
                    t => (t.votable().0.to_string(), None),
                };
                adql::ColumnMeta {
                    name: f.name.clone(),
                    sql_name: format!("c{i}"),
                    datatype,
                    arraysize,
                    xtype: f.xtype.clone(),
                    unit: f.unit.clone(),
                    ucd: f.ucd.clone(),
                    utype: f.utype.clone(),
                    description: f.description.clone(),
                }
            })
            .collect(),
        position: None,
        description: Some("an uploaded table".into()),
    };
    Ok((meta, (schema, table)))
}

fn insert(pg: bool, head: &str, ncols: usize, nrows: usize) -> String {
    format!("{head}{}", almagest_db::exec::values_rows(pg, ncols, nrows))
}

fn db(e: sqlx::Error) -> TapError {
    TapError::Internal(format!("storing an upload: {e}"))
}

impl Uploads {
    /// Drops the request's tables (errors are logged: a leftover table is removed at the next start).
    pub async fn drop_all(&mut self, pool: &Pool) {
        for (s, t) in self.sql_names.drain(..) {
            let sql = format!("DROP TABLE IF EXISTS {}", quote_table(s.as_deref(), &t));
            if let Err(e) = pool.execute(&sql, &[]).await {
                tracing::warn!(table = %t, error = %e, "could not drop an upload table");
            }
        }
        self.tables.clear();
    }
}

/// Drops upload tables left behind by a crash.
pub async fn drop_leftovers(pool: &Pool) -> Result<(), sqlx::Error> {
    let rows = if pool.is_postgres() {
        pool.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tap_upload'",
            &[],
        )
        .await?
    } else {
        pool.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tap_upload.%'",
            &[],
        )
        .await?
    };
    for r in rows {
        if let Some(t) = r[0].as_str() {
            let schema = pool.is_postgres().then_some("tap_upload");
            pool.execute(
                &format!("DROP TABLE IF EXISTS {}", quote_table(schema, t)),
                &[],
            )
            .await?;
        }
    }
    Ok(())
}

/// A catalogue with the request's uploads added.
pub struct WithUploads<'a> {
    tables: Vec<adql::TableMeta>,
    udfs: &'a [adql::Udf],
}

impl<'a> WithUploads<'a> {
    /// The catalogue plus uploads.
    pub fn new(base: &'a dyn adql::Catalog, uploads: &Uploads) -> WithUploads<'a> {
        let mut tables = base.tables().to_vec();
        tables.extend(uploads.tables.iter().cloned());
        WithUploads {
            tables,
            udfs: base.udfs(),
        }
    }
}

impl adql::Catalog for WithUploads<'_> {
    fn tables(&self) -> &[adql::TableMeta] {
        &self.tables
    }
    fn udfs(&self) -> &[adql::Udf] {
        self.udfs
    }
}
