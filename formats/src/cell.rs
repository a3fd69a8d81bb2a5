//! Converting a [`Value`] to a column's declared type, and rendering it as text.
//!
//! Conversions are exact or refused: an integer that does not fit a `short` column, a non-integral float in an
//! `int` column or unparsable text in a `double` column is an error naming the value, never a silent wrap or
//! truncation. Every writer goes through these functions, so all formats agree on what a cell means.

use crate::Value;
use crate::datatype::{ColumnType, Datatype};
use std::borrow::Cow;

/// The inclusive range of an integer datatype.
pub(crate) fn int_range(dt: Datatype) -> (i64, i64) {
    match dt {
        Datatype::UnsignedByte => (0, 255),
        Datatype::Short => (i16::MIN as i64, i16::MAX as i64),
        Datatype::Int => (i32::MIN as i64, i32::MAX as i64),
        Datatype::Bit | Datatype::Boolean => (0, 1),
        _ => (i64::MIN, i64::MAX),
    }
}

/// An integer cell, range-checked against `dt`.
pub(crate) fn to_int(v: &Value, dt: Datatype) -> Result<Option<i64>, String> {
    let i = match v {
        Value::Null => return Ok(None),
        Value::Int(i) => *i,
        Value::Bool(b) => i64::from(*b),
        Value::Float(f) => float_to_int(*f)?,
        Value::Text(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            parse_int(s)?
        }
        Value::Bytes(_) => return Err("binary data where an integer was expected".into()),
    };
    check_range(i, dt)?;
    Ok(Some(i))
}

fn float_to_int(f: f64) -> Result<i64, String> {
    // i64::MAX as f64 rounds up to 2^63, which does not fit: the upper bound is exclusive.
    if f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
    {
        Ok(f as i64)
    } else {
        Err(format!("{f} is not an integer"))
    }
}

fn check_range(i: i64, dt: Datatype) -> Result<(), String> {
    let (lo, hi) = int_range(dt);
    if i < lo || i > hi {
        return Err(format!(
            "{i} is out of the range of {} ({lo}..={hi})",
            dt.name()
        ));
    }
    Ok(())
}

/// Parses an integer token (decimal, optional sign; `0x` hexadecimal as ADQL allows).
pub(crate) fn parse_int(s: &str) -> Result<i64, String> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(i);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X"))
        && let Ok(u) = i64::from_str_radix(h, 16)
    {
        return Ok(if neg { -u } else { u });
    }
    if let Ok(f) = s.parse::<f64>() {
        return float_to_int(f).map_err(|_| format!("'{s}' is not an integer"));
    }
    Err(format!("'{s}' is not an integer"))
}

/// An integer element of an array column, range-checked.
pub(crate) fn parse_int_in(s: &str, dt: Datatype) -> Result<i64, String> {
    let i = parse_int(s)?;
    check_range(i, dt)?;
    Ok(i)
}

/// Parses a floating-point token; `NaN`, `Inf`, `+Inf`, `-Infinity` (any case) included.
pub(crate) fn parse_float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("'{s}' is not a number"))
}

/// A floating-point cell.
pub(crate) fn to_float(v: &Value) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Float(f) => Ok(Some(*f)),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::Bool(b) => Ok(Some(f64::from(u8::from(*b)))),
        Value::Text(s) => {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                parse_float(s).map(Some)
            }
        }
        Value::Bytes(_) => Err("binary data where a number was expected".into()),
    }
}

/// Parses a boolean token: DALI `true|false|1|0`, plus VOTable `T|F`; `?` is null.
pub(crate) fn parse_bool(s: &str) -> Result<Option<bool>, String> {
    match s.trim() {
        "" | "?" => Ok(None),
        "1" => Ok(Some(true)),
        "0" => Ok(Some(false)),
        t if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("t") => Ok(Some(true)),
        t if t.eq_ignore_ascii_case("false") || t.eq_ignore_ascii_case("f") => Ok(Some(false)),
        t => Err(format!("'{t}' is not a boolean")),
    }
}

/// A boolean cell.
pub(crate) fn to_bool(v: &Value) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Int(0) => Ok(Some(false)),
        Value::Int(1) => Ok(Some(true)),
        Value::Int(i) => Err(format!("{i} is not a boolean (0 or 1)")),
        Value::Float(f) if *f == 0.0 => Ok(Some(false)),
        Value::Float(f) if *f == 1.0 => Ok(Some(true)),
        Value::Float(f) => Err(format!("{f} is not a boolean (0 or 1)")),
        Value::Text(s) => parse_bool(s),
        Value::Bytes(_) => Err("binary data where a boolean was expected".into()),
    }
}

/// A text cell. Numbers are rendered in their shortest round-trip form; timestamps get DALI's `T`.
pub(crate) fn to_text<'a>(v: &'a Value, col: &ColumnType) -> Result<Option<Cow<'a, str>>, String> {
    let s: Cow<'a, str> = match v {
        Value::Null => return Ok(None),
        Value::Text(s) => Cow::Borrowed(s.as_str()),
        Value::Int(i) => Cow::Owned(itoa::Buffer::new().format(*i).to_string()),
        Value::Float(f) => Cow::Owned(float_text(*f)),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => return Err(format!("binary data is not UTF-8 text ({e})")),
        },
    };
    Ok(Some(if col.timestamp { dali_timestamp(s) } else { s }))
}

/// `2024-01-02 03:04:05` (SQL) becomes `2024-01-02T03:04:05` (DALI 1.1 §3.3.3); anything else is kept.
pub(crate) fn dali_timestamp(s: Cow<'_, str>) -> Cow<'_, str> {
    let b = s.as_bytes();
    if b.len() > 11 && b[10] == b' ' && b[4] == b'-' && b[7] == b'-' && b[11].is_ascii_digit() {
        let mut o = s.into_owned();
        o.replace_range(10..11, "T");
        Cow::Owned(o)
    } else {
        s
    }
}

fn float_text(f: f64) -> String {
    if f.is_finite() {
        ryu::Buffer::new().format_finite(f).to_string()
    } else if f.is_nan() {
        "NaN".into()
    } else if f > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// The elements of an array cell, before conversion to the element type.
pub(crate) enum Elements<'a> {
    /// A null array.
    Null,
    /// Text tokens (DALI: whitespace separated; commas and `{}`/`[]`/`()` around are tolerated).
    Tokens(&'a str),
    /// Raw bytes, for `unsignedByte` arrays.
    Bytes(&'a [u8]),
    /// One number given for an array column.
    Single(&'a Value),
}

impl<'a> Elements<'a> {
    /// Splits a cell of an array column.
    pub(crate) fn of(v: &'a Value) -> Elements<'a> {
        match v {
            Value::Null => Elements::Null,
            Value::Text(s) => Elements::Tokens(s),
            Value::Bytes(b) => Elements::Bytes(b),
            other => Elements::Single(other),
        }
    }
}

/// Iterates the tokens of a DALI array text.
pub(crate) fn tokens(s: &str) -> impl Iterator<Item = &str> {
    let s = s
        .trim()
        .trim_start_matches(['{', '[', '('])
        .trim_end_matches(['}', ']', ')']);
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
}

/// How non-finite numbers, booleans, nulls in arrays and arrays themselves are spelled in a text format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub nan: &'static str,
    pub pos_inf: &'static str,
    pub neg_inf: &'static str,
    /// NaN inside an array (never empty: it would shift the other elements).
    pub nan_in_array: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub array_open: &'static str,
    pub array_sep: &'static str,
    pub array_close: &'static str,
}

impl TextStyle {
    /// VOTable TABLEDATA (VOTable 1.4 §5.1).
    pub(crate) const TABLEDATA: TextStyle = TextStyle {
        nan: "NaN",
        pos_inf: "+Inf",
        neg_inf: "-Inf",
        nan_in_array: "NaN",
        yes: "T",
        no: "F",
        array_open: "",
        array_sep: " ",
        array_close: "",
    };
    /// CSV and TSV: NaN is an empty cell, as spreadsheets and astropy read it.
    pub(crate) const CSV: TextStyle = TextStyle {
        nan: "",
        pos_inf: "Infinity",
        neg_inf: "-Infinity",
        nan_in_array: "NaN",
        yes: "true",
        no: "false",
        array_open: "",
        array_sep: " ",
        array_close: "",
    };
    /// JSON: non-finite numbers are `null` (JSON has no NaN), arrays are JSON arrays.
    pub(crate) const JSON: TextStyle = TextStyle {
        nan: "null",
        pos_inf: "null",
        neg_inf: "null",
        nan_in_array: "null",
        yes: "true",
        no: "false",
        array_open: "[",
        array_sep: ",",
        array_close: "]",
    };
}

/// What [`render`] produced.
pub(crate) enum Rendered<'a> {
    /// SQL NULL: the format writes its null (empty cell, `<TD/>`, `null`).
    Null,
    /// Text that the format must quote/escape itself.
    Text(Cow<'a, str>),
    /// Already appended to the buffer; plain ASCII that needs no escaping.
    Done,
}

/// Renders a cell for a text format: numbers and booleans straight into `buf`, text handed back for escaping.
pub(crate) fn render<'a>(
    buf: &mut Vec<u8>,
    col: &ColumnType,
    v: &'a Value,
    style: &TextStyle,
) -> Result<Rendered<'a>, String> {
    if col.datatype.is_text() {
        return Ok(match to_text(v, col)? {
            None => Rendered::Null,
            Some(s) => Rendered::Text(s),
        });
    }
    if col.arraysize.is_scalar() {
        match scalar(buf, col.datatype, v, style, false)? {
            true => Ok(Rendered::Done),
            false => Ok(Rendered::Null),
        }
    } else {
        array(buf, col, v, style)
    }
}

/// Appends one scalar; `false` when it is null.
fn scalar(
    buf: &mut Vec<u8>,
    dt: Datatype,
    v: &Value,
    style: &TextStyle,
    in_array: bool,
) -> Result<bool, String> {
    match dt {
        Datatype::Boolean => match to_bool(v)? {
            None => Ok(false),
            Some(b) => {
                buf.extend_from_slice(if b { style.yes } else { style.no }.as_bytes());
                Ok(true)
            }
        },
        Datatype::Float | Datatype::Double => match to_float(v)? {
            None => Ok(false),
            Some(f) => {
                push_float(buf, f, dt == Datatype::Float, style, in_array);
                Ok(true)
            }
        },
        Datatype::FloatComplex | Datatype::DoubleComplex => {
            Err("a complex value must be given as text 're im'".into())
        }
        _ => match to_int(v, dt)? {
            None => Ok(false),
            Some(i) => {
                buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                Ok(true)
            }
        },
    }
}

/// Appends a float in shortest round-trip form (as `f32` for `float` columns).
pub(crate) fn push_float(
    buf: &mut Vec<u8>,
    f: f64,
    single: bool,
    style: &TextStyle,
    in_array: bool,
) {
    if f.is_nan() {
        buf.extend_from_slice(
            if in_array {
                style.nan_in_array
            } else {
                style.nan
            }
            .as_bytes(),
        );
    } else if f.is_infinite() {
        buf.extend_from_slice(
            if f > 0.0 {
                style.pos_inf
            } else {
                style.neg_inf
            }
            .as_bytes(),
        );
    } else if single {
        let g = f as f32;
        if g.is_finite() {
            buf.extend_from_slice(ryu::Buffer::new().format_finite(g).as_bytes());
        } else {
            buf.extend_from_slice(
                if g > 0.0 {
                    style.pos_inf
                } else {
                    style.neg_inf
                }
                .as_bytes(),
            );
        }
    } else {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
    }
}

fn array<'a>(
    buf: &mut Vec<u8>,
    col: &ColumnType,
    v: &'a Value,
    style: &TextStyle,
) -> Result<Rendered<'a>, String> {
    let dt = col.datatype;
    let start = buf.len();
    buf.extend_from_slice(style.array_open.as_bytes());
    let mut n = 0usize;
    let sep = |buf: &mut Vec<u8>, n: &mut usize| {
        if *n > 0 {
            buf.extend_from_slice(style.array_sep.as_bytes());
        }
        *n += 1;
    };
    match Elements::of(v) {
        Elements::Null => {
            buf.truncate(start);
            return Ok(Rendered::Null);
        }
        Elements::Bytes(bytes) => {
            if dt != Datatype::UnsignedByte {
                return Err(format!("binary data in a {} array column", dt.name()));
            }
            for b in bytes {
                sep(buf, &mut n);
                buf.extend_from_slice(itoa::Buffer::new().format(*b).as_bytes());
            }
        }
        Elements::Single(v) => {
            sep(buf, &mut n);
            if !scalar(buf, dt, v, style, true)? {
                buf.truncate(start);
                return Ok(Rendered::Null);
            }
        }
        Elements::Tokens(s) => {
            for t in tokens(s) {
                sep(buf, &mut n);
                match dt {
                    Datatype::Float
                    | Datatype::Double
                    | Datatype::FloatComplex
                    | Datatype::DoubleComplex => {
                        let single = matches!(dt, Datatype::Float | Datatype::FloatComplex);
                        push_float(buf, parse_float(t)?, single, style, true)
                    }
                    Datatype::Boolean => {
                        let b = parse_bool(t)?
                            .ok_or_else(|| "null inside a boolean array".to_string())?;
                        buf.extend_from_slice(if b { style.yes } else { style.no }.as_bytes());
                    }
                    _ => buf.extend_from_slice(
                        itoa::Buffer::new().format(parse_int_in(t, dt)?).as_bytes(),
                    ),
                }
            }
        }
    }
    check_count(col, n)?;
    buf.extend_from_slice(style.array_close.as_bytes());
    Ok(Rendered::Done)
}

/// Checks the number of numbers in an array cell against the arraysize.
pub(crate) fn check_count(col: &ColumnType, numbers: usize) -> Result<(), String> {
    let per = col.datatype.numbers_per_element();
    if !numbers.is_multiple_of(per) {
        return Err(format!(
            "{numbers} numbers do not make whole {} values",
            col.datatype.name()
        ));
    }
    let n = numbers / per;
    let unit = col.arraysize.unit().max(1);
    let shape = col.arraysize_text().unwrap_or_default();
    match col.arraysize.fixed_len() {
        Some(f) if n != f => Err(format!("{n} elements where arraysize {shape} needs {f}")),
        None if !n.is_multiple_of(unit) => Err(format!(
            "{n} elements do not fill whole rows of arraysize {shape}"
        )),
        None if col.arraysize.max_len().is_some_and(|m| n > m) => {
            Err(format!("{n} elements exceed arraysize {shape}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Field;

    fn col(dt: &str, arraysize: Option<&str>, xtype: Option<&str>) -> ColumnType {
        ColumnType::of(&Field {
            name: "c".into(),
            datatype: dt.into(),
            arraysize: arraysize.map(str::to_string),
            xtype: xtype.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
    }

    fn text(c: &ColumnType, v: Value, style: &TextStyle) -> Result<String, String> {
        let mut buf = Vec::new();
        Ok(match render(&mut buf, c, &v, style)? {
            Rendered::Null => "<null>".into(),
            Rendered::Text(t) => t.into_owned(),
            Rendered::Done => String::from_utf8(buf).unwrap(),
        })
    }

    #[test]
    fn integers_are_range_checked_not_wrapped() {
        let short = col("short", None, None);
        assert_eq!(
            text(&short, Value::Int(32767), &TextStyle::TABLEDATA).unwrap(),
            "32767"
        );
        let e = text(&short, Value::Int(40000), &TextStyle::TABLEDATA).unwrap_err();
        assert!(e.contains("40000 is out of the range of short"), "{e}");
        assert!(
            text(&short, Value::Float(2.5), &TextStyle::TABLEDATA)
                .unwrap_err()
                .contains("not an integer")
        );
        assert_eq!(
            text(&short, Value::Float(-3.0), &TextStyle::TABLEDATA).unwrap(),
            "-3"
        );
        assert_eq!(
            text(&short, Value::Bool(true), &TextStyle::TABLEDATA).unwrap(),
            "1"
        );
    }

    #[test]
    fn floats_use_shortest_round_trip_and_style_for_non_finite() {
        let d = col("double", None, None);
        let f = col("float", None, None);
        assert_eq!(text(&d, Value::Float(0.1), &TextStyle::CSV).unwrap(), "0.1");
        assert_eq!(text(&f, Value::Float(0.1), &TextStyle::CSV).unwrap(), "0.1");
        assert_eq!(text(&d, Value::Int(3), &TextStyle::CSV).unwrap(), "3.0");
        assert_eq!(
            text(&d, Value::Float(f64::NAN), &TextStyle::TABLEDATA).unwrap(),
            "NaN"
        );
        assert_eq!(
            text(&d, Value::Float(f64::NAN), &TextStyle::CSV).unwrap(),
            ""
        );
        assert_eq!(
            text(&d, Value::Float(f64::NEG_INFINITY), &TextStyle::TABLEDATA).unwrap(),
            "-Inf"
        );
        assert_eq!(
            text(&d, Value::Float(f64::INFINITY), &TextStyle::JSON).unwrap(),
            "null"
        );
        assert_eq!(
            text(&d, Value::Text(" 2.5 ".into()), &TextStyle::CSV).unwrap(),
            "2.5"
        );
        assert!(
            text(&d, Value::Text("abc".into()), &TextStyle::CSV)
                .unwrap_err()
                .contains("'abc' is not a number")
        );
    }

    #[test]
    fn dali_geometry_text_becomes_arrays_and_counts_are_checked() {
        let point = col("double", Some("2"), Some("point"));
        assert_eq!(
            text(
                &point,
                Value::Text("10.5 -3.25".into()),
                &TextStyle::TABLEDATA
            )
            .unwrap(),
            "10.5 -3.25"
        );
        assert_eq!(
            text(&point, Value::Text("10.5 -3.25".into()), &TextStyle::JSON).unwrap(),
            "[10.5,-3.25]"
        );
        let e = text(&point, Value::Text("1 2 3".into()), &TextStyle::TABLEDATA).unwrap_err();
        assert!(e.contains("3 elements where arraysize 2 needs 2"), "{e}");
        let poly = col("double", Some("*"), Some("polygon"));
        assert_eq!(
            text(&poly, Value::Text("{1,2,3,4,5,6}".into()), &TextStyle::CSV).unwrap(),
            "1.0 2.0 3.0 4.0 5.0 6.0"
        );
        let bytes = col("unsignedByte", Some("*"), None);
        assert_eq!(
            text(&bytes, Value::Bytes(vec![0, 255]), &TextStyle::TABLEDATA).unwrap(),
            "0 255"
        );
    }

    #[test]
    fn timestamps_get_the_dali_t() {
        let ts = col("char", Some("*"), Some("timestamp"));
        assert_eq!(
            text(
                &ts,
                Value::Text("2024-01-02 03:04:05".into()),
                &TextStyle::CSV
            )
            .unwrap(),
            "2024-01-02T03:04:05"
        );
        assert_eq!(
            text(&ts, Value::Text("2024-01-02".into()), &TextStyle::CSV).unwrap(),
            "2024-01-02"
        );
    }

    #[test]
    fn booleans_accept_dali_literals() {
        let b = col("boolean", None, None);
        assert_eq!(text(&b, Value::Int(1), &TextStyle::TABLEDATA).unwrap(), "T");
        assert_eq!(
            text(&b, Value::Text("false".into()), &TextStyle::JSON).unwrap(),
            "false"
        );
        assert!(text(&b, Value::Int(2), &TextStyle::JSON).is_err());
    }
}
