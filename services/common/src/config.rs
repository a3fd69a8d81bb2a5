//! Configuration: one TOML file, every key overridable by an `ALMAGEST_*` environment variable.
//!
//! The environment variable of a key is its path in upper case joined by `_`: `listen` is `ALMAGEST_LISTEN`,
//! `[limits] maxrec_hard` is `ALMAGEST_LIMITS_MAXREC_HARD`. Variables are matched against the known keys (never
//! guessed from the variable name), so a typo is reported instead of ignored. Precedence: defaults < file < env.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything an Almagest deployment can set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP server binds, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// The URL clients see (scheme, host, port and path prefix, no trailing slash); used in every absolute link:
    /// capabilities access URLs, UWS job locations, VOSpace endpoints. Empty: `http://<listen>`.
    pub base_url: String,
    /// Where the embedded database files and the local byte store live.
    pub data_dir: PathBuf,
    /// The catalogue database (`sqlite://...` or `postgres://...`). Empty: `<data_dir>/catalog.sqlite`.
    pub database: String,
    /// The database of service state (UWS jobs, VOSpace nodes, accounts). Empty: `<data_dir>/state.sqlite` with a
    /// SQLite catalogue, the catalogue database itself with PostgreSQL.
    pub state_database: String,
    /// Load the demo catalogues (Hipparcos, Gaia DR3 G<=10) into an empty catalogue at start-up.
    pub demo: bool,
    /// Where the demo loader looks for the full catalogues (`hip2.csv.gz`, `gaia_dr3_g10.csv.gz`) before falling back
    /// to the trimmed copy committed in the repository.
    pub demo_source: PathBuf,
    /// Byte store for VOSpace files, job results and uploads.
    pub store: StoreConfig,
    /// Who runs the service: VOResource curation and identity.
    pub service: ServiceConfig,
    /// Limits of queries and uploads.
    pub limits: LimitsConfig,
    /// Asynchronous jobs.
    pub uws: UwsConfig,
    /// User workspaces.
    pub vospace: VospaceConfig,
}

/// The byte store (opendal).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `fs` (local directory) or `s3` (S3-compatible object store).
    pub kind: String,
    /// fs: the directory (empty: `<data_dir>/store`); s3: the key prefix inside the bucket.
    pub root: String,
    /// s3 only: bucket name.
    pub bucket: String,
    /// s3 only: endpoint URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// s3 only: region.
    pub region: String,
    /// s3 only: access key id.
    pub access_key_id: String,
    /// s3 only: secret access key.
    pub secret_access_key: String,
}

/// Service identity and curation, as published in capabilities and registry records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Human-readable title of the data centre's services.
    pub title: String,
    /// Short name (at most 16 characters in VOResource).
    pub short_name: String,
    /// Who publishes the data.
    pub publisher: String,
    /// Contact person or desk.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// The IVOA naming authority, e.g. `ivo://example.org`; resource identifiers are built under it.
    pub authority: String,
    /// A paragraph describing the services.
    pub description: String,
}

/// Query and upload limits (TAP MAXREC, time, sizes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// MAXREC used when the client gives none.
    pub maxrec_default: u64,
    /// The largest MAXREC honoured; larger requests are capped to it.
    pub maxrec_hard: u64,
    /// Wall-clock limit of a synchronous query, in seconds.
    pub sync_timeout_secs: u64,
    /// Default execution duration of an asynchronous query, in seconds.
    pub async_execution_default_secs: u64,
    /// Largest execution duration a client may ask for, in seconds.
    pub async_execution_max_secs: u64,
    /// Largest accepted upload (TAP_UPLOAD) in bytes.
    pub upload_max_bytes: u64,
    /// Largest accepted upload in rows.
    pub upload_max_rows: u64,
    /// Largest request body that is not an upload or a VOSpace file (form posts, XML documents), in bytes.
    pub max_form_bytes: u64,
}

/// Asynchronous job settings (UWS).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UwsConfig {
    /// Jobs that run at once; the others wait in QUEUED, first come first served.
    pub slots: usize,
    /// How long a job and its results are kept after creation, in hours (its destruction time).
    pub retention_hours: u64,
    /// Largest number of unfinished jobs one owner may have (0: no limit).
    pub max_active_per_owner: usize,
    /// Longest time a `WAIT` request blocks, in seconds (clients' HTTP timeouts are around 600 s).
    pub max_wait_secs: u64,
}

/// VOSpace settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VospaceConfig {
    /// IVOA identifier of the VOSpace service; node URIs are `vos://<authority>!<path>/...` after it (empty:
    /// `<service.authority>/vospace`, so nodes are `vos://example.org!vospace/...`).
    pub resource_id: String,
    /// Quota of a new user's home container, in bytes.
    pub default_quota_bytes: u64,
    /// Largest single file accepted, in bytes.
    pub max_file_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            base_url: String::new(),
            data_dir: PathBuf::from("data"),
            database: String::new(),
            state_database: String::new(),
            demo: true,
            demo_source: PathBuf::from("../shared/data"),
            store: StoreConfig {
                kind: "fs".into(),
                root: String::new(),
                bucket: String::new(),
                endpoint: String::new(),
                region: "us-east-1".into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            },
            service: ServiceConfig {
                title: "Almagest demo data centre".into(),
                short_name: "Almagest".into(),
                publisher: "Almagest demo".into(),
                contact_name: "Almagest operators".into(),
                contact_email: "operators@example.org".into(),
                authority: "ivo://example.org".into(),
                description: "IVOA services (TAP, UWS, VOSpace, registry) over real catalogues: Hipparcos and \
                              Gaia DR3 stars brighter than G=10."
                    .into(),
            },
            limits: LimitsConfig {
                maxrec_default: 100_000,
                maxrec_hard: 100_000_000,
                sync_timeout_secs: 600,
                async_execution_default_secs: 3600,
                async_execution_max_secs: 86_400,
                upload_max_bytes: 100 << 20,
                upload_max_rows: 1_000_000,
                max_form_bytes: 1 << 20,
            },
            uws: UwsConfig { slots: 2, retention_hours: 24 * 7, max_active_per_owner: 20, max_wait_secs: 300 },
            vospace: VospaceConfig {
                resource_id: String::new(),
                default_quota_bytes: 10 << 30,
                max_file_bytes: 100 << 30,
            },
        }
    }
}

/// What can go wrong reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has keys or types we do not know.
    #[error("configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the position.
        message: String,
    },
    /// An `ALMAGEST_*` variable has a value of the wrong type, or names no key.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// The combined settings do not make a usable configuration.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Variables that are not configuration keys but are read by other parts (tests, tools): never reported.
const NON_CONFIG_VARS: &[&str] = &["ALMAGEST_CONFIG", "ALMAGEST_LOG", "ALMAGEST_TEST_PG_URL"];

impl Config {
    /// Reads the configuration: defaults, then the TOML file (if given), then `ALMAGEST_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let defaults = toml::Table::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid(format!("defaults do not serialise: {e}")))?;
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let table: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| ConfigError::Parse {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    })?;
            merge(&mut merged, table);
        }
        let mut keys = BTreeMap::new();
        env_keys(&defaults, "ALMAGEST", &mut Vec::new(), &mut keys);
        for (var, value) in env {
            if !var.starts_with("ALMAGEST_") || NON_CONFIG_VARS.contains(&var.as_str()) {
                continue;
            }
            let Some(path) = keys.get(&var) else {
                return Err(ConfigError::Env {
                    var,
                    message: "no configuration key of that name".into(),
                });
            };
            set_path(&mut merged, path, &value).map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
        }
        let path = file.map(Path::to_path_buf).unwrap_or_default();
        let mut config: Config =
            merged
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path,
                    message: e.to_string(),
                })?;
        config.fill_derived()?;
        Ok(config)
    }

    /// Reads the configuration of this process: the file named by `--config`/`ALMAGEST_CONFIG` and its environment.
    pub fn from_process(file: Option<&Path>) -> Result<Config, ConfigError> {
        let from_env = std::env::var_os("ALMAGEST_CONFIG").map(PathBuf::from);
        Config::load(file.or(from_env.as_deref()), std::env::vars())
    }

    /// Fills the settings whose default depends on others, and checks what serde cannot.
    fn fill_derived(&mut self) -> Result<(), ConfigError> {
        if self.base_url.is_empty() {
            self.base_url = format!("http://{}", self.listen);
        }
        while self.base_url.ends_with('/') {
            self.base_url.pop();
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "base_url must be an http(s) URL, not '{}'",
                self.base_url
            )));
        }
        if self.database.is_empty() {
            self.database = format!(
                "sqlite://{}",
                self.data_dir.join("catalog.sqlite").display()
            );
        }
        if self.state_database.is_empty() {
            self.state_database = if self.database.starts_with("sqlite:") {
                format!("sqlite://{}", self.data_dir.join("state.sqlite").display())
            } else {
                self.database.clone()
            };
        }
        if self.store.kind == "fs" && self.store.root.is_empty() {
            self.store.root = self.data_dir.join("store").display().to_string();
        }
        if !matches!(self.store.kind.as_str(), "fs" | "s3") {
            return Err(ConfigError::Invalid(format!(
                "store.kind must be 'fs' or 's3', not '{}'",
                self.store.kind
            )));
        }
        if self.limits.maxrec_default > self.limits.maxrec_hard {
            return Err(ConfigError::Invalid(
                "limits.maxrec_default is larger than limits.maxrec_hard".into(),
            ));
        }
        if !self.service.authority.starts_with("ivo://") {
            return Err(ConfigError::Invalid(format!(
                "service.authority must start with ivo://, not '{}'",
                self.service.authority
            )));
        }
        if self.vospace.resource_id.is_empty() {
            self.vospace.resource_id =
                format!("{}/vospace", self.service.authority.trim_end_matches('/'));
        }
        if !self.vospace.resource_id.starts_with("ivo://")
            || self.vospace.resource_id["ivo://".len()..]
                .split('/')
                .count()
                < 2
        {
            return Err(ConfigError::Invalid(format!(
                "vospace.resource_id must look like ivo://authority/path, not '{}'",
                self.vospace.resource_id
            )));
        }
        if self.uws.slots == 0 {
            return Err(ConfigError::Invalid("uws.slots must be at least 1".into()));
        }
        Ok(())
    }

    /// The configuration as TOML, for `almagest config` and the documentation.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        if let Ok(table) = toml::Table::try_from(self) {
            write_table(&table, None, &mut out);
        }
        out
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

fn env_keys(
    table: &toml::Table,
    prefix: &str,
    path: &mut Vec<String>,
    out: &mut BTreeMap<String, Vec<String>>,
) {
    for (key, value) in table {
        path.push(key.clone());
        let var = format!("{prefix}_{}", key.to_ascii_uppercase());
        match value {
            toml::Value::Table(t) => env_keys(t, &var, path, out),
            _ => {
                out.insert(var, path.clone());
            }
        }
        path.pop();
    }
}

fn set_path(table: &mut toml::Table, path: &[String], raw: &str) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut t = table;
    for p in parents {
        t = match t.get_mut(p) {
            Some(toml::Value::Table(inner)) => inner,
            _ => return Err(format!("'{p}' is not a section")),
        };
    }
    let value = match t.get(last) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("'{raw}' is not an integer"))?,
        ),
        Some(toml::Value::Boolean(_)) => {
            toml::Value::Boolean(match raw.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => return Err(format!("'{raw}' is not a boolean (true/false)")),
            })
        }
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .parse()
                .map_err(|_| format!("'{raw}' is not a number"))?,
        ),
        _ => toml::Value::String(raw.to_string()),
    };
    t.insert(last.clone(), value);
    Ok(())
}

fn write_table(table: &toml::Table, name: Option<&str>, out: &mut String) {
    if let Some(name) = name {
        out.push_str(&format!("\n[{name}]\n"));
    }
    for (k, v) in table {
        if !v.is_table() {
            out.push_str(&format!("{k} = {}\n", render_value(v)));
        }
    }
    for (k, v) in table {
        if let toml::Value::Table(t) = v {
            let full = match name {
                Some(n) => format!("{n}.{k}"),
                None => k.clone(),
            };
            write_table(t, Some(&full), out);
        }
    }
}

fn render_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(a) => format!(
            "[{}]",
            a.iter().map(render_value).collect::<Vec<_>>().join(", ")
        ),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Table(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_fill_derived_paths_and_urls() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:8080");
        assert_eq!(c.database, "sqlite://data/catalog.sqlite");
        assert_eq!(c.state_database, "sqlite://data/state.sqlite");
        assert_eq!(c.store.root, "data/store");
        assert_eq!(c.vospace.resource_id, "ivo://example.org/vospace");
    }

    #[test]
    fn vospace_identifier_follows_the_authority_unless_set() {
        let c = Config::load(
            None,
            env(&[("ALMAGEST_SERVICE_AUTHORITY", "ivo://vo.example.net")]),
        )
        .unwrap();
        assert_eq!(c.vospace.resource_id, "ivo://vo.example.net/vospace");
        let c = Config::load(
            None,
            env(&[("ALMAGEST_VOSPACE_RESOURCE_ID", "ivo://x.org/space")]),
        )
        .unwrap();
        assert_eq!(c.vospace.resource_id, "ivo://x.org/space");
        let e = Config::load(
            None,
            env(&[("ALMAGEST_VOSPACE_RESOURCE_ID", "ivo://x.org")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("vospace.resource_id"), "{e}");
    }

    #[test]
    fn env_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("almagest.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\n[limits]\nmaxrec_hard = 500\nmaxrec_default = 50\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("ALMAGEST_LIMITS_MAXREC_HARD", "1000"),
                ("ALMAGEST_BASE_URL", "https://vo.example.org/almagest/"),
                ("ALMAGEST_DEMO", "false"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.limits.maxrec_hard, 1000);
        assert_eq!(c.limits.maxrec_default, 50);
        assert_eq!(c.base_url, "https://vo.example.org/almagest");
        assert!(!c.demo);
    }

    #[test]
    fn data_dir_moves_the_embedded_files() {
        let c = Config::load(None, env(&[("ALMAGEST_DATA_DIR", "/srv/almagest")])).unwrap();
        assert_eq!(c.database, "sqlite:///srv/almagest/catalog.sqlite");
        assert_eq!(c.store.root, "/srv/almagest/store");
    }

    #[test]
    fn postgres_catalogue_keeps_state_there_too() {
        let c = Config::load(
            None,
            env(&[("ALMAGEST_DATABASE", "postgres://u@db/almagest")]),
        )
        .unwrap();
        assert_eq!(c.state_database, "postgres://u@db/almagest");
    }

    #[test]
    fn unknown_variable_and_bad_values_are_reported() {
        let e = Config::load(None, env(&[("ALMAGEST_LIMITS_MAXRECHARD", "1")])).unwrap_err();
        assert!(e.to_string().contains("ALMAGEST_LIMITS_MAXRECHARD"), "{e}");
        let e = Config::load(None, env(&[("ALMAGEST_LIMITS_MAXREC_HARD", "many")])).unwrap_err();
        assert!(e.to_string().contains("not an integer"), "{e}");
        let e = Config::load(None, env(&[("ALMAGEST_BASE_URL", "ftp://x")])).unwrap_err();
        assert!(e.to_string().contains("base_url"), "{e}");
    }

    #[test]
    fn unknown_file_key_is_an_error_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "[limits]\nmaxrec = 5\n").unwrap();
        let e = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(e.to_string().contains("maxrec"), "{e}");
    }

    #[test]
    fn rendered_toml_reads_back_to_the_same_config() {
        let c = Config::load(None, env(&[("ALMAGEST_SERVICE_TITLE", "Quoted \"title\"")])).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("round.toml");
        std::fs::write(&file, c.to_toml()).unwrap();
        let back = Config::load(Some(&file), env(&[])).unwrap();
        assert_eq!(back, c);
    }
}
