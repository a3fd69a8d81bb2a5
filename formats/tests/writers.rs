//! Whole documents from every writer: golden files, schema validation, trailers on overflow and error.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use formats::{End, Field, OutputFormat, Value, WriteError, writer_for};

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn votable_tabledata_matches_golden_and_validates() {
    let doc = write(
        OutputFormat::VotableTabledata,
        &sample_fields(),
        &sample_rows(),
        End::Ok,
    );
    golden("sample_tabledata.vot", &doc);
    xmllint_votable(&doc);
}

#[test]
fn votable_binary2_matches_golden_and_validates() {
    let doc = write(
        OutputFormat::VotableBinary2,
        &sample_fields(),
        &sample_rows(),
        End::Ok,
    );
    golden("sample_binary2.vot", &doc);
    xmllint_votable(&doc);
}

#[test]
fn votable_binary_matches_golden_and_validates() {
    let fields = sample_fields();
    // BINARY cannot write a value equal to its null sentinel: use rows without them.
    let mut rows = sample_rows();
    rows[0][4] = Value::Int(-32767);
    rows[0][6] = Value::Int(254);
    let doc = write(OutputFormat::VotableBinary, &fields, &rows, End::Ok);
    golden("sample_binary.vot", &doc);
    xmllint_votable(&doc);
    let t = text(&doc);
    assert!(
        t.contains("<VALUES null=\"-32768\"/>"),
        "short columns declare their null sentinel"
    );
    assert!(t.contains("<VALUES null=\"-9223372036854775808\"/>"));
}

#[test]
fn csv_tsv_json_match_golden() {
    let (f, r) = (sample_fields(), sample_rows());
    golden("sample.csv", &write(OutputFormat::Csv, &f, &r, End::Ok));
    golden("sample.tsv", &write(OutputFormat::Tsv, &f, &r, End::Ok));
    golden(
        "sample.json",
        &write(OutputFormat::Json, &f, &r, End::Overflow),
    );
}

#[test]
fn json_output_is_valid_json_with_status_last() {
    let doc = text(&write(
        OutputFormat::Json,
        &sample_fields(),
        &sample_rows(),
        End::Error("disk on fire".into()),
    ));
    let v: serde_json_lite::Json = serde_json_lite::parse(&doc);
    assert!(v.0.contains("\"status\":\"ERROR\""));
    assert!(
        doc.trim_end()
            .ends_with("\"status\":\"ERROR\",\"overflow\":false,\"message\":\"disk on fire\"}")
    );
}

/// A tiny structural JSON check (balanced brackets outside strings, no bare NaN) so the test needs no JSON
/// crate; the astropy script and the reader round trips check content.
mod serde_json_lite {
    pub struct Json(pub String);
    pub fn parse(s: &str) -> Json {
        let mut depth = 0i32;
        let mut in_str = false;
        let mut esc = false;
        let mut compact = String::new();
        for c in s.chars() {
            if in_str {
                compact.push(c);
                if esc {
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else if c == '"' {
                    in_str = false;
                } else {
                    assert!(c as u32 >= 0x20, "raw control character in a JSON string");
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "unbalanced JSON");
            if !c.is_whitespace() {
                compact.push(c);
            }
        }
        assert_eq!(depth, 0, "unbalanced JSON");
        assert!(
            !compact.contains("NaN") && !compact.contains("Inf"),
            "JSON has no NaN/Infinity literals"
        );
        Json(compact)
    }
}

#[test]
fn overflow_and_error_put_a_trailing_status_after_the_table() {
    for format in [
        OutputFormat::VotableTabledata,
        OutputFormat::VotableBinary2,
        OutputFormat::VotableBinary,
    ] {
        let fields = vec![field("x", "int", None)];
        let rows = vec![vec![Value::Int(1)], vec![Value::Int(2)]];
        let doc = text(&write(format, &fields, &rows, End::Overflow));
        let table_end = doc.find("</TABLE>").unwrap();
        let first = doc.find("name=\"QUERY_STATUS\" value=\"OK\"").unwrap();
        let last = doc
            .rfind("name=\"QUERY_STATUS\" value=\"OVERFLOW\"")
            .unwrap();
        assert!(
            first < doc.find("<TABLE").unwrap() && last > table_end,
            "{format:?}: {doc}"
        );
        xmllint_votable(doc.as_bytes());

        let doc = text(&write(
            format,
            &fields,
            &rows,
            End::Error("timeout after 2 rows <x>".into()),
        ));
        let at = doc
            .rfind("value=\"ERROR\">timeout after 2 rows &lt;x&gt;</INFO>")
            .unwrap();
        assert!(at > doc.find("</TABLE>").unwrap());
        xmllint_votable(doc.as_bytes());
    }
}

#[test]
fn metadata_only_result_validates() {
    // MAXREC=0: begin then finish(Overflow) with no rows (DALI 1.1 §3.4.4).
    for format in [
        OutputFormat::VotableTabledata,
        OutputFormat::VotableBinary2,
        OutputFormat::VotableBinary,
    ] {
        let doc = write(format, &sample_fields(), &[], End::Overflow);
        assert!(text(&doc).contains("value=\"OVERFLOW\""));
        xmllint_votable(&doc);
    }
}

#[test]
fn a_bad_value_is_an_error_naming_row_and_column_and_the_document_stays_valid() {
    for format in [
        OutputFormat::VotableTabledata,
        OutputFormat::VotableBinary2,
        OutputFormat::Csv,
        OutputFormat::Json,
    ] {
        let fields = vec![field("a", "int", None), field("small", "short", None)];
        let mut out = Vec::new();
        {
            let mut w = writer_for(format, &mut out);
            w.begin(&Default::default(), &fields).unwrap();
            w.row(&[Value::Int(1), Value::Int(2)]).unwrap();
            let e = w.row(&[Value::Int(5), Value::Int(70000)]).unwrap_err();
            assert_eq!(
                e.to_string(),
                "row 2, column 'small': 70000 is out of the range of short (-32768..=32767)"
            );
            let e = w.row(&[Value::Int(5)]).unwrap_err();
            assert!(
                matches!(
                    e,
                    WriteError::RowLength {
                        row: 2,
                        got: 1,
                        expected: 2
                    }
                ),
                "{e}"
            );
            w.finish(End::Error(e.to_string())).unwrap();
        }
        let doc = text(&out);
        assert!(
            !doc.contains('5'),
            "{format:?}: nothing of the failed row is written: {doc}"
        );
        if format.is_votable() {
            xmllint_votable(&out);
        }
    }
}

#[test]
fn writers_refuse_out_of_order_calls_and_bad_metadata() {
    let mut out = Vec::new();
    let mut w = writer_for(OutputFormat::VotableBinary2, &mut out);
    assert!(matches!(w.row(&[]), Err(WriteError::State(_))));
    let bad = vec![Field {
        name: "x".into(),
        datatype: "real".into(),
        ..Default::default()
    }];
    let e = w.begin(&Default::default(), &bad).unwrap_err();
    assert_eq!(e.to_string(), "column 'x': unknown VOTable datatype 'real'");
    let e = w
        .begin(&Default::default(), &[field("p", "double", Some("2x"))])
        .unwrap_err();
    assert!(
        e.to_string().starts_with("column 'p': arraysize '2x'"),
        "{e}"
    );
    w.begin(&Default::default(), &[field("x", "int", None)])
        .unwrap();
    w.finish(End::Ok).unwrap();
    assert!(matches!(w.finish(End::Ok), Err(WriteError::State(_))));
    assert!(matches!(w.row(&[Value::Int(1)]), Err(WriteError::State(_))));
}

#[test]
fn csv_header_and_cells_follow_rfc4180() {
    let fields = vec![field("a,b", "char", Some("*")), field("x", "double", None)];
    let rows = vec![
        vec![Value::Text("q\"uote".into()), Value::Float(f64::NAN)],
        vec![Value::Text("".into()), Value::Null],
    ];
    let doc = text(&write(OutputFormat::Csv, &fields, &rows, End::Ok));
    assert_eq!(doc, "\"a,b\",x\r\n\"q\"\"uote\",\r\n\"\",\r\n");
}

#[test]
fn fits_has_blocks_and_the_row_count_in_the_header() {
    let mut rows = sample_rows();
    rows[0][9] = Value::Text("Andromeda *".into()); // FITS text is ASCII
    let doc = write(OutputFormat::Fits, &sample_fields(), &rows, End::Overflow);
    golden("sample.fits", &doc);
    assert_eq!(doc.len() % 2880, 0);
    let header = String::from_utf8_lossy(&doc[2880..]).to_string();
    let header = &header[..header.find("END     ").unwrap()];
    assert!(header.starts_with("XTENSION= 'BINTABLE'"));
    assert!(
        header.contains("NAXIS2  =                    3"),
        "{header}"
    );
    assert!(header.contains("QSTATUS = 'OVERFLOW'"));
    assert!(header.contains("TFORM2  = '1D      '"), "{header}");
    assert!(
        header.contains("TFORM8  = '46A     '"),
        "short strings are fixed-width: {header}"
    );
    assert!(
        header.contains("TFORM13 = '1QD(8)  '"),
        "variable arrays go to the heap: {header}"
    );
    // -32768 and 255 are real values in the sample: the TNULLs must be values no cell uses.
    assert!(
        header.contains("TNULL5  =                32767"),
        "{header}"
    );
    assert!(
        header.contains("TNULL7  =                  254"),
        "{header}"
    );
    assert!(
        header.contains("TNULL6  =          -2147483648"),
        "{header}"
    );
}
