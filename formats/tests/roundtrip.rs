//! Everything the writers produce is read back by the readers and compared cell by cell.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use formats::{CsvOptions, End, OutputFormat, TableReader, Value, read_csv, read_votable};

/// Equality with NaN equal to NaN.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

fn assert_rows(format: &str, got: &[Vec<Value>], want: &[Vec<Value>], names: &[String]) {
    assert_eq!(got.len(), want.len(), "{format}: row count");
    for (r, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{format}: row {} width", r + 1);
        for (c, (a, b)) in g.iter().zip(w).enumerate() {
            assert!(
                same(a, b),
                "{format}: row {}, column '{}': got {a:?}, want {b:?}",
                r + 1,
                names[c]
            );
        }
    }
}

/// What a faithful VOTable round trip gives for the sample (BINARY2): DALI text normalised, fixed char cut,
/// timestamps with T.
fn expected_binary2() -> Vec<Vec<Value>> {
    use Value::*;
    let t = |s: &str| Text(s.to_string());
    vec![
        vec![
            Int(1),
            Float(10.684708),
            Float(3.44),
            Bool(true),
            Int(-32768),
            Int(2147483647),
            Int(255),
            t("M 31 <Andromeda> & \"co\""),
            t("GAL"),
            t("Andrómeda ★"),
            t("2024-01-02T03:04:05.5"),
            t("10.684708 41.26875"),
            t("10.0 40.0 11.0 40.0 11.0 41.0"),
            t("1.5 NaN 2.5"),
            t("J004244+411608"),
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
            t("tab\there, newline\nthere, comma, \"quote\", bell\u{7}"),
            t("TOOL"),
            t(""),
            t("1999-12-31T23:59:59"),
            t("0.0 -90.0"),
            t("1.0 2.0 3.0 4.0 5.0 6.0 7.0 8.0"),
            t("-0.0 1e-30 3.4e38"),
            t(" leading space"),
            Float(-3.0),
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

fn read_all_votable(doc: &[u8]) -> (Vec<formats::Field>, Vec<Vec<Value>>) {
    let mut r = read_votable(doc).unwrap();
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    (r.fields().to_vec(), rows)
}

#[test]
fn votable_binary2_round_trips_every_cell_and_the_metadata() {
    let doc = write(
        OutputFormat::VotableBinary2,
        &sample_fields(),
        &sample_rows(),
        End::Ok,
    );
    let (fields, rows) = read_all_votable(&doc);
    let mut want_fields = sample_fields();
    for f in &mut want_fields {
        if f.datatype == "char" && f.arraysize.is_none() {
            f.arraysize = Some("*".into());
        }
    }
    assert_eq!(fields, want_fields);
    let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    assert_rows("BINARY2", &rows, &expected_binary2(), &names);
}

#[test]
fn votable_tabledata_round_trips() {
    let doc = write(
        OutputFormat::VotableTabledata,
        &sample_fields(),
        &sample_rows(),
        End::Ok,
    );
    let (fields, rows) = read_all_votable(&doc);
    let mut want = expected_binary2();
    // TABLEDATA cannot tell "" from null, and XML cannot carry a bell character.
    want[1][9] = Value::Null;
    want[1][7] = Value::Text("tab\there, newline\nthere, comma, \"quote\", bell?".into());
    let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    assert_rows("TABLEDATA", &rows, &want, &names);
}

#[test]
fn votable_binary_round_trips_with_its_null_conventions() {
    let mut rows = sample_rows();
    rows[0][4] = Value::Int(-32767);
    rows[0][6] = Value::Int(254);
    let doc = write(
        OutputFormat::VotableBinary,
        &sample_fields(),
        &rows,
        End::Ok,
    );
    let (fields, got) = read_all_votable(&doc);
    let mut want = expected_binary2();
    want[0][4] = Value::Int(-32767);
    want[0][6] = Value::Int(254);
    // BINARY has no null flags: NaN is null for floats, an empty string is null.
    want[1][1] = Value::Null;
    want[1][9] = Value::Null;
    let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    assert_rows("BINARY", &got, &want, &names);
}

#[test]
fn csv_and_tsv_round_trip_with_inferred_types() {
    for (format, opts) in [
        (OutputFormat::Csv, CsvOptions::default()),
        (OutputFormat::Tsv, CsvOptions::tsv()),
    ] {
        let doc = write(
            format,
            &sample_fields()[..15],
            &sample_rows()
                .iter()
                .map(|r| r[..15].to_vec())
                .collect::<Vec<_>>(),
            End::Ok,
        );
        let mut r = read_csv(doc.as_slice(), opts).unwrap();
        let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
        let types: Vec<&str> = r.fields().iter().map(|f| f.datatype.as_str()).collect();
        assert_eq!(
            types,
            [
                "long", "double", "double", "boolean", "long", "long", "long", "char", "char",
                "char", "char", "char", "char", "char", "char"
            ],
            "{format:?}"
        );
        assert_eq!(r.fields()[10].xtype.as_deref(), Some("timestamp"));
        let mut want: Vec<Vec<Value>> = expected_binary2()
            .iter()
            .map(|r| r[..15].to_vec())
            .collect();
        // CSV writes NaN as an empty cell (null), is not cut to char(4), and keeps "" only when quoted (CSV).
        want[1][1] = Value::Null;
        want[1][8] = Value::Text("TOOLONG".into());
        if format == OutputFormat::Tsv {
            want[1][9] = Value::Null;
        }
        let names: Vec<String> = r.fields().iter().map(|f| f.name.clone()).collect();
        assert_rows(&format!("{format:?}"), &rows, &want, &names);
    }
}

#[test]
fn trailing_status_is_reported_by_the_reader() {
    let fields = vec![field("x", "int", None)];
    let rows = vec![vec![Value::Int(1)], vec![Value::Int(2)]];
    for format in [OutputFormat::VotableTabledata, OutputFormat::VotableBinary2] {
        let doc = write(format, &fields, &rows, End::Overflow);
        let mut r = read_votable(doc.as_slice()).unwrap();
        assert_eq!(r.by_ref().count(), 2);
        assert_eq!(r.query_status().map(|s| s.0), Some("OVERFLOW"));

        let doc = write(
            format,
            &fields,
            &rows,
            End::Error("lost the database".into()),
        );
        let results: Vec<_> = read_votable(doc.as_slice()).unwrap().collect();
        assert_eq!(results.len(), 3, "two rows then the error");
        let e = results[2].as_ref().unwrap_err().to_string();
        assert!(
            e.contains("QUERY_STATUS=ERROR after it: lost the database"),
            "{e}"
        );
    }
}

#[test]
fn many_rows_stream_through_binary2_and_back() {
    let fields = vec![
        field("i", "long", None),
        field("x", "double", None),
        field("s", "char", Some("*")),
    ];
    let n = 20_000;
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            vec![
                Value::Int(i),
                Value::Float(i as f64 / 7.0),
                Value::Text("x".repeat((i % 13) as usize)),
            ]
        })
        .collect();
    for format in [
        OutputFormat::VotableBinary2,
        OutputFormat::VotableBinary,
        OutputFormat::VotableTabledata,
    ] {
        let doc = write(format, &fields, &rows, End::Ok);
        let mut got = 0i64;
        for (i, row) in read_votable(doc.as_slice()).unwrap().enumerate() {
            let row = row.unwrap();
            let i = i as i64;
            assert_eq!(row[0], Value::Int(i));
            assert_eq!(row[1], Value::Float(i as f64 / 7.0));
            let s = "x".repeat((i % 13) as usize);
            let want = if s.is_empty() && format != OutputFormat::VotableBinary2 {
                Value::Null
            } else {
                Value::Text(s)
            };
            assert_eq!(row[2], want, "{format:?} row {i}");
            got += 1;
        }
        assert_eq!(got, n);
    }
}

#[test]
fn fits_round_trips_through_our_reader() {
    let mut rows = sample_rows();
    rows[0][9] = Value::Text("Andromeda *".into());
    let doc = write(OutputFormat::Fits, &sample_fields(), &rows, End::Ok);
    let mut r = formats::read_fits(std::io::Cursor::new(doc)).unwrap();
    let fields = r.fields().to_vec();
    let mut want_fields = sample_fields();
    // FITS has no UTF-16 strings: unicodeChar is stored (and read back) as UTF-8 char.
    want_fields[9].datatype = "char".into();
    // FITS column names are unique ignoring case: the second 'ra' becomes 'ra_2'.
    want_fields[15].name = "ra_2".into();
    // Strings up to 1 KiB are written fixed-width (astropy reads variable-length text as character arrays):
    // they come back with the longest length as their arraysize.
    for (i, n) in [(7, "46"), (9, "11"), (10, "21"), (14, "14")] {
        want_fields[i].arraysize = Some(n.into());
    }
    assert_eq!(fields, want_fields);
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    let mut want = expected_binary2();
    // FITS marks nulls by value: NaN and empty strings are null.
    want[1][1] = Value::Null;
    want[1][9] = Value::Null;
    want[0][9] = Value::Text("Andromeda *".into());
    let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    assert_rows("FITS", &rows, &want, &names);
}

#[test]
fn fits_refuses_non_ascii_text_with_a_pointer_to_votable() {
    let mut out = Vec::new();
    let mut w = formats::writer_for(OutputFormat::Fits, &mut out);
    w.begin(
        &Default::default(),
        &[field("name", "unicodeChar", Some("*"))],
    )
    .unwrap();
    w.row(&[Value::Text("Vega".into())]).unwrap();
    let e = w
        .row(&[Value::Text("Andrómeda".into())])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("row 2, column 'name': 'Andrómeda' has the non-ASCII character 'ó'"),
        "{e}"
    );
    assert!(e.contains("VOTable"));
}

#[test]
fn fits_with_many_rows_and_heap_round_trips() {
    let fields = vec![
        field("i", "int", None),
        field("s", "char", Some("*")),
        formats::Field {
            xtype: Some("polygon".into()),
            ..field("p", "double", Some("*"))
        },
        field("b", "boolean", None),
    ];
    let rows: Vec<Vec<Value>> = (0..5000)
        .map(|i: i64| {
            vec![
                if i % 7 == 0 {
                    Value::Null
                } else {
                    Value::Int(i - 2500)
                },
                Value::Text(format!("row {i}")),
                Value::Text(
                    (0..(i % 5) * 2)
                        .map(|k| format!("{}", k as f64 + 0.5))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                if i % 3 == 0 {
                    Value::Null
                } else {
                    Value::Bool(i % 2 == 0)
                },
            ]
        })
        .collect();
    let doc = write(OutputFormat::Fits, &fields, &rows, End::Ok);
    let got: Vec<Vec<Value>> = formats::read_fits(std::io::Cursor::new(doc))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.len(), rows.len());
    for (i, (g, w)) in got.iter().zip(&rows).enumerate() {
        assert_eq!(g[0], w[0], "row {i}");
        assert_eq!(g[1], w[1], "row {i}");
        let want_p = match &w[2] {
            Value::Text(t) if t.is_empty() => Value::Null,
            Value::Text(t) => Value::Text(
                t.split(' ')
                    .map(|x| format!("{:?}", x.parse::<f64>().unwrap()))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            other => other.clone(),
        };
        assert_eq!(g[2], want_p, "row {i}");
        assert_eq!(g[3], w[3], "row {i}");
    }
}

/// A base64 STREAM longer than the reader's 64 MiB text-run limit must still read (the limit is for markup
/// text, not for the stream), and the document's trailer after it must parse.
#[test]
fn a_stream_longer_than_the_text_limit_reads_completely() {
    let fields = vec![field("blob", "unsignedByte", Some("*"))];
    let chunk = vec![7u8; 1 << 20];
    let n = 52; // 52 MiB raw, about 70 MiB of base64
    let rows: Vec<Vec<Value>> = (0..n).map(|_| vec![Value::Bytes(chunk.clone())]).collect();
    let doc = write(OutputFormat::VotableBinary2, &fields, &rows, End::Overflow);
    assert!(doc.len() > formats::MAX_TEXT_RUN);
    let mut r = read_votable(doc.as_slice()).unwrap();
    let mut got = 0;
    for row in r.by_ref() {
        assert_eq!(row.unwrap()[0], Value::Bytes(chunk.clone()));
        got += 1;
    }
    assert_eq!(got, n);
    assert_eq!(r.query_status().map(|s| s.0), Some("OVERFLOW"));
}
