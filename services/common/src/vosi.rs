//! VOSI 1.1 documents: capabilities, availability and tables (VOSI.tex §3), shared by every service.

use crate::catalog::{Catalogue, KeyInfo, TableInfo};
use crate::xml::XmlWriter;

/// Namespace of VOSI capabilities.
pub const NS_CAPABILITIES: &str = "http://www.ivoa.net/xml/VOSICapabilities/v1.0";
/// Namespace of VOSI availability.
pub const NS_AVAILABILITY: &str = "http://www.ivoa.net/xml/VOSIAvailability/v1.0";
/// Namespace of VOSI tables.
pub const NS_TABLES: &str = "http://www.ivoa.net/xml/VOSITables/v1.0";
/// VOResource 1.x.
pub const NS_VR: &str = "http://www.ivoa.net/xml/VOResource/v1.0";
/// VODataService 1.x.
pub const NS_VS: &str = "http://www.ivoa.net/xml/VODataService/v1.1";
/// TAPRegExt 1.0.
pub const NS_TR: &str = "http://www.ivoa.net/xml/TAPRegExt/v1.0";
/// XML Schema instance.
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// One `interface` of a capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// xsi:type, e.g. `vs:ParamHTTP`.
    pub xsi_type: String,
    /// `std` for standard interfaces.
    pub role: Option<String>,
    /// Version of the standard implemented.
    pub version: Option<String>,
    /// The access URL.
    pub url: String,
    /// `full`, `base` or `dir`.
    pub url_use: String,
    /// A single security method standardID (VOResource allows one per interface; TAP.tex's sample with three
    /// fails the XSD, REQUIREMENTS §5.1), none for anonymous access.
    pub security_method: Option<String>,
}

impl Interface {
    /// A `vs:ParamHTTP` interface reached anonymously.
    pub fn param_http(url: impl Into<String>, url_use: &str) -> Interface {
        Interface {
            xsi_type: "vs:ParamHTTP".into(),
            role: None,
            version: None,
            url: url.into(),
            url_use: url_use.into(),
            security_method: None,
        }
    }
}

/// One `capability` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// standardID.
    pub standard_id: String,
    /// xsi:type of the capability (e.g. `tr:TableAccess`), none for a plain `vr:Capability`.
    pub xsi_type: Option<String>,
    /// Interfaces: the anonymous one first (the CADC clients take the first without securityMethod).
    pub interfaces: Vec<Interface>,
    /// Extension content written after the interfaces (TAPRegExt elements), already well-formed XML.
    pub extension: Option<String>,
}

impl Capability {
    /// A VOSI capability (`#capabilities`, `#availability`, `#tables-1.1`) at `url`.
    pub fn vosi(standard_id: &str, url: impl Into<String>) -> Capability {
        Capability {
            standard_id: standard_id.into(),
            xsi_type: None,
            interfaces: vec![Interface::param_http(url, "full")],
            extension: None,
        }
    }

    /// Writes the capability element (named `capability`, unqualified as VOSI wants).
    pub fn write(&self, w: &mut XmlWriter) {
        let mut attrs = vec![("standardID", self.standard_id.as_str())];
        if let Some(t) = &self.xsi_type {
            attrs.push(("xsi:type", t.as_str()));
        }
        w.open("capability", &attrs);
        for i in &self.interfaces {
            let mut attrs = vec![("xsi:type", i.xsi_type.as_str())];
            if let Some(r) = &i.role {
                attrs.push(("role", r.as_str()));
            }
            if let Some(v) = &i.version {
                attrs.push(("version", v.as_str()));
            }
            w.open("interface", &attrs);
            w.leaf("accessURL", &[("use", i.url_use.as_str())], &i.url);
            if let Some(sm) = &i.security_method {
                w.empty("securityMethod", &[("standardID", sm.as_str())]);
            }
            w.close();
        }
        if let Some(ext) = &self.extension {
            w.raw(ext);
        }
        w.close();
    }
}

/// The VOSI capabilities document. `xmlns:xsi` sits on the root: cadcutils reads it from there (CLIENTS.md §3).
pub fn capabilities_document(capabilities: &[Capability]) -> String {
    let mut w = XmlWriter::new();
    w.open(
        "vosi:capabilities",
        &[
            ("xmlns:vosi", NS_CAPABILITIES),
            ("xmlns:xsi", NS_XSI),
            ("xmlns:vr", NS_VR),
            ("xmlns:vs", NS_VS),
            ("xmlns:tr", NS_TR),
        ],
    );
    for c in capabilities {
        c.write(&mut w);
    }
    w.finish()
}

/// The VOSI availability document (VOSI.tex §3.2).
pub fn availability_document(available: bool, up_since: Option<&str>, notes: &[String]) -> String {
    let mut w = XmlWriter::new();
    w.open("vosi:availability", &[("xmlns:vosi", NS_AVAILABILITY)]);
    w.leaf(
        "vosi:available",
        &[],
        if available { "true" } else { "false" },
    );
    if let Some(t) = up_since {
        w.leaf("vosi:upSince", &[], t);
    }
    for n in notes {
        w.leaf("vosi:note", &[], n);
    }
    w.finish()
}

/// How much of each table `/tables` shows (VOSI 1.1 §3.3.1: `detail=min` leaves out columns and keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Tables without columns.
    Min,
    /// Everything.
    Max,
}

/// The VOSI tableset of a catalogue.
pub fn tableset_document(catalogue: &Catalogue, detail: Detail) -> String {
    let mut w = XmlWriter::new();
    w.open(
        "vosi:tableset",
        &[
            ("xmlns:vosi", NS_TABLES),
            ("xmlns:vs", NS_VS),
            ("xmlns:xsi", NS_XSI),
        ],
    );
    for s in &catalogue.schemas {
        w.open("schema", &[]);
        w.leaf("name", &[], &s.name);
        w.leaf_opt("description", s.description.as_deref());
        w.leaf_opt("utype", s.utype.as_deref());
        for t in catalogue.tables_of(&s.name) {
            write_table(&mut w, catalogue, t, detail);
        }
        w.close();
    }
    w.finish()
}

/// The VOSI document of one table (`/tables/{name}`, root `vosi:table`, full detail).
pub fn table_document(catalogue: &Catalogue, table: &TableInfo) -> String {
    let mut body = XmlWriter::fragment();
    write_table_content(&mut body, catalogue, table, Detail::Max);
    let mut w = XmlWriter::new();
    w.open(
        "vosi:table",
        &[
            ("xmlns:vosi", NS_TABLES),
            ("xmlns:vs", NS_VS),
            ("xmlns:xsi", NS_XSI),
            ("type", table.table_type.as_str()),
        ],
    );
    w.raw(&body.finish());
    w.finish()
}

/// Writes a `table` element (VODataService 1.2 `vs:Table`) as a child of the current element.
pub fn write_table(w: &mut XmlWriter, catalogue: &Catalogue, t: &TableInfo, detail: Detail) {
    w.open("table", &[("type", t.table_type.as_str())]);
    write_table_content(w, catalogue, t, detail);
    w.close();
}

fn write_table_content(w: &mut XmlWriter, catalogue: &Catalogue, t: &TableInfo, detail: Detail) {
    w.leaf("name", &[], &t.qualified_name());
    w.leaf_opt("description", t.description.as_deref());
    w.leaf_opt("utype", t.utype.as_deref());
    if let Some(n) = t.nrows.filter(|n| *n >= 0) {
        w.leaf("nrows", &[], &n.to_string());
    }
    if detail == Detail::Min {
        return;
    }
    for c in &t.columns {
        w.open("column", if c.std { &[("std", "true")] } else { &[] });
        w.leaf("name", &[], &c.name);
        w.leaf_opt("description", c.description.as_deref());
        w.leaf_opt("unit", c.unit.as_deref());
        w.leaf_opt("ucd", c.ucd.as_deref());
        w.leaf_opt("utype", c.utype.as_deref());
        let mut attrs = vec![("xsi:type", "vs:VOTableType")];
        if let Some(a) = &c.arraysize {
            attrs.push(("arraysize", a.as_str()));
        }
        if let Some(x) = &c.xtype {
            attrs.push(("extendedType", x.as_str()));
        }
        w.leaf("dataType", &attrs, &c.datatype);
        if c.indexed {
            w.leaf("flag", &[], "indexed");
        }
        if c.principal {
            w.leaf("flag", &[], "principal");
        }
        w.close();
    }
    for k in catalogue.keys_from(t) {
        write_key(w, k);
    }
}

fn write_key(w: &mut XmlWriter, k: &KeyInfo) {
    w.open("foreignKey", &[]);
    w.leaf("targetTable", &[], &k.target_table);
    for (from, target) in &k.columns {
        w.open("fkColumn", &[]);
        w.leaf("fromColumn", &[], from);
        w.leaf("targetColumn", &[], target);
        w.close();
    }
    w.leaf_opt("description", k.description.as_deref());
    w.leaf_opt("utype", k.utype.as_deref());
    w.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ColumnInfo, SchemaInfo};
    use crate::testing::{xmllint, xmllint_all};

    fn sample() -> Catalogue {
        let col = |name: &str, dt: &str, arr: Option<&str>, xt: Option<&str>| ColumnInfo {
            name: name.into(),
            sql_name: name.into(),
            datatype: dt.into(),
            arraysize: arr.map(Into::into),
            xtype: xt.map(Into::into),
            unit: Some("deg".into()),
            ucd: Some("pos.eq.ra;meta.main".into()),
            description: Some("a <column> & more".into()),
            indexed: true,
            principal: true,
            ..Default::default()
        };
        Catalogue {
            schemas: vec![SchemaInfo {
                name: "hip".into(),
                description: Some("Hipparcos".into()),
                utype: None,
                index: None,
            }],
            tables: vec![TableInfo {
                schema: "hip".into(),
                name: "main".into(),
                table_type: "table".into(),
                description: Some("The new reduction".into()),
                utype: None,
                index: None,
                nrows: Some(117955),
                sql_schema: None,
                sql_table: "hip.main".into(),
                position: None,
                columns: vec![
                    col("ra", "double", None, None),
                    col("name", "char", Some("*"), None),
                    col("epoch", "char", Some("*"), Some("timestamp")),
                ],
            }],
            keys: vec![KeyInfo {
                key_id: "k1".into(),
                from_table: "hip.main".into(),
                target_table: "hip.main".into(),
                description: None,
                utype: None,
                columns: vec![("ra".into(), "ra".into())],
            }],
        }
    }

    #[test]
    fn tableset_is_schema_valid_and_min_detail_has_no_columns() {
        let c = sample();
        let max = tableset_document(&c, Detail::Max);
        xmllint(&max, "VOSITables-v1.1.xsd");
        assert!(max.contains("<name>hip.main</name>"));
        assert!(max.contains("extendedType=\"timestamp\""));
        assert!(max.contains("<nrows>117955</nrows>"));
        let min = tableset_document(&c, Detail::Min);
        xmllint(&min, "VOSITables-v1.1.xsd");
        assert!(!min.contains("<column"));
    }

    #[test]
    fn single_table_document_is_schema_valid() {
        let c = sample();
        let doc = table_document(&c, &c.tables[0]);
        xmllint(&doc, "VOSITables-v1.1.xsd");
        assert!(doc.contains("<foreignKey>"));
    }

    #[test]
    fn availability_and_capabilities_are_schema_valid() {
        xmllint(
            &availability_document(true, Some("2026-11-25T10:00:00Z"), &["all fine".into()]),
            "VOSIAvailability-v1.0.xsd",
        );
        let caps = capabilities_document(&[
            Capability::vosi(
                "ivo://ivoa.net/std/VOSI#capabilities",
                "http://h/tap/capabilities",
            ),
            Capability::vosi(
                "ivo://ivoa.net/std/VOSI#availability",
                "http://h/tap/availability",
            ),
        ]);
        xmllint_all(
            &caps,
            &["VOSICapabilities-v1.0.xsd", "VODataService-v1.2.xsd"],
        );
    }
}
