//! End to end over HTTP: the real `almagest` binary on a loopback port with a temporary data directory, a table
//! loaded with `almagest ingest`, and requests as clients send them (raw HTTP/1.1, so nothing is hidden by a
//! client library). Results are parsed back with the `formats` readers.

mod common;

use common::{Response, Server, form};

/// Settings of every server of this file: small MAXREC limits to test them.
const ENV: &[(&str, &str)] = &[
    ("ALMAGEST_LIMITS_MAXREC_DEFAULT", "1000"),
    ("ALMAGEST_LIMITS_MAXREC_HARD", "5000"),
];

/// Starts a server with a 300-star table `t.stars` (ra, dec, mag, name with unicode and NULLs).
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("stars.csv");
    let mut text = String::from("id,ra,dec,mag,name\n");
    for i in 0..300 {
        let name = match i % 4 {
            0 => String::new(),
            1 => format!("HD {i}"),
            2 => format!("\"Étoile, n°{i}\""),
            _ => format!("star <{i}> & co"),
        };
        text.push_str(&format!(
            "{i},{},{},{},{name}\n",
            (i as f64 * 1.2) % 360.0,
            (i as f64 * 0.6) - 89.5,
            5.0 + (i % 7) as f64 * 0.5
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let port = common::free_port();
    let env: Vec<(String, String)> = ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let out = common::almagest(dir.path(), port, &env)
        .args([
            "ingest",
            csv.to_str().unwrap(),
            "--table",
            "t.stars",
            "--description",
            "test stars",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ingested 300 rows into t.stars"));
    common::serve(dir, port, ENV)
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Response {
    common::request(port, method, path, None, content_type, body)
}

fn sync(port: u16, pairs: &[(&str, &str)]) -> Response {
    request(
        port,
        "POST",
        "/tap/sync",
        Some("application/x-www-form-urlencoded"),
        &form(pairs),
    )
}

fn votable_rows(body: &[u8]) -> (Vec<formats::Field>, Vec<Vec<formats::Value>>) {
    use formats::TableReader;
    let mut r = formats::read_votable(std::io::BufReader::new(body)).unwrap();
    let fields = r.fields().to_vec();
    let rows = r.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (fields, rows)
}

#[test]
fn tap_over_http() {
    let s = start();
    let p = s.port;

    // every format gives the same rows (parsed back with the readers)
    let q = "SELECT id, ra, dec, mag, name FROM t.stars ORDER BY id";
    let base = sync(p, &[("LANG", "ADQL"), ("QUERY", q)]);
    assert_eq!(base.status, 200);
    assert_eq!(
        base.header("content-type"),
        Some("application/x-votable+xml;serialization=binary2")
    );
    let (fields, rows) = votable_rows(&base.body);
    assert_eq!(rows.len(), 300);
    assert_eq!(fields[1].unit.as_deref(), Some("deg"));
    assert_eq!(
        fields[1].ucd.as_deref(),
        Some("pos.eq.ra;meta.main"),
        "position columns found by name get a UCD"
    );
    assert_eq!(rows[2][4], formats::Value::Text("Étoile, n°2".into()));
    assert_eq!(rows[0][4], formats::Value::Null);
    for fmt in [
        "votable/td",
        "votable/b",
        "application/x-votable+xml;serialization=TABLEDATA",
    ] {
        let r = sync(
            p,
            &[("LANG", "ADQL"), ("QUERY", q), ("RESPONSEFORMAT", fmt)],
        );
        assert_eq!(r.status, 200, "{fmt}");
        assert_eq!(votable_rows(&r.body).1, rows, "{fmt}");
    }
    let csv = sync(p, &[("LANG", "ADQL"), ("QUERY", q), ("FORMAT", "csv")]);
    assert_eq!(csv.header("content-type"), Some("text/csv;header=present"));
    let parsed: Vec<Vec<formats::Value>> = {
        use formats::TableReader;
        let mut r = formats::read_csv(&csv.body[..], formats::CsvOptions::default()).unwrap();
        let rows = r.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(r.fields().len(), 5);
        rows
    };
    assert_eq!(parsed.len(), 300);
    assert_eq!(parsed[3][4], formats::Value::Text("star <3> & co".into()));
    let json = sync(
        p,
        &[("LANG", "ADQL"), ("QUERY", q), ("RESPONSEFORMAT", "json")],
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(doc["data"].as_array().unwrap().len(), 300);
    assert_eq!(doc["metadata"][1]["name"], "ra");
    // FITS text is ASCII: without the accented names all rows come back; with them the header says why it stopped
    let ascii = "SELECT id, ra, dec, mag FROM t.stars ORDER BY id";
    let fits = sync(
        p,
        &[
            ("LANG", "ADQL"),
            ("QUERY", ascii),
            ("RESPONSEFORMAT", "fits"),
        ],
    );
    assert_eq!(fits.status, 200);
    {
        let mut r = formats::read_fits(std::io::Cursor::new(fits.body.clone())).unwrap();
        let got = r.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(got.len(), 300);
        assert_eq!(got[7][1], rows[7][1], "FITS ra equals the VOTable ra");
        assert!(
            fits.text().contains("QSTATUS = 'OK"),
            "FITS header states success"
        );
    }
    let fits = sync(
        p,
        &[("LANG", "ADQL"), ("QUERY", q), ("RESPONSEFORMAT", "fits")],
    );
    let head = String::from_utf8_lossy(&fits.body[..fits.body.len().min(28_800)]).into_owned();
    assert!(
        head.contains("QSTATUS = 'ERROR"),
        "a non-ASCII string ends a FITS result with QSTATUS=ERROR"
    );
    assert!(
        head.contains("VOTable"),
        "and the message points to VOTable"
    );

    // GET works too, parameter names are case-insensitive, spurious parameters are ignored
    let r = request(
        p,
        "GET",
        "/tap/sync?lang=ADQL&query=SELECT%20COUNT(*)%20FROM%20t.stars&Format=csv&DUMMY=1&REQUEST=doQuery",
        None,
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "count\r\n300\r\n");

    // MAXREC after TOP (TAP 1.1 §2.7.4); the service default and hard limit
    let count = |pairs: &[(&str, &str)]| {
        let r = sync(p, pairs);
        (
            votable_rows(&r.body).1.len(),
            r.text().contains("value=\"OVERFLOW\""),
        )
    };
    assert_eq!(
        count(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT TOP 5 id FROM t.stars"),
            ("MAXREC", "10")
        ]),
        (5, false)
    );
    assert_eq!(
        count(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT TOP 50 id FROM t.stars"),
            ("MAXREC", "10")
        ]),
        (10, true)
    );
    assert_eq!(
        count(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT id FROM t.stars"),
            ("MAXREC", "300")
        ]),
        (300, false)
    );
    assert_eq!(
        count(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT id FROM t.stars"),
            ("MAXREC", "299")
        ]),
        (299, true)
    );
    assert_eq!(
        count(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT id FROM t.stars"),
            ("MAXREC", "0")
        ]),
        (0, true)
    );

    // errors: status code, VOTable with QUERY_STATUS=ERROR and a message naming the problem
    for (pairs, status, needle) in [
        (
            vec![("LANG", "ADQL"), ("QUERY", "SELECT rra FROM t.stars")],
            400,
            "did you mean 'ra'",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT ra FROM t.stars LIMIT 2"),
            ],
            400,
            "LIMIT is not ADQL",
        ),
        (
            vec![("LANG", "SQL"), ("QUERY", "SELECT 1")],
            400,
            "unknown query language",
        ),
        (
            vec![("QUERY", "SELECT ra FROM t.stars")],
            400,
            "missing LANG",
        ),
        (vec![("LANG", "ADQL")], 400, "missing QUERY"),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT ra FROM t.stars"),
                ("MAXREC", "-3"),
            ],
            400,
            "MAXREC",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT ra FROM t.stars"),
                ("RESPONSEFORMAT", "pdf"),
            ],
            400,
            "unsupported RESPONSEFORMAT",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT ra FROM t.stars"),
                ("MAXREC", "1"),
                ("MAXREC", "2"),
            ],
            400,
            "more than once",
        ),
    ] {
        let r = sync(p, &pairs);
        assert_eq!(r.status, status, "{pairs:?}: {}", r.text());
        assert!(
            r.text().contains("QUERY_STATUS\" value=\"ERROR\"") && r.text().contains(needle),
            "{pairs:?}: {}",
            r.text()
        );
    }
    // a body that is not a form
    let r = request(
        p,
        "POST",
        "/tap/sync",
        Some("application/json"),
        b"{\"query\": 1}",
    );
    assert_eq!(r.status, 400);

    // an inline upload in a multipart request, joined with the table by position
    let vot = "<?xml version=\"1.0\"?><VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\"><RESOURCE><TABLE>\
               <FIELD name=\"pid\" datatype=\"int\"/><FIELD name=\"pra\" datatype=\"double\" unit=\"deg\"/><FIELD name=\"pdec\" datatype=\"double\"/>\
               <DATA><TABLEDATA><TR><TD>1</TD><TD>12</TD><TD>-83.5</TD></TR><TR><TD>2</TD><TD>200</TD><TD>70</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>";
    let b = "xYzBoundary";
    let mut mp = String::new();
    for (k, v) in [
        ("LANG", "ADQL"),
        ("UPLOAD", "pts,param:f1"),
        (
            "QUERY",
            "SELECT u.pid, s.id FROM TAP_UPLOAD.pts AS u JOIN t.stars AS s ON 1=CONTAINS(POINT(s.ra, s.dec), CIRCLE(u.pra, u.pdec, 1)) ORDER BY u.pid, s.id",
        ),
    ] {
        mp.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    mp.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"f1\"; filename=\"p.xml\"\r\nContent-Type: application/x-votable+xml\r\n\r\n{vot}\r\n--{b}--\r\n"));
    let r = request(
        p,
        "POST",
        "/tap/sync",
        Some(&format!("multipart/form-data; boundary={b}")),
        mp.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let (_, rows) = votable_rows(&r.body);
    // brute force: the stars within 1 degree of each uploaded point
    let sep = |(a1, d1): (f64, f64), (a2, d2): (f64, f64)| {
        let (a1, d1, a2, d2) = (
            a1.to_radians(),
            d1.to_radians(),
            a2.to_radians(),
            d2.to_radians(),
        );
        let h =
            ((d2 - d1) / 2.0).sin().powi(2) + d1.cos() * d2.cos() * ((a2 - a1) / 2.0).sin().powi(2);
        (2.0 * h.sqrt().asin()).to_degrees()
    };
    let mut expected = Vec::new();
    for (pid, pos) in [(1, (12.0, -83.5)), (2, (200.0, 70.0))] {
        for i in 0..300i64 {
            if sep(pos, ((i as f64 * 1.2) % 360.0, i as f64 * 0.6 - 89.5)) <= 1.0 {
                expected.push((pid, i));
            }
        }
    }
    let got: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (formats::Value::Int(a), formats::Value::Int(b)) => (*a, *b),
            other => panic!("unexpected cells {other:?}"),
        })
        .collect();
    assert!(
        expected.contains(&(1, 10)) && expected.len() >= 3,
        "the fixture has matches: {expected:?}"
    );
    assert_eq!(got, expected, "positional join through the upload");
    // the same table by http:// URL (TAP 1.1 §2.5.3), served by a one-shot local server
    let web = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let web_port = web.local_addr().unwrap().port();
    let body = vot.to_string();
    let web_thread = std::thread::spawn(move || {
        let (mut s, _) = web.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = std::io::Read::read(&mut s, &mut buf);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-votable+xml\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        std::io::Write::write_all(&mut s, head.as_bytes()).unwrap();
        std::io::Write::write_all(&mut s, body.as_bytes()).unwrap();
    });
    let by_url = sync(
        p,
        &[
            ("LANG", "ADQL"),
            ("UPLOAD", &format!("pts,http://127.0.0.1:{web_port}/p.xml")),
            (
                "QUERY",
                "SELECT u.pid, s.id FROM TAP_UPLOAD.pts AS u JOIN t.stars AS s ON 1=CONTAINS(POINT(s.ra, s.dec), CIRCLE(u.pra, u.pdec, 1)) ORDER BY u.pid, s.id",
            ),
        ],
    );
    web_thread.join().unwrap();
    assert_eq!(by_url.status, 200, "{}", by_url.text());
    assert_eq!(
        votable_rows(&by_url.body).1,
        rows,
        "the upload by URL gives the same rows as the inline one"
    );
    let gone = sync(
        p,
        &[
            ("LANG", "ADQL"),
            ("UPLOAD", &format!("pts,http://127.0.0.1:{web_port}/p.xml")),
            ("QUERY", "SELECT * FROM TAP_UPLOAD.pts"),
        ],
    );
    assert_eq!(gone.status, 400);
    assert!(
        gone.text().contains("UPLOAD pts")
            && gone.text().contains(&format!("127.0.0.1:{web_port}")),
        "{}",
        gone.text()
    );

    // a broken upload is a clear error
    let bad = mp.replace("<TR><TD>1</TD>", "<TR><TD>one</TD>");
    let r = request(
        p,
        "POST",
        "/tap/sync",
        Some(&format!("multipart/form-data; boundary={b}")),
        bad.as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("upload"), "{}", r.text());

    // async: create, run, wait, result in the requested format
    let r = request(
        p,
        "POST",
        "/tap/async",
        Some("application/x-www-form-urlencoded"),
        &form(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT COUNT(*) AS n FROM t.stars"),
            ("RESPONSEFORMAT", "csv"),
            ("PHASE", "RUN"),
        ]),
    );
    assert_eq!(r.status, 303);
    let job = r.header("location").unwrap().to_string();
    let path = job.split_once(&format!(":{p}")).unwrap().1.to_string();
    let mut doc = String::new();
    for _ in 0..20 {
        doc = request(p, "GET", &format!("{path}?WAIT=5"), None, b"").text();
        if doc.contains("COMPLETED") || doc.contains("<uws:phase>ERROR") {
            break;
        }
    }
    assert!(doc.contains("COMPLETED"), "{doc}");
    let r = request(p, "GET", &format!("{path}/results/result"), None, b"");
    assert_eq!(r.text(), "n\r\n300\r\n");
    assert_eq!(r.header("content-type"), Some("text/csv;header=present"));

    // VOSI
    let r = request(p, "GET", "/tap/tables/t.stars", None, b"");
    assert!(
        r.status == 200
            && r.text().contains("<name>t.stars</name>")
            && r.text().contains("<unit>deg</unit>")
    );
    assert_eq!(
        request(p, "GET", "/tap/tables/nope.nope", None, b"").status,
        404
    );
    assert_eq!(
        request(p, "POST", "/tap/capabilities", None, b"").status,
        405
    );
    assert!(
        request(p, "GET", "/tap/availability", None, b"")
            .text()
            .contains("<vosi:available>true</vosi:available>")
    );
}
