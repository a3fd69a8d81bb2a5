//! `almagest ingest`: loads a table file into the catalogue database, adds the sky index, and publishes it in
//! TAP_SCHEMA — all in one transaction, so a failed ingest leaves the database exactly as it was.

mod meta;
mod source;
mod types;

pub use meta::MetaFile;
pub use source::{InputFormat, open_source, scan_fields};
pub use types::{ColType, convert};

use crate::tap_schema::{self, quote_ident, quote_table};
use almagest_common::catalog::{ColumnInfo, PositionInfo, SchemaInfo, TableInfo};
use almagest_db::exec::{Arg, Pool, Tx};
use formats::{Field, Value};
use std::path::PathBuf;
use std::time::Instant;

/// HEALPix depth of the sky index (FUNCTIONS.md: depth 29, coarser cells by shifting).
pub const HPX_DEPTH: u8 = 29;
/// SQL name of the sky index column; not an ADQL regular identifier, so no published column can be called so.
pub const HPX_COLUMN: &str = "_hpx";

/// Arguments of `almagest ingest`.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// The file: CSV (optionally .gz), VOTable (any serialisation) or FITS binary table.
    pub file: PathBuf,
    /// Qualified table name, `schema.table` (ADQL regular identifiers; stored lower-case).
    #[arg(long)]
    pub table: Option<String>,
    /// Column holding the right ascension in degrees (default: by UCD pos.eq.ra;meta.main, then by name).
    #[arg(long)]
    pub ra: Option<String>,
    /// Column holding the declination in degrees.
    #[arg(long)]
    pub dec: Option<String>,
    /// Description of the table.
    #[arg(long)]
    pub description: Option<String>,
    /// TOML file with the table description, positions and per-column unit/ucd/description.
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// Force the input format (csv, votable, fits) instead of guessing it from the file name.
    #[arg(long)]
    pub format: Option<InputFormat>,
    /// Replace the table if it exists (otherwise an existing table is an error).
    #[arg(long)]
    pub replace: bool,
    /// Load without a sky index even when positions are found.
    #[arg(long)]
    pub no_index: bool,
}

/// What can go wrong in an ingest.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The arguments or metadata are wrong.
    #[error("{0}")]
    Usage(String),
    /// The file could not be read; the message names the row or line.
    #[error("{0}")]
    Read(String),
    /// A value does not fit its column.
    #[error("{location}, column '{column}': {message}")]
    Value {
        /// Row or line.
        location: String,
        /// Column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The database refused.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The outcome.
#[derive(Debug, Clone)]
pub struct IngestReport {
    /// Qualified table name.
    pub table: String,
    /// Rows loaded.
    pub rows: u64,
    /// Seconds taken.
    pub seconds: f64,
    /// Whether a sky index was built, and on which columns.
    pub position: Option<(String, String)>,
}

impl std::fmt::Display for IngestReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ingested {} rows into {} in {:.1} s ({:.0} rows/s)",
            self.rows,
            self.table,
            self.seconds,
            self.rows as f64 / self.seconds.max(1e-9)
        )?;
        if let Some((ra, dec)) = &self.position {
            write!(f, "; sky index on ({ra}, {dec})")?;
        }
        Ok(())
    }
}

fn regular_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits and checks `schema.table`.
pub fn parse_table_name(name: &str) -> Result<(String, String), IngestError> {
    let (s, t) = name.split_once('.').ok_or_else(|| {
        IngestError::Usage(format!(
            "table name '{name}' must be qualified: schema.table"
        ))
    })?;
    if !regular_identifier(s) || !regular_identifier(t) {
        return Err(IngestError::Usage(format!(
            "table name '{name}': schema and table must be ADQL regular identifiers (a letter, then letters, digits, _)"
        )));
    }
    if s.eq_ignore_ascii_case("tap_schema") || s.eq_ignore_ascii_case("tap_upload") {
        return Err(IngestError::Usage(format!("schema '{s}' is reserved")));
    }
    Ok((s.to_ascii_lowercase(), t.to_ascii_lowercase()))
}

/// Loads `args.file` into the catalogue.
pub async fn ingest(
    pool: &Pool,
    args: &IngestArgs,
    progress: bool,
) -> Result<IngestReport, IngestError> {
    let started = Instant::now();
    let meta = match &args.meta {
        Some(p) => MetaFile::read(p)?,
        None => MetaFile::default(),
    };
    let table_name = args
        .table
        .clone()
        .or_else(|| meta.table.clone())
        .ok_or_else(|| {
            IngestError::Usage("give the table name with --table schema.table".into())
        })?;
    let (schema, table) = parse_table_name(&table_name)?;
    let qname = format!("{schema}.{table}");
    let format = match args.format {
        Some(f) => f,
        None => InputFormat::guess(&args.file)?,
    };

    // Pass 1: the columns, declared by the file or (CSV) inferred from every value, so no row is rejected later
    // for a type chosen from a sample.
    let fields: Vec<Field> = scan_fields(&args.file, format)?;
    check_column_names(&fields)?;
    let types: Vec<ColType> = fields.iter().map(ColType::from_field).collect();
    let position = if args.no_index {
        None
    } else {
        find_position(&fields, &types, args, &meta)?
    };
    let pg = pool.is_postgres();
    let (sql_schema, sql_table) = if pg {
        (Some(schema.clone()), table.clone())
    } else {
        (None, qname.clone())
    };
    let target = quote_table(sql_schema.as_deref(), &sql_table);

    let mut tx = pool.begin().await?;
    let exists = table_exists(&mut tx, sql_schema.as_deref(), &sql_table).await?;
    if exists && !args.replace {
        return Err(IngestError::Usage(format!(
            "table {qname} exists already: use --replace to replace it"
        )));
    }
    if exists {
        tx.execute(&format!("DROP TABLE {target}"), &[]).await?;
        tap_schema::unregister_table(&mut tx, &qname).await?;
    }
    if let Some(s) = &sql_schema {
        tx.execute(
            &format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)),
            &[],
        )
        .await?;
    }
    let mut coldefs: Vec<String> = fields
        .iter()
        .zip(&types)
        .map(|(f, t)| format!("{} {}", quote_ident(&f.name), t.sql(pg)))
        .collect();
    if position.is_some() {
        coldefs.push(format!("{} BIGINT", quote_ident(HPX_COLUMN)));
    }
    tx.execute(
        &format!("CREATE TABLE {target} ({})", coldefs.join(", ")),
        &[],
    )
    .await?;

    // Pass 2: the rows, in multi-row INSERTs (few round trips; SQLite allows 32766 parameters per statement).
    let ncols = fields.len() + usize::from(position.is_some());
    let batch = (30_000 / ncols.max(1)).clamp(1, 500);
    let names: Vec<String> = fields
        .iter()
        .map(|f| quote_ident(&f.name))
        .chain(position.as_ref().map(|_| quote_ident(HPX_COLUMN)))
        .collect();
    let insert_head = format!("INSERT INTO {target} ({}) VALUES ", names.join(", "));
    let full_batch_sql = insert_sql(pg, &insert_head, ncols, batch);
    let pos_idx = position
        .as_ref()
        .map(|(ra, dec)| (index_of(&fields, ra), index_of(&fields, dec)));
    let mut src = open_source(&args.file, format, Some(fields.clone()))?;
    let mut args_buf: Vec<Arg> = Vec::with_capacity(batch * ncols);
    let mut in_batch = 0usize;
    let mut rows: u64 = 0;
    let mut last_report = Instant::now();
    while let Some(row) = src.next_row()? {
        if row.len() != fields.len() {
            return Err(IngestError::Read(format!(
                "{}: {} values where the table has {} columns",
                src.location(),
                row.len(),
                fields.len()
            )));
        }
        for ((v, t), f) in row.iter().zip(&types).zip(&fields) {
            let v = types::convert(v, *t).map_err(|message| IngestError::Value {
                location: src.location(),
                column: f.name.clone(),
                message,
            })?;
            args_buf.push(to_arg(v, *t));
        }
        if let Some((ri, di)) = pos_idx {
            let hpx = healpix_of(
                &args_buf[args_buf.len() - fields.len() + ri],
                &args_buf[args_buf.len() - fields.len() + di],
            )
            .map_err(|message| IngestError::Value {
                location: src.location(),
                column: fields[di].name.clone(),
                message,
            })?;
            args_buf.push(hpx.into());
        }
        in_batch += 1;
        rows += 1;
        if in_batch == batch {
            tx.execute(&full_batch_sql, &args_buf).await?;
            args_buf.clear();
            in_batch = 0;
        }
        if progress && last_report.elapsed().as_secs_f64() >= 1.0 {
            last_report = Instant::now();
            let rate = rows as f64 / started.elapsed().as_secs_f64();
            eprintln!("ingest {qname}: {rows} rows ({rate:.0} rows/s)");
        }
    }
    if in_batch > 0 {
        tx.execute(&insert_sql(pg, &insert_head, ncols, in_batch), &args_buf)
            .await?;
    }
    if position.is_some() {
        let index = quote_ident(&format!("{}_hpx_idx", sql_table.replace('.', "_")));
        tx.execute(
            &format!(
                "CREATE INDEX {index} ON {target} ({})",
                quote_ident(HPX_COLUMN)
            ),
            &[],
        )
        .await?;
    }

    let description = args
        .description
        .clone()
        .or_else(|| meta.description.clone());
    let info = TableInfo {
        schema: schema.clone(),
        name: table.clone(),
        table_type: "table".into(),
        description,
        utype: None,
        index: None,
        nrows: Some(rows as i64),
        sql_schema,
        sql_table,
        position: position.as_ref().map(|(ra, dec)| PositionInfo {
            ra: ra.clone(),
            dec: dec.clone(),
            hpx_column: HPX_COLUMN.into(),
            depth: HPX_DEPTH,
        }),
        columns: fields
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (f, t))| column_info(i, f, *t, &meta, position.as_ref()))
            .collect(),
    };
    tap_schema::register_schema(&mut tx, &existing_or_new_schema(&schema, &meta)).await?;
    tap_schema::register_table(&mut tx, &info).await?;
    tap_schema::bump_version(&mut tx).await?;
    tx.commit().await?;
    Ok(IngestReport {
        table: qname,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        position,
    })
}

fn existing_or_new_schema(schema: &str, meta: &MetaFile) -> SchemaInfo {
    SchemaInfo {
        name: schema.into(),
        description: meta.schema_description.clone(),
        utype: None,
        index: None,
    }
}

fn insert_sql(pg: bool, head: &str, ncols: usize, nrows: usize) -> String {
    format!("{head}{}", almagest_db::exec::values_rows(pg, ncols, nrows))
}

fn index_of(fields: &[Field], name: &str) -> usize {
    fields.iter().position(|f| f.name == name).unwrap_or(0)
}

fn to_arg(v: Value, t: ColType) -> Arg {
    match v {
        Value::Null => null_of(t),
        Value::Bool(b) if t == ColType::Bool => Arg::Bool(b),
        Value::Bool(b) => Arg::Int(b as i64),
        Value::Int(i) => Arg::Int(i),
        Value::Float(f) => Arg::Float(f),
        Value::Text(s) => Arg::Text(s),
        Value::Bytes(b) => Arg::Text(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// The depth-29 nested HEALPix index of a position in degrees; NULL positions give NULL.
fn healpix_of(ra: &Arg, dec: &Arg) -> Result<Option<i64>, String> {
    let num = |a: &Arg| match a {
        Arg::Float(f) => Some(*f),
        Arg::Int(i) => Some(*i as f64),
        _ => None,
    };
    let (Some(ra), Some(dec)) = (num(ra), num(dec)) else {
        return Ok(None);
    };
    if !ra.is_finite() || !dec.is_finite() {
        return Ok(None);
    }
    if !(-90.0..=90.0).contains(&dec) {
        return Err(format!("declination {dec} is outside [-90, 90] degrees"));
    }
    let lon = ra.rem_euclid(360.0).to_radians();
    let hash = cdshealpix::nested::hash(HPX_DEPTH, lon, dec.to_radians());
    i64::try_from(hash)
        .map(Some)
        .map_err(|_| "HEALPix index out of range".to_string())
}

fn check_column_names(fields: &[Field]) -> Result<(), IngestError> {
    if fields.is_empty() {
        return Err(IngestError::Read("the file has no columns".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        if f.name.trim().is_empty() {
            return Err(IngestError::Read("a column has no name".into()));
        }
        if f.name.eq_ignore_ascii_case(HPX_COLUMN) {
            return Err(IngestError::Read(format!(
                "column name '{}' is reserved for the sky index",
                f.name
            )));
        }
        if !seen.insert(f.name.to_ascii_lowercase()) {
            return Err(IngestError::Read(format!(
                "two columns are called '{}' (names are case-insensitive)",
                f.name
            )));
        }
    }
    Ok(())
}

/// Which columns are the position: given, from the metadata file, by UCD, then by usual names.
fn find_position(
    fields: &[Field],
    types: &[ColType],
    args: &IngestArgs,
    meta: &MetaFile,
) -> Result<Option<(String, String)>, IngestError> {
    let find = |name: &str| {
        fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    };
    let by_ucd = |ucd: &str| {
        fields.iter().position(|f| {
            let m = meta
                .columns
                .get(&f.name)
                .and_then(|c| c.ucd.clone())
                .or_else(|| f.ucd.clone());
            m.is_some_and(|u| u.eq_ignore_ascii_case(ucd))
        })
    };
    let given = (
        args.ra.clone().or(meta.ra.clone()),
        args.dec.clone().or(meta.dec.clone()),
    );
    let (ra, dec) = match given {
        (Some(ra), Some(dec)) => {
            let r = find(&ra).ok_or_else(|| {
                IngestError::Usage(format!("no column '{ra}' for the right ascension"))
            })?;
            let d = find(&dec).ok_or_else(|| {
                IngestError::Usage(format!("no column '{dec}' for the declination"))
            })?;
            (r, d)
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(IngestError::Usage("give both --ra and --dec".into()));
        }
        (None, None) => {
            let r = by_ucd("pos.eq.ra;meta.main").or_else(|| {
                ["ra", "raj2000", "ra_icrs", "ra_deg"]
                    .iter()
                    .find_map(|n| find(n))
            });
            let d = by_ucd("pos.eq.dec;meta.main").or_else(|| {
                ["dec", "dej2000", "de_icrs", "dec_deg", "decj2000"]
                    .iter()
                    .find_map(|n| find(n))
            });
            match (r, d) {
                (Some(r), Some(d)) => (r, d),
                _ => return Ok(None),
            }
        }
    };
    for i in [ra, dec] {
        if !matches!(
            types[i],
            ColType::Double | ColType::Float | ColType::Int | ColType::Short | ColType::Long
        ) {
            return Err(IngestError::Usage(format!(
                "position column '{}' is not numeric (it holds {:?} values)",
                fields[i].name, types[i]
            )));
        }
    }
    Ok(Some((fields[ra].name.clone(), fields[dec].name.clone())))
}

fn column_info(
    i: usize,
    f: &Field,
    t: ColType,
    meta: &MetaFile,
    position: Option<&(String, String)>,
) -> ColumnInfo {
    let m = meta.columns.get(&f.name).cloned().unwrap_or_default();
    let (datatype, arraysize) = if f.arraysize.is_some() || t == ColType::Text {
        (f.datatype.clone(), f.arraysize.clone())
    } else {
        let (d, a) = t.votable();
        (d.to_string(), a.map(str::to_string))
    };
    // The position columns are in degrees and carry the main position UCDs, which clients such as Aladin and
    // TOPCAT use to find them, unless the file or metadata says otherwise.
    let role = position.and_then(|(ra, dec)| {
        if &f.name == ra {
            Some("pos.eq.ra;meta.main")
        } else if &f.name == dec {
            Some("pos.eq.dec;meta.main")
        } else {
            None
        }
    });
    let is_pos = role.is_some();
    ColumnInfo {
        name: adql::adql_name(&f.name),
        sql_name: f.name.clone(),
        datatype,
        arraysize,
        xtype: f.xtype.clone(),
        unit: m
            .unit
            .or_else(|| f.unit.clone())
            .or_else(|| role.map(|_| "deg".to_string())),
        ucd: m
            .ucd
            .or_else(|| f.ucd.clone())
            .or_else(|| role.map(str::to_string)),
        utype: m.utype.or_else(|| f.utype.clone()),
        description: m.description.or_else(|| f.description.clone()),
        indexed: is_pos,
        principal: true,
        std: false,
        index: Some(i as i64 + 1),
    }
}

async fn table_exists(tx: &mut Tx, schema: Option<&str>, table: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = match tx {
        Tx::Sqlite(inner) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(table)
                .fetch_one(&mut **inner)
                .await?
        }
        Tx::Postgres(inner) => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
            )
            .bind(schema.unwrap_or("public"))
            .bind(table)
            .fetch_one(&mut **inner)
            .await?
        }
    };
    Ok(n > 0)
}

/// A NULL typed for a column (PostgreSQL checks parameter types).
pub fn null_of(t: ColType) -> Arg {
    match t {
        ColType::Bool => Arg::NullBool,
        ColType::Short | ColType::Int | ColType::Long => Arg::NullInt,
        ColType::Float | ColType::Double => Arg::NullFloat,
        ColType::Text | ColType::Unknown => Arg::Null,
    }
}
