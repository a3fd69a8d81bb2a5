//! The TAP capabilities document: TAPRegExt 1.0 (`tr:TableAccess`) plus the VOSI and DALI capabilities.
//!
//! Every optional ADQL feature the translator supports is declared, so clients such as pyvo (which builds UNION
//! queries only when `features-adql-sets` says so) use them. Feature type URIs are written `TAPRegExt#...` as
//! TAPRegExt 1.0 does: IVOIDs compare case-insensitively (pyvo does), but STILTS/TOPCAT 3.4 recognise only this
//! spelling and report the lower-case one that ADQL 2.1 prefers as a custom feature.

use almagest_common::vosi::{Capability, Interface, capabilities_document};
use almagest_common::xml::XmlWriter;

/// One output format as TAPRegExt lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFormatDecl {
    /// The MIME type.
    pub mime: String,
    /// Short names accepted in RESPONSEFORMAT.
    pub aliases: Vec<String>,
    /// The standard key, for the VOTable serialisations.
    pub ivo_id: Option<String>,
}

/// What the capabilities depend on.
#[derive(Debug, Clone)]
pub struct TapCapabilities {
    /// The TAP base URL (`.../tap`).
    pub base_url: String,
    /// TAPRegExt forms of the user-defined functions (`name(arg TYPE, ...) -> TYPE`).
    pub udf_forms: Vec<String>,
    /// Output formats, the default first.
    pub output_formats: Vec<OutputFormatDecl>,
    /// Upload methods offered (TAPRegExt keys).
    pub upload_methods: Vec<String>,
    /// How long async results are kept, seconds.
    pub retention_secs: u64,
    /// Execution duration default and hard limit, seconds.
    pub execution_secs: (u64, u64),
    /// MAXREC default and hard limit, rows.
    pub output_limit: (u64, u64),
    /// Largest upload, bytes.
    pub upload_limit_bytes: u64,
    /// Offer an authenticated interface (HTTP Basic) beside the anonymous one.
    pub authenticated_interface: bool,
}

const FEATURES: &str = "ivo://ivoa.net/std/TAPRegExt#features-";

/// The geometry functions the translator implements.
const GEO_FUNCTIONS: &[&str] = &[
    "POINT",
    "CIRCLE",
    "BOX",
    "POLYGON",
    "REGION",
    "CENTROID",
    "CONTAINS",
    "INTERSECTS",
    "DISTANCE",
    "AREA",
    "COORD1",
    "COORD2",
    "COORDSYS",
];

impl TapCapabilities {
    /// The whole `/capabilities` document.
    pub fn document(&self) -> String {
        capabilities_document(&self.capabilities())
    }

    /// The capabilities (also used by registry records).
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut tap_interfaces = vec![Interface {
            xsi_type: "vs:ParamHTTP".into(),
            role: Some("std".into()),
            version: Some("1.1".into()),
            url: self.base_url.clone(),
            url_use: "base".into(),
            security_method: None,
        }];
        if self.authenticated_interface {
            tap_interfaces.push(Interface {
                security_method: Some("ivo://ivoa.net/sso#BasicAA".into()),
                ..tap_interfaces[0].clone()
            });
        }
        let base = &self.base_url;
        vec![
            Capability {
                standard_id: "ivo://ivoa.net/std/TAP".into(),
                xsi_type: Some("tr:TableAccess".into()),
                interfaces: tap_interfaces,
                extension: Some(self.table_access()),
            },
            Capability::vosi(
                "ivo://ivoa.net/std/VOSI#capabilities",
                format!("{base}/capabilities"),
            ),
            Capability::vosi(
                "ivo://ivoa.net/std/VOSI#availability",
                format!("{base}/availability"),
            ),
            Capability::vosi(
                "ivo://ivoa.net/std/VOSI#tables-1.1",
                format!("{base}/tables"),
            ),
            Capability::vosi(
                "ivo://ivoa.net/std/DALI#examples",
                format!("{base}/examples"),
            ),
        ]
    }

    /// The TAPRegExt children of the `tr:TableAccess` capability, in XSD order.
    fn table_access(&self) -> String {
        let mut w = XmlWriter::fragment();
        w.open("language", &[]);
        w.leaf("name", &[], "ADQL");
        w.leaf(
            "version",
            &[("ivo-id", "ivo://ivoa.net/std/ADQL#v2.1")],
            "2.1",
        );
        w.leaf(
            "version",
            &[("ivo-id", "ivo://ivoa.net/std/ADQL#v2.0")],
            "2.0",
        );
        w.leaf(
            "description",
            &[],
            "ADQL 2.1, translated to SQL; positional constraints use a HEALPix index",
        );
        let udf_type = format!("{FEATURES}udf");
        w.open("languageFeatures", &[("type", udf_type.as_str())]);
        for f in &self.udf_forms {
            w.open("feature", &[]);
            w.leaf("form", &[], f);
            w.close();
        }
        w.close();
        let geo_type = format!("{FEATURES}adqlgeo");
        w.open("languageFeatures", &[("type", geo_type.as_str())]);
        for f in GEO_FUNCTIONS {
            w.open("feature", &[]);
            w.leaf("form", &[], f);
            w.close();
        }
        w.close();
        for (kind, forms) in [
            ("adql-string", &["LOWER", "UPPER", "ILIKE"][..]),
            ("adql-common-table", &["WITH"][..]),
            ("adql-sets", &["UNION", "EXCEPT", "INTERSECT"][..]),
            ("adql-type", &["CAST"][..]),
            ("adql-unit", &["IN_UNIT"][..]),
            ("adql-offset", &["OFFSET"][..]),
        ] {
            let t = format!("{FEATURES}{kind}");
            w.open("languageFeatures", &[("type", t.as_str())]);
            for f in forms {
                w.open("feature", &[]);
                w.leaf("form", &[], f);
                w.close();
            }
            w.close();
        }
        // ADQL 2.1 §4.8 names this type, but TAPRegExt 1.0's key list does not have it and STILTS 3.4 reports
        // `TAPRegExt#features-adql-conditional` as an unknown standard key: written in the lower-case spelling
        // ADQL 2.1 prefers, it is read as a (valid) custom feature instead.
        w.open(
            "languageFeatures",
            &[(
                "type",
                "ivo://ivoa.net/std/tapregext#features-adql-conditional",
            )],
        );
        w.open("feature", &[]);
        w.leaf("form", &[], "COALESCE");
        w.close();
        w.close();
        w.close();
        for f in &self.output_formats {
            match &f.ivo_id {
                Some(id) => w.open("outputFormat", &[("ivo-id", id.as_str())]),
                None => w.open("outputFormat", &[]),
            };
            w.leaf("mime", &[], &f.mime);
            for a in &f.aliases {
                w.leaf("alias", &[], a);
            }
            w.close();
        }
        for m in &self.upload_methods {
            w.empty("uploadMethod", &[("ivo-id", m.as_str())]);
        }
        let retention = self.retention_secs.to_string();
        w.open("retentionPeriod", &[]);
        w.leaf("default", &[], &retention);
        w.leaf("hard", &[], &retention);
        w.close();
        w.open("executionDuration", &[]);
        w.leaf("default", &[], &self.execution_secs.0.to_string());
        w.leaf("hard", &[], &self.execution_secs.1.to_string());
        w.close();
        w.open("outputLimit", &[]);
        w.leaf(
            "default",
            &[("unit", "row")],
            &self.output_limit.0.to_string(),
        );
        w.leaf("hard", &[("unit", "row")], &self.output_limit.1.to_string());
        w.close();
        w.open("uploadLimit", &[]);
        w.leaf(
            "hard",
            &[("unit", "byte")],
            &self.upload_limit_bytes.to_string(),
        );
        w.close();
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TapCapabilities {
        TapCapabilities {
            base_url: "http://127.0.0.1:8080/tap".into(),
            udf_forms: vec![
                "ivo_hasword(haystack VARCHAR(*), needle VARCHAR(*)) -> INTEGER".into(),
            ],
            output_formats: vec![
                OutputFormatDecl {
                    mime: "application/x-votable+xml;serialization=binary2".into(),
                    aliases: vec!["votable/b2".into()],
                    ivo_id: Some("ivo://ivoa.net/std/TAPRegExt#output-votable-binary2".into()),
                },
                OutputFormatDecl {
                    mime: "text/csv;header=present".into(),
                    aliases: vec!["csv".into()],
                    ivo_id: None,
                },
            ],
            upload_methods: vec!["ivo://ivoa.net/std/TAPRegExt#upload-inline".into()],
            retention_secs: 604800,
            execution_secs: (3600, 86400),
            output_limit: (100000, 100000000),
            upload_limit_bytes: 1 << 20,
            authenticated_interface: true,
        }
    }

    #[test]
    fn capabilities_validate_against_vosi_vodataservice_and_tapregext() {
        let doc = sample().document();
        almagest_common::testing::xmllint_all(
            &doc,
            &[
                "VOSICapabilities-v1.0.xsd",
                "VODataService-v1.2.xsd",
                "TAPRegExt-v1.0.xsd",
            ],
        );
        assert!(doc.contains("ivo://ivoa.net/std/TAPRegExt#features-adql-sets"));
        // the anonymous interface comes first
        let anon = doc.find("<accessURL use=\"base\">").unwrap();
        let basic = doc.find("sso#BasicAA").unwrap();
        assert!(anon < basic);
    }
}
