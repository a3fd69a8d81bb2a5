//! Throughput of the writers (and readers) on synthetic results, written to a counting sink.
//!
//! `cargo run --release -p formats --example bench -- [rows]` (default 2,000,000). Results go in BENCHMARKS.md.
#![allow(clippy::unwrap_used)]

use formats::{End, Field, OutputFormat, ResultMeta, Value, writer_for};
use std::io::{self, Write};
use std::time::Instant;

/// Counts bytes and drops them.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn field(name: &str, datatype: &str, arraysize: Option<&str>) -> Field {
    Field {
        name: name.into(),
        datatype: datatype.into(),
        arraysize: arraysize.map(str::to_string),
        ..Default::default()
    }
}

fn numeric_row(i: i64) -> Vec<Value> {
    let x = i as f64;
    vec![
        Value::Int(i),
        Value::Float(x * 0.000123 + 10.5),
        Value::Float(-45.0 + x * 1e-7),
        Value::Float((i % 2000) as f64 / 100.0),
        if i % 10 == 0 {
            Value::Null
        } else {
            Value::Int(i % 100_000)
        },
    ]
}

fn mixed_row(i: i64) -> Vec<Value> {
    let mut r = numeric_row(i);
    r.push(Value::Text(format!("Gaia DR3 {}", 4_000_000_000_000 + i)));
    r.push(Value::Text(format!(
        "{} {}",
        10.0 + (i % 360) as f64 * 0.5,
        -30.25
    )));
    r
}

fn run(
    label: &str,
    format: OutputFormat,
    fields: &[Field],
    rows: u64,
    make: fn(i64) -> Vec<Value>,
) {
    let mut sink = Counter(0);
    let start = Instant::now();
    {
        let mut w = writer_for(format, &mut sink);
        w.begin(&ResultMeta::default(), fields).expect("begin");
        for i in 0..rows as i64 {
            w.row(&make(i)).expect("row");
        }
        w.finish(End::Ok).expect("finish");
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = sink.0 as f64 / 1e6;
    println!(
        "| {label} | {format:?} | {rows} | {secs:.2} | {:.2} | {mb:.1} | {:.0} |",
        rows as f64 / secs / 1e6,
        mb / secs
    );
}

fn row_cost(rows: u64, make: fn(i64) -> Vec<Value>) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    for i in 0..rows as i64 {
        n += make(i).len();
    }
    assert!(n > 0);
    start.elapsed().as_secs_f64()
}

/// Peak resident memory of this process (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let numeric = vec![
        field("source_id", "long", None),
        field("ra", "double", None),
        field("dec", "double", None),
        field("mag", "float", None),
        field("n", "int", None),
    ];
    let mut mixed = numeric.clone();
    mixed.push(field("designation", "char", Some("*")));
    mixed.push(Field {
        xtype: Some("point".into()),
        ..field("pos", "double", Some("2"))
    });

    println!(
        "row construction alone: numeric {:.2} s, mixed {:.2} s for {rows} rows",
        row_cost(rows, numeric_row),
        row_cost(rows, mixed_row)
    );
    println!("| columns | format | rows | seconds | M rows/s | MB | MB/s |");
    println!("|---|---|---|---|---|---|---|");
    for f in OutputFormat::all() {
        run("5 numeric", *f, &numeric, rows, numeric_row);
    }
    for f in OutputFormat::all() {
        run("5 numeric + text + point", *f, &mixed, rows, mixed_row);
    }

    println!();
    println!(
        "peak RSS after all writers: {:.1} MB",
        peak_rss_mb().unwrap_or(f64::NAN)
    );

    // Readers: read back what the writers produce (the document is built in memory first).
    println!();
    println!("| reader | rows | seconds | M rows/s |");
    println!("|---|---|---|---|");
    for f in [
        OutputFormat::VotableBinary2,
        OutputFormat::VotableTabledata,
        OutputFormat::Csv,
        OutputFormat::Fits,
    ] {
        let mut buf = Vec::new();
        {
            let mut w = writer_for(f, &mut buf);
            w.begin(&ResultMeta::default(), &numeric).expect("begin");
            for i in 0..rows as i64 {
                w.row(&numeric_row(i)).expect("row");
            }
            w.finish(End::Ok).expect("finish");
        }
        let start = Instant::now();
        let n = match f {
            OutputFormat::Csv => formats::read_csv(buf.as_slice(), Default::default())
                .expect("csv")
                .filter(|r| r.is_ok())
                .count(),
            OutputFormat::Fits => formats::read_fits(io::Cursor::new(&buf))
                .expect("fits")
                .filter(|r| r.is_ok())
                .count(),
            _ => formats::read_votable(buf.as_slice())
                .expect("votable")
                .filter(|r| r.is_ok())
                .count(),
        };
        assert_eq!(n as u64, rows);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "| {f:?} | {rows} | {secs:.2} | {:.2} |",
            rows as f64 / secs / 1e6
        );
    }
}
