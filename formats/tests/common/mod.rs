//! Helpers shared by the integration tests: a sample table that exercises every cell kind, golden files, and
//! xmllint against the official VOTable XSD.
#![allow(dead_code, clippy::unwrap_used)]

use formats::{End, Field, OutputFormat, ResultLink, ResultMeta, Value, writer_for};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn field(name: &str, datatype: &str, arraysize: Option<&str>) -> Field {
    Field {
        name: name.into(),
        datatype: datatype.into(),
        arraysize: arraysize.map(str::to_string),
        ..Default::default()
    }
}

/// Columns of every kind a TAP result carries.
pub fn sample_fields() -> Vec<Field> {
    vec![
        Field {
            ucd: Some("meta.id;meta.main".into()),
            description: Some("Identifier <primary> & \"unique\"".into()),
            ..field("id", "long", None)
        },
        Field {
            unit: Some("deg".into()),
            ucd: Some("pos.eq.ra;meta.main".into()),
            ..field("ra", "double", None)
        },
        Field {
            unit: Some("mag".into()),
            ..field("mag", "float", None)
        },
        field("flag", "boolean", None),
        field("n", "short", None),
        field("count", "int", None),
        field("tiny", "unsignedByte", None),
        Field {
            utype: Some("src:name".into()),
            ..field("name", "char", Some("*"))
        },
        field("code", "char", Some("4")),
        field("uname", "unicodeChar", Some("*")),
        Field {
            xtype: Some("timestamp".into()),
            ..field("obs_time", "char", Some("*"))
        },
        Field {
            xtype: Some("point".into()),
            unit: Some("deg".into()),
            ..field("pos", "double", Some("2"))
        },
        Field {
            xtype: Some("polygon".into()),
            unit: Some("deg".into()),
            ..field("region", "double", Some("*"))
        },
        field("flux", "float", Some("3")),
        // A name that is not an NCName and repeats another one: the ID must be made valid and unique.
        field("2mass id", "char", Some("*")),
        field("ra", "double", None),
    ]
}

pub fn sample_rows() -> Vec<Vec<Value>> {
    use Value::*;
    vec![
        vec![
            Int(1),
            Float(10.684708),
            Float(3.44),
            Bool(true),
            Int(-32768),
            Int(2147483647),
            Int(255),
            Text("M 31 <Andromeda> & \"co\"".into()),
            Text("GAL".into()),
            Text("Andrómeda ★".into()),
            Text("2024-01-02 03:04:05.5".into()),
            Text("10.684708 41.26875".into()),
            Text("10 40 11 40 11 41".into()),
            Text("1.5 NaN 2.5".into()),
            Text("J004244+411608".into()),
            Float(0.1),
        ],
        vec![
            Int(2),
            Float(f64::NAN),
            Float(f64::INFINITY),
            Bool(false),
            Int(0),
            Int(-7),
            Int(0),
            Text("tab\there, newline\nthere, comma, \"quote\", bell\u{7}".into()),
            Text("TOOLONG".into()),
            Text("".into()),
            Text("1999-12-31T23:59:59".into()),
            Text("0 -90".into()),
            Text("{1, 2, 3, 4, 5, 6, 7, 8}".into()),
            Text("-0 1e-30 3.4e38".into()),
            Text(" leading space".into()),
            Int(-3),
        ],
        vec![
            Int(3),
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
            Null,
        ],
    ]
}

pub fn sample_meta() -> ResultMeta {
    ResultMeta {
        infos: vec![
            ("standardID".into(), "ivo://ivoa.net/std/TAP".into()),
            (
                "QUERY".into(),
                "SELECT TOP 3 *\nFROM demo.src WHERE name LIKE 'M%' AND x < 1".into(),
            ),
        ],
        warnings: vec!["column 'ra' renamed to 'ra_2'".into()],
        table_name: Some("result".into()),
        table_description: Some("Sample & test".into()),
        links: vec![ResultLink {
            content_role: Some("doc".into()),
            title: None,
            href: "http://example.org/doc?a=1&b=2".into(),
        }],
    }
}

/// Writes `rows` with the given format and end.
pub fn write(format: OutputFormat, fields: &[Field], rows: &[Vec<Value>], end: End) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = writer_for(format, &mut out);
        w.begin(&sample_meta(), fields).unwrap();
        for r in rows {
            w.row(r).unwrap();
        }
        w.finish(end).unwrap();
    }
    out
}

/// Compares with `tests/golden/<name>`, rewriting it when `UPDATE_GOLDEN=1`.
pub fn golden(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") || !path.exists() {
        std::fs::write(&path, got).unwrap();
        if std::env::var("UPDATE_GOLDEN").as_deref() != Ok("1") {
            panic!(
                "golden file {} was missing and has been written: inspect it and rerun",
                path.display()
            );
        }
        return;
    }
    let want = std::fs::read(&path).unwrap();
    if want != got {
        let w = String::from_utf8_lossy(&want);
        let g = String::from_utf8_lossy(got);
        let line = w
            .lines()
            .zip(g.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name} differs from the golden file at line {}:\n--- want\n{}\n--- got\n{}\n(UPDATE_GOLDEN=1 rewrites it)",
            line + 1,
            w.lines().nth(line).unwrap_or("<end>"),
            g.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// The directory of the official XSDs, if present beside the repository.
pub fn xsd_dir() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|a| a.join("../shared/ivoa/xsd"))
        .chain([PathBuf::from("/work/shared/ivoa/xsd")])
        .find(|p| p.join("VOTable-1.4.xsd").exists())
}

/// Validates a VOTable against the official 1.4 XSD. Returns false (after a notice) if xmllint or the XSD is
/// not available; panics with xmllint's message on an invalid document.
pub fn xmllint_votable(doc: &[u8]) -> bool {
    let Some(dir) = xsd_dir() else {
        eprintln!("skipping schema validation: VOTable-1.4.xsd not found");
        return false;
    };
    let child = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(dir.join("VOTable-1.4.xsd"))
        .arg("-")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipping schema validation: xmllint not installed");
        return false;
    };
    child.stdin.take().unwrap().write_all(doc).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "VOTable does not validate:\n{}\n--- document ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(doc)
    );
    true
}
