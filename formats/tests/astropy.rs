//! Cross-check with astropy, run on demand: `cargo test -p formats --test astropy -- --ignored`.
//! Needs a Python with astropy: `ASTROPY_PYTHON=/path/to/python` (default `python3`), e.g. a venv made with
//! `python3 -m venv /tmp/astro-venv && /tmp/astro-venv/bin/pip install astropy`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use formats::{End, OutputFormat, TableReader, Value, read_fits, read_votable};
use std::process::Command;

#[test]
#[ignore = "needs Python with astropy (ASTROPY_PYTHON)"]
fn astropy_reads_our_files_and_we_read_astropys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rows = sample_rows();
    // BINARY cannot carry its own null markers, and FITS/astropy comparisons are simpler without them.
    rows[0][4] = Value::Int(-32767);
    rows[0][6] = Value::Int(254);
    let mut ascii_rows = rows.clone();
    ascii_rows[0][9] = Value::Text("Andromeda *".into());
    for (format, name) in [
        (OutputFormat::VotableTabledata, "sample_td.vot"),
        (OutputFormat::VotableBinary, "sample_b.vot"),
        (OutputFormat::VotableBinary2, "sample_b2.vot"),
        (OutputFormat::Fits, "sample.fits"),
        (OutputFormat::Csv, "sample.csv"),
    ] {
        let rows = if format == OutputFormat::Fits {
            &ascii_rows
        } else {
            &rows
        };
        std::fs::write(d.join(name), write(format, &sample_fields(), rows, End::Ok)).unwrap();
    }
    let python = std::env::var("ASTROPY_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/astropy_check.py");
    let out = Command::new(python)
        .arg(script)
        .arg(d)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "astropy check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    for name in ["astropy_td.vot", "astropy_b.vot", "astropy_b2.vot"] {
        let mut r = read_votable(std::io::BufReader::new(
            std::fs::File::open(d.join(name)).unwrap(),
        ))
        .unwrap();
        let names: Vec<&str> = r.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "ra", "mag", "name", "flag", "vec"], "{name}");
        assert_eq!(r.fields()[1].unit.as_deref(), Some("deg"));
        let rows: Vec<Vec<Value>> = r
            .by_ref()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], Value::Int(1), "{name}");
        assert_eq!(rows[1][0], Value::Null, "{name}: masked int");
        assert_eq!(rows[0][1], Value::Float(10.5));
        assert!(
            matches!(rows[1][1], Value::Null)
                || matches!(rows[1][1], Value::Float(x) if x.is_nan()),
            "{name}"
        );
        assert_eq!(rows[0][2], Value::Float(1.5));
        assert_eq!(rows[1][3], Value::Text("béta".into()), "{name}");
        assert_eq!(rows[0][4], Value::Bool(true));
        assert_eq!(rows[2][5], Value::Text("5.0 6.0".into()), "{name}");
    }
    let mut r = read_fits(std::fs::File::open(d.join("astropy.fits")).unwrap()).unwrap();
    assert_eq!(r.fields()[1].unit.as_deref(), Some("deg"));
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0], Value::Int(1));
    assert_eq!(
        rows[1][0],
        Value::Null,
        "astropy writes a TNULL for the masked int"
    );
    assert_eq!(rows[2][1], Value::Float(-3.25));
    assert_eq!(rows[0][3], Value::Text("alpha".into()));
    assert_eq!(rows[1][4], Value::Bool(false));
    assert_eq!(rows[1][5], Value::Text("3.0 4.0".into()));
}
