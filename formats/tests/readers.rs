//! Readers on documents written by other tools and on broken input: clear errors with positions, no panics.
#![allow(clippy::unwrap_used)]

mod common;

use formats::{CsvOptions, ReadError, TableReader, Value, read_csv, read_votable, scan_csv_fields};

fn rows_of<R: TableReader>(r: R) -> Vec<Vec<Value>> {
    r.collect::<Result<_, _>>().unwrap()
}

const ASTROPY_STYLE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- Produced with astropy.io.votable version 6.0 -->
<VOTABLE version="1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
 <RESOURCE type="results">
  <TABLE>
   <FIELD ID="id" datatype="int" name="id">
    <VALUES null="-1"/>
   </FIELD>
   <FIELD datatype="double" name="ra" unit="deg" ucd="pos.eq.ra"><DESCRIPTION>Right
     ascension &amp; more</DESCRIPTION></FIELD>
   <FIELD datatype="double" name="dec" unit="deg"/>
   <FIELD arraysize="*" datatype="char" name="name"/>
   <GROUP name="g"><FIELDref ref="id"/></GROUP>
   <PARAM name="p" datatype="int" value="3"/>
   <DATA>
    <TABLEDATA>
     <TR>
      <TD>1</TD>
      <TD>10.68</TD>
      <TD>41.27</TD>
      <TD>M 31 &amp; co</TD>
     </TR>
     <TR>
      <TD>-1</TD>
      <TD/>
      <TD></TD>
      <TD/>
     </TR>
     <TR><TD>3</TD><TD>NaN</TD><TD> 1e-3 </TD><TD><![CDATA[<x>]]></TD></TR>
    </TABLEDATA>
   </DATA>
  </TABLE>
 </RESOURCE>
</VOTABLE>
"#;

#[test]
fn an_astropy_style_votable_reads_with_nulls_entities_and_metadata() {
    let mut r = read_votable(ASTROPY_STYLE.as_bytes()).unwrap();
    let f = r.fields().to_vec();
    assert_eq!(f.len(), 4);
    assert_eq!(f[1].unit.as_deref(), Some("deg"));
    assert_eq!(f[1].ucd.as_deref(), Some("pos.eq.ra"));
    assert_eq!(
        f[1].description.as_deref(),
        Some("Right\n     ascension & more")
    );
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        rows[0],
        vec![
            Value::Int(1),
            Value::Float(10.68),
            Value::Float(41.27),
            Value::Text("M 31 & co".into())
        ]
    );
    assert_eq!(
        rows[1],
        vec![Value::Null, Value::Null, Value::Null, Value::Null]
    );
    assert!(matches!(rows[2][1], Value::Float(x) if x.is_nan()));
    assert_eq!(rows[2][2], Value::Float(0.001));
    assert_eq!(rows[2][3], Value::Text("<x>".into()));
}

#[test]
fn old_namespaces_prefixes_and_no_namespace_all_read() {
    let bodies = [
        r#"<VOTABLE version="1.1" xmlns="http://www.ivoa.net/xml/VOTable/v1.1"><RESOURCE><TABLE><FIELD name="a" datatype="short"/><DATA><TABLEDATA><TR><TD>7</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"#,
        r#"<vot:VOTABLE xmlns:vot="http://www.ivoa.net/xml/VOTable/v1.2"><vot:RESOURCE><vot:TABLE><vot:FIELD name="a" datatype="short"/><vot:DATA><vot:TABLEDATA><vot:TR><vot:TD>7</vot:TD></vot:TR></vot:TABLEDATA></vot:DATA></vot:TABLE></vot:RESOURCE></vot:VOTABLE>"#,
        r#"<VOTABLE><RESOURCE><RESOURCE><TABLE><FIELD name="a" datatype="short"/><DATA><TABLEDATA><TR><TD>7</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></RESOURCE></VOTABLE>"#,
    ];
    for b in bodies {
        let r = read_votable(b.as_bytes()).unwrap();
        assert_eq!(rows_of(r), vec![vec![Value::Int(7)]], "{b}");
    }
}

#[test]
fn a_table_without_data_has_no_rows() {
    let b = r#"<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/></TABLE></RESOURCE></VOTABLE>"#;
    let mut r = read_votable(b.as_bytes()).unwrap();
    assert_eq!(r.fields().len(), 1);
    assert!(r.next().is_none());
}

fn err(doc: &str) -> String {
    match read_votable(doc.as_bytes()) {
        Err(e) => e.to_string(),
        Ok(r) => match r.collect::<Result<Vec<_>, _>>() {
            Err(e) => e.to_string(),
            Ok(rows) => panic!("no error for {doc}: {rows:?}"),
        },
    }
}

#[test]
fn broken_votables_give_errors_that_say_where() {
    let head = r#"<VOTABLE><RESOURCE><TABLE><FIELD name="plx" datatype="double"/><FIELD name="n" datatype="short"/><DATA><TABLEDATA>"#;
    let e = err(&format!(
        "{head}<TR><TD>1</TD><TD>2</TD></TR><TR><TD>abc</TD><TD>1</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    ));
    assert!(
        e.contains("row 2") && e.contains("column 'plx': 'abc' is not a number"),
        "{e}"
    );
    let e = err(&format!(
        "{head}<TR><TD>1</TD><TD>99999</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    ));
    assert!(
        e.contains("column 'n': 99999 is out of the range of short"),
        "{e}"
    );
    let e = err(&format!(
        "{head}<TR><TD>1</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    ));
    assert!(e.contains("row 1 has 1 cells, the table 2 columns"), "{e}");
    let e = err(&format!(
        "{head}<TR><TD>1</TD><TD>2</TD><TD>3</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    ));
    assert!(e.contains("more than 2 cells"), "{e}");
    let e = err(&format!("{head}<TR><TD>1</TD><TD>2</TD>"));
    assert!(
        e.contains("ends inside TABLEDATA") || e.contains("well-formed"),
        "{e}"
    );
    assert!(err("<html><body/></html>").contains("not <VOTABLE>"));
    assert!(err("not xml at all").contains("VOTABLE"));
    assert!(err("<VOTABLE><RESOURCE/></VOTABLE>").contains("no TABLE"));
    let e = err(
        r#"<VOTABLE><RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">no such table</INFO></RESOURCE></VOTABLE>"#,
    );
    assert!(e.contains("QUERY_STATUS=ERROR): no such table"), "{e}");
    let e = err(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="x" datatype="real"/></TABLE></RESOURCE></VOTABLE>"#,
    );
    assert!(
        e.contains("FIELD 'x': unknown VOTable datatype 'real'"),
        "{e}"
    );
    let e = err(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="x" datatype="int"/><DATA><BINARY2><STREAM encoding="gzip">xx</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>"#,
    );
    assert!(e.contains("encoding 'gzip' is not supported"), "{e}");
    let e = err(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="x" datatype="char" arraysize="*"/><DATA><TABLEDATA><TR><TD>&bogus;</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"#,
    );
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn hostile_binary_streams_are_refused_without_allocating() {
    // A variable-length string that declares 4 GiB, and one cut short.
    let huge = base64_of(&[0xFF, 0xFF, 0xFF, 0xFF, b'a']);
    let doc = format!(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="s" datatype="char" arraysize="*"/><DATA><BINARY><STREAM encoding="base64">{huge}</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>"#
    );
    let e = err(&doc);
    assert!(
        e.contains("column 's'") && e.contains("over the limit"),
        "{e}"
    );
    let short = base64_of(&[0, 0, 0, 9, b'a', b'b']);
    let doc = format!(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="s" datatype="char" arraysize="*"/><DATA><BINARY2><STREAM encoding="base64">{short}</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>"#
    );
    assert!(err(&doc).contains("ends inside row 1"), "{}", err(&doc));
}

fn base64_of(b: &[u8]) -> String {
    use std::fmt::Write;
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    let _ = write!(s, "");
    s
}

#[test]
fn csv_inference_widens_and_errors_name_the_line_and_column() {
    let text =
        "id,plx,when,ok,label\n1,0.5,2020-01-01,true,a\n2,1,2020-01-02T10:00:00,false,\"b,c\"\n";
    let mut r = read_csv(text.as_bytes(), CsvOptions::default()).unwrap();
    let types: Vec<(&str, Option<&str>)> = r
        .fields()
        .iter()
        .map(|f| (f.datatype.as_str(), f.xtype.as_deref()))
        .collect();
    assert_eq!(
        types,
        [
            ("long", None),
            ("double", None),
            ("char", Some("timestamp")),
            ("boolean", None),
            ("char", None)
        ]
    );
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows[1][1], Value::Float(1.0));
    assert_eq!(rows[1][4], Value::Text("b,c".into()));

    // A value past the sample that does not fit widens the column (long → double → text).
    let text = "id,v\n1,5\n2,6\n3,7.5\n4,x\n";
    let mut r = read_csv(
        text.as_bytes(),
        CsvOptions {
            sample_rows: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.fields()[1].datatype, "long");
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        rows.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        [
            Value::Int(5),
            Value::Int(6),
            Value::Float(7.5),
            Value::Text("x".into())
        ]
    );
    assert_eq!(r.fields()[1].datatype, "char");
    // The two-pass mode gives the final types up front.
    let f = scan_csv_fields(
        text.as_bytes(),
        CsvOptions {
            sample_rows: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(f[1].datatype, "char");

    // Given types: errors say line and column.
    let text = "id,plx\n1,0.5\n2,abc\n";
    let fields = vec![
        common::field("id", "long", None),
        common::field("plx", "double", None),
    ];
    let r = read_csv(
        text.as_bytes(),
        CsvOptions {
            fields: Some(fields),
            ..Default::default()
        },
    )
    .unwrap();
    let e = r.collect::<Result<Vec<_>, _>>().unwrap_err().to_string();
    assert_eq!(e, "line 3, column 'plx': 'abc' is not a number");
}

#[test]
fn broken_csv_gives_errors_with_lines() {
    let e = |t: &[u8]| -> String {
        match read_csv(t, CsvOptions::default()) {
            Err(e) => e.to_string(),
            Ok(r) => r
                .collect::<Result<Vec<_>, _>>()
                .map(|_| String::new())
                .unwrap_or_else(|e: ReadError| e.to_string()),
        }
    };
    assert_eq!(
        e(b"a,b\n1,2\n3\n"),
        "line 3: 1 fields where the header line has 2"
    );
    assert_eq!(e(b""), "line 1: the file is empty: no header line");
    assert!(e(b"a,b\n\"open,2\n").contains("not closed"));
    assert!(e(b"a,a\n1,2\n").contains("twice"));
    assert!(
        e(b"a,b\n1,\xff\xfe\n").contains("not UTF-8"),
        "{}",
        e(b"a,b\n1,\xff\xfe\n")
    );
    let big = CsvOptions {
        max_field_bytes: 10,
        ..Default::default()
    };
    let r = read_csv("a\n12345678901234\n".as_bytes(), big);
    assert!(matches!(r, Err(ReadError::Limit { .. })));
}

#[test]
fn csv_handles_crlf_quotes_and_multiline_fields() {
    let text = "a,b\r\n\"x\"\"y\",\"two\r\nlines\"\r\n\r\n\"\",\r\n";
    let r = read_csv(text.as_bytes(), CsvOptions::default()).unwrap();
    let rows = rows_of(r);
    assert_eq!(
        rows[0],
        vec![
            Value::Text("x\"y".into()),
            Value::Text("two\r\nlines".into())
        ]
    );
    assert_eq!(rows[1], vec![Value::Text("".into()), Value::Null]);
}

/// A minimal FITS file with one BINTABLE, built card by card.
fn fits_file(table_cards: &[&str], data: &[u8]) -> Vec<u8> {
    let block = |cards: &[String]| {
        let mut b = Vec::new();
        for c in cards {
            let mut c = c.clone().into_bytes();
            c.resize(80, b' ');
            b.extend_from_slice(&c);
        }
        let mut end = b"END".to_vec();
        end.resize(80, b' ');
        b.extend_from_slice(&end);
        b.resize(b.len().div_ceil(2880) * 2880, b' ');
        b
    };
    let primary = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    0",
    ];
    let mut out = block(&primary.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let mut cards: Vec<String> = vec![
        "XTENSION= 'BINTABLE'".into(),
        "BITPIX  =                    8".into(),
        "NAXIS   =                    2".into(),
    ];
    cards.extend(table_cards.iter().map(|s| s.to_string()));
    out.extend(block(&cards));
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(2880) * 2880, 0);
    out
}

#[test]
fn fits_reader_handles_scaling_nulls_and_hostile_headers() {
    // I with TZERO=32768 (unsigned 16-bit), J with TNULL, E: two rows.
    let cards = [
        "NAXIS1  =                   10",
        "NAXIS2  =                    2",
        "PCOUNT  =                    0",
        "GCOUNT  =                    1",
        "TFIELDS =                    3",
        "TTYPE1  = 'u16     '",
        "TFORM1  = 'I       '",
        "TZERO1  =                32768",
        "TTYPE2  = 'j       '",
        "TFORM2  = 'J       '",
        "TNULL2  =                   -1",
        "TTYPE3  = 'e       '",
        "TFORM3  = 'E       '",
        "TUNIT3  = 'mag     '",
    ];
    let mut data = Vec::new();
    data.extend_from_slice(&32767i16.to_be_bytes()); // 65535
    data.extend_from_slice(&7i32.to_be_bytes());
    data.extend_from_slice(&1.5f32.to_be_bytes());
    data.extend_from_slice(&(-32768i16).to_be_bytes()); // 0
    data.extend_from_slice(&(-1i32).to_be_bytes());
    data.extend_from_slice(&f32::NAN.to_be_bytes());
    let mut r = formats::read_fits(std::io::Cursor::new(fits_file(&cards, &data))).unwrap();
    let types: Vec<&str> = r.fields().iter().map(|f| f.datatype.as_str()).collect();
    assert_eq!(types, ["int", "int", "float"]);
    assert_eq!(r.fields()[2].unit.as_deref(), Some("mag"));
    let rows: Vec<Vec<Value>> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        rows[0],
        vec![Value::Int(65535), Value::Int(7), Value::Float(1.5)]
    );
    assert_eq!(rows[1], vec![Value::Int(0), Value::Null, Value::Null]);

    // More rows declared than present: an error naming the row, not a panic or a hang.
    let mut cards2 = cards;
    cards2[1] = "NAXIS2  =           1000000000";
    let r = formats::read_fits(std::io::Cursor::new(fits_file(&cards2, &data))).unwrap();
    // (The zero padding of the last block reads as rows; the error comes after it.)
    let e = r
        .take(1000)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_err()
        .to_string();
    assert!(e.contains("ends inside row"), "{e}");

    // Columns that do not add up to NAXIS1, a bogus TFORM, a huge row: header errors.
    let mut bad = cards;
    bad[0] = "NAXIS1  =                   12";
    let e = formats::read_fits(std::io::Cursor::new(fits_file(&bad, &data)))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("take 10 bytes but NAXIS1 = 12"), "{e}");
    let mut bad = cards;
    bad[6] = "TFORM1  = 'W       '";
    let e = formats::read_fits(std::io::Cursor::new(fits_file(&bad, &data)))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("TFORM1 = 'W' is not a binary table format"),
        "{e}"
    );
    let mut bad = cards;
    bad[0] = "NAXIS1  =        1000000000000";
    assert!(matches!(
        formats::read_fits(std::io::Cursor::new(fits_file(&bad, &data))),
        Err(ReadError::Limit { .. })
    ));
    let e = formats::read_fits(std::io::Cursor::new(b"SIMPLE  = T".repeat(10)))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("header"), "{e}");
}

#[test]
fn tables_without_columns_cannot_make_endless_rows() {
    let e = err(
        r#"<VOTABLE><RESOURCE><TABLE><DATA><BINARY2><STREAM encoding="base64">AAAA</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>"#,
    );
    assert!(e.contains("rows take no bytes"), "{e}");
    let e = err(
        r#"<VOTABLE><RESOURCE><TABLE><FIELD name="c" datatype="char" arraysize="0"/><DATA><BINARY><STREAM encoding="base64">AAAA</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>"#,
    );
    assert!(e.contains("rows take no bytes"), "{e}");
    let cards = [
        "NAXIS1  =                    0",
        "NAXIS2  =  1000000000000000000",
        "PCOUNT  =                    0",
        "GCOUNT  =                    1",
        "TFIELDS =                    0",
    ];
    let e = formats::read_fits(std::io::Cursor::new(fits_file(&cards, &[])))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("rows of zero bytes"), "{e}");
}
