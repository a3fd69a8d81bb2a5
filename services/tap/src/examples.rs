//! `/examples` (DALI 1.1 §2.3, TAP 1.1 §2.6): example queries as XHTML with RDFa, so TOPCAT and taplint can read
//! them, and `/` (the human-readable root page, TAP 1.1 §2).

use almagest_common::catalog::Catalogue;
use almagest_common::xml::{escape_attr, escape_text};

/// One example query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Fragment identifier (`#id`).
    pub id: &'static str,
    /// Title.
    pub name: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// The ADQL.
    pub query: &'static str,
    /// Qualified names of the tables it reads (RDFa `table` properties).
    pub tables: &'static [&'static str],
}

/// Examples over the demo catalogues; each is shown only when all its tables are published.
pub const DEMO_EXAMPLES: &[Example] = &[
    Example {
        id: "pleiades-cone",
        name: "Stars in a cone around the Pleiades",
        description: "A 2-degree cone search on Hipparcos: CONTAINS(POINT, CIRCLE) uses the HEALPix index.",
        query: "SELECT hip, ra, dec, hpmag, plx, pmra, pmde\nFROM hip.main\n\
                WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 2))\nORDER BY hpmag",
        tables: &["hip.main"],
    },
    Example {
        id: "nearest-by-distance",
        name: "The brightest Gaia stars within one degree of the Orion nebula, with their distance",
        description: "DISTANCE in the select list and as a constraint (ADQL 2.1 §4.2.7 preferred cone form).",
        query: "SELECT TOP 20 source_id, ra, dec, phot_g_mean_mag,\n\
                \x20      DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', 83.82, -5.39)) AS dist\nFROM gaia.dr3_g10\n\
                WHERE DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', 83.82, -5.39)) < 1\nORDER BY phot_g_mean_mag",
        tables: &["gaia.dr3_g10"],
    },
    Example {
        id: "nearby-stars",
        name: "Stars within 10 parsecs",
        description: "A parallax cut: plx is in milliarcseconds, so 10 pc is plx > 100.",
        query: "SELECT hip, ra, dec, plx, 1000/plx AS dist_pc, hpmag, b_v\nFROM hip.main\nWHERE plx > 100\n\
                ORDER BY plx DESC",
        tables: &["hip.main"],
    },
    Example {
        id: "colour-histogram",
        name: "Colour distribution of Hipparcos stars",
        description: "GROUP BY over a computed bin of B-V, named by its alias.",
        query: "SELECT FLOOR(b_v * 10) / 10 AS bv_bin, COUNT(*) AS n, AVG(hpmag) AS mean_hpmag\n\
                FROM hip.main\nWHERE b_v IS NOT NULL\nGROUP BY bv_bin\nORDER BY bv_bin",
        tables: &["hip.main"],
    },
    Example {
        id: "hip-gaia-crossmatch",
        name: "Cross-match Hipparcos with Gaia in the Hyades",
        description: "A positional join. Hipparcos positions are at epoch J1991.25 and Gaia's at J2016.0, so \
                      stars with a large proper motion moved between the two: a 5 arcsec radius catches most.",
        query: "SELECT h.hip, g.source_id, h.hpmag, g.phot_g_mean_mag,\n\
                \x20      DISTANCE(POINT('ICRS', h.ra, h.dec), POINT('ICRS', g.ra, g.dec)) * 3600 AS sep_arcsec\n\
                FROM hip.main AS h\nJOIN gaia.dr3_g10 AS g\n\
                \x20 ON 1 = CONTAINS(POINT('ICRS', g.ra, g.dec), CIRCLE('ICRS', h.ra, h.dec, 5.0 / 3600))\n\
                WHERE 1 = CONTAINS(POINT('ICRS', h.ra, h.dec), CIRCLE('ICRS', 66.75, 15.87, 3))",
        tables: &["hip.main", "gaia.dr3_g10"],
    },
    Example {
        id: "polygon",
        name: "Stars inside a polygon (Orion's belt)",
        description: "CONTAINS(POINT, POLYGON) with vertices in degrees.",
        query: "SELECT source_id, ra, dec, phot_g_mean_mag\nFROM gaia.dr3_g10\n\
                WHERE 1 = CONTAINS(POINT('ICRS', ra, dec),\n\
                \x20                  POLYGON('ICRS', 82.5, -2.5, 86.0, -2.5, 86.0, 0.5, 82.5, 0.5))",
        tables: &["gaia.dr3_g10"],
    },
    Example {
        id: "tap-schema",
        name: "What tables are there?",
        description: "TAP_SCHEMA describes every published table and column.",
        query: "SELECT table_name, description FROM TAP_SCHEMA.tables ORDER BY table_name",
        tables: &["TAP_SCHEMA.tables"],
    },
];

fn available<'a>(catalogue: &'a Catalogue) -> impl Iterator<Item = &'static Example> + 'a {
    DEMO_EXAMPLES
        .iter()
        .filter(|e| e.tables.iter().all(|t| catalogue.table(t).is_some()))
}

/// The `/examples` document: XHTML with the RDFa-lite markup of DALI 1.1 §2.3.
pub fn examples_document(catalogue: &Catalogue, title: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head><title>",
    );
    out.push_str(&escape_text(title));
    out.push_str(
        " — TAP examples</title></head>\n<body vocab=\"http://www.ivoa.net/rdf/examples#\">\n<h1>",
    );
    out.push_str(&escape_text(title));
    out.push_str(" — example queries</h1>\n");
    for e in available(catalogue) {
        out.push_str(&format!(
            "<div typeof=\"example\" id=\"{id}\" resource=\"#{id}\">\n  <h2 property=\"name\">{name}</h2>\n  \
             <p>{desc}</p>\n  <pre property=\"query\">{query}</pre>\n",
            id = escape_attr(e.id),
            name = escape_text(e.name),
            desc = escape_text(e.description),
            query = escape_text(e.query),
        ));
        for t in e.tables {
            out.push_str(&format!(
                "  <p>Table: <span property=\"table\">{}</span></p>\n",
                escape_text(t)
            ));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The human-readable root page of the TAP service.
pub fn home_page(catalogue: &Catalogue, title: &str, base: &str) -> String {
    let mut tables = String::new();
    for t in &catalogue.tables {
        tables.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            escape_text(&t.qualified_name()),
            t.nrows.map(|n| n.to_string()).unwrap_or_default(),
            escape_text(t.description.as_deref().unwrap_or("")),
        ));
    }
    let examples: String = available(catalogue)
        .map(|e| {
            format!(
                "<h3>{}</h3>\n<pre>{}</pre>\n",
                escape_text(e.name),
                escape_text(e.query)
            )
        })
        .collect();
    let b = escape_attr(base);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t} — TAP</title>\n\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.2em .6em;text-align:left}}\
         pre{{background:#f4f4f4;padding:.5em}}</style></head><body>\n\
         <h1>{t}</h1>\n<p>A Table Access Protocol (TAP 1.1) service speaking ADQL 2.1. Point a TAP client at\n\
         <code>{b}</code>, for example <code>pyvo.dal.TAPService(\"{b}\")</code> or TOPCAT's TAP window.</p>\n\
         <ul><li><a href=\"{b}/capabilities\">capabilities</a></li><li><a href=\"{b}/availability\">availability</a></li>\n\
         <li><a href=\"{b}/tables\">tables</a></li><li><a href=\"{b}/examples\">examples</a></li>\n\
         <li><a href=\"{b}/async\">async jobs</a> (UWS)</li></ul>\n\
         <form action=\"{b}/sync\" method=\"post\"><input type=\"hidden\" name=\"LANG\" value=\"ADQL\">\n\
         <textarea name=\"QUERY\" rows=\"6\" cols=\"90\">SELECT TOP 10 * FROM TAP_SCHEMA.tables</textarea><br>\n\
         <select name=\"RESPONSEFORMAT\"><option>votable</option><option>csv</option><option>tsv</option>\
         <option>json</option><option>fits</option></select> <button type=\"submit\">Run</button></form>\n\
         <h2>Tables</h2>\n<table><tr><th>name</th><th>rows</th><th>description</th></tr>\n{tables}</table>\n\
         <h2>Examples</h2>\n{examples}</body></html>\n",
        t = escape_text(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use almagest_common::catalog::TableInfo;

    fn catalogue(names: &[&str]) -> Catalogue {
        Catalogue {
            tables: names
                .iter()
                .map(|n| {
                    let (s, t) = n.split_once('.').unwrap();
                    TableInfo {
                        schema: s.into(),
                        name: t.into(),
                        table_type: "table".into(),
                        description: None,
                        utype: None,
                        index: None,
                        nrows: None,
                        sql_schema: None,
                        sql_table: n.to_string(),
                        position: None,
                        columns: vec![],
                    }
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn examples_are_well_formed_rdfa_and_follow_the_catalogue() {
        let doc = examples_document(&catalogue(&["hip.main", "TAP_SCHEMA.tables"]), "Demo & co");
        assert!(
            doc.contains("typeof=\"example\" id=\"pleiades-cone\" resource=\"#pleiades-cone\"")
        );
        assert!(doc.contains("<span property=\"table\">hip.main</span>"));
        assert!(
            !doc.contains("gaia.dr3_g10"),
            "examples over missing tables are left out"
        );
        // well-formed XML: xmllint without schema
        let status = std::process::Command::new("xmllint")
            .args(["--noout", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .map(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(doc.as_bytes()).unwrap();
                c.wait().unwrap()
            });
        if let Ok(s) = status {
            assert!(s.success(), "not well-formed:\n{doc}");
        }
    }
}
