//! The optional metadata file of an ingest (`--meta`, TOML): what the data file itself cannot say.
//!
//! ```toml
//! table = "hip.main"
//! description = "Hipparcos, the new reduction"
//! schema_description = "The Hipparcos mission"
//! ra = "ra"
//! dec = "dec"
//! [columns.plx]
//! unit = "mas"
//! ucd = "pos.parallax.trig"
//! description = "Parallax"
//! ```

use super::IngestError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Per-column metadata.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMeta {
    /// VOUnit.
    pub unit: Option<String>,
    /// UCD.
    pub ucd: Option<String>,
    /// Utype.
    pub utype: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaFile {
    /// Qualified table name (`--table` wins).
    pub table: Option<String>,
    /// Table description (`--description` wins).
    pub description: Option<String>,
    /// Description of the schema, if it is new.
    pub schema_description: Option<String>,
    /// Right ascension column (`--ra` wins).
    pub ra: Option<String>,
    /// Declination column (`--dec` wins).
    pub dec: Option<String>,
    /// Column metadata by column name.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnMeta>,
}

impl MetaFile {
    /// Reads and checks the file.
    pub fn read(path: &Path) -> Result<MetaFile, IngestError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            IngestError::Usage(format!("cannot read metadata file {}: {e}", path.display()))
        })?;
        toml::from_str(&text)
            .map_err(|e| IngestError::Usage(format!("metadata file {}: {e}", path.display())))
    }
}
