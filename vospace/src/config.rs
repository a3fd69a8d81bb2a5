//! The configuration of a VOSpace service (the lead maps the TOML/env configuration onto it).

use std::time::Duration;

/// VOSpace settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VospaceConfig {
    /// IVOA identifier of the service, e.g. `ivo://example.org/vospace`; node URIs are
    /// `vos://example.org!vospace/...`.
    pub ivo_id: String,
    /// Public URL of the service root (where `/nodes`, `/synctrans`... live), e.g. `http://host:8080/vospace`.
    pub base_url: String,
    /// Quota of a new home container, bytes.
    pub default_quota: u64,
    /// Largest single upload, bytes.
    pub max_file_bytes: u64,
    /// Most children listed in one getNode response (a client pages with `uri=` and `limit=` beyond it).
    pub page_limit: u64,
    /// How long a negotiated transfer endpoint stays valid.
    pub ticket_lifetime: Duration,
    /// Largest node or transfer document accepted, bytes.
    pub max_document_bytes: usize,
}

impl VospaceConfig {
    /// Defaults for a service at `base_url` registered as `ivo_id`.
    pub fn new(ivo_id: &str, base_url: &str) -> VospaceConfig {
        VospaceConfig {
            ivo_id: ivo_id.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            default_quota: 10 << 30,
            max_file_bytes: 100 << 30,
            page_limit: 10_000,
            ticket_lifetime: Duration::from_secs(24 * 3600),
            max_document_bytes: 1 << 20,
        }
    }
}
