//! PostgreSQL values that sqlx decodes only with extra features (NUMERIC, dates and times, UUID), read from their
//! binary wire form: NUMERIC becomes a float (the nearest double), dates and timestamps DALI/ISO 8601 text
//! (`YYYY-MM-DDThh:mm:ss[.ffffff]`, timestamptz in UTC), UUIDs and JSON their usual text.

use formats::Value;

/// Decodes the binary wire value of type `name`; `None` when the type is not one of those handled here.
pub(crate) fn decode(name: &str, bytes: &[u8]) -> Option<Result<Value, String>> {
    Some(match name {
        "NUMERIC" => numeric(bytes).map(Value::Float),
        "TIMESTAMP" | "TIMESTAMPTZ" => timestamp(bytes).map(Value::Text),
        "DATE" => date(bytes).map(Value::Text),
        "TIME" => time(bytes).map(Value::Text),
        "UUID" => uuid(bytes).map(Value::Text),
        // the one-byte internal type "char"
        "\"CHAR\"" => Ok(Value::Text(bytes.iter().map(|b| char::from(*b)).collect())),
        "JSON" => String::from_utf8(bytes.to_vec())
            .map(Value::Text)
            .map_err(|e| e.to_string()),
        // version byte 1, then the JSON text
        "JSONB" => match bytes.split_first() {
            Some((1, rest)) => String::from_utf8(rest.to_vec())
                .map(Value::Text)
                .map_err(|e| e.to_string()),
            _ => Err("unknown jsonb version".into()),
        },
        _ => return None,
    })
}

fn be_i16(b: &[u8], at: usize) -> Result<i16, String> {
    b.get(at..at + 2)
        .map(|s| i16::from_be_bytes([s[0], s[1]]))
        .ok_or_else(|| "truncated value".to_string())
}

fn be_i32(b: &[u8]) -> Result<i32, String> {
    <[u8; 4]>::try_from(b)
        .map(i32::from_be_bytes)
        .map_err(|_| "a 4-byte value was expected".to_string())
}

fn be_i64(b: &[u8]) -> Result<i64, String> {
    <[u8; 8]>::try_from(b)
        .map(i64::from_be_bytes)
        .map_err(|_| "an 8-byte value was expected".to_string())
}

/// NUMERIC: ndigits, weight, sign, dscale (i16 each), then base-10000 digits; value = Σ d_k · 10000^(weight-k).
fn numeric(b: &[u8]) -> Result<f64, String> {
    let ndigits = be_i16(b, 0)?.max(0) as usize;
    let weight = be_i16(b, 2)? as i64;
    let sign = be_i16(b, 4)? as u16;
    match sign {
        0xC000 => return Ok(f64::NAN),
        0xD000 => return Ok(f64::INFINITY),
        0xF000 => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    if ndigits == 0 {
        return Ok(0.0);
    }
    let mut text = String::with_capacity(ndigits * 4 + 8);
    if sign == 0x4000 {
        text.push('-');
    }
    for k in 0..ndigits {
        let d = be_i16(b, 8 + 2 * k)?;
        if !(0..10_000).contains(&d) {
            return Err(format!("bad NUMERIC digit {d}"));
        }
        text.push_str(&format!("{d:04}"));
    }
    // the digits read as an integer, scaled: the last digit group has weight `weight - ndigits + 1`
    text.push_str(&format!("e{}", 4 * (weight - ndigits as i64 + 1)));
    text.parse().map_err(|e| format!("NUMERIC {text}: {e}"))
}

/// Days since 2000-01-01 to (year, month, day) in the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn civil(days_since_2000: i64) -> (i64, u32, u32) {
    let z = days_since_2000 + 10_957 + 719_468; // to days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y, m, d)
}

fn ymd(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn hms(micros_of_day: i64) -> String {
    let s = micros_of_day / 1_000_000;
    let us = micros_of_day % 1_000_000;
    let base = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if us == 0 {
        base
    } else {
        let frac = format!("{us:06}");
        format!("{base}.{}", frac.trim_end_matches('0'))
    }
}

/// TIMESTAMP(TZ): microseconds since 2000-01-01 00:00:00 (UTC for timestamptz).
fn timestamp(b: &[u8]) -> Result<String, String> {
    let us = be_i64(b)?;
    match us {
        i64::MAX => return Ok("infinity".into()),
        i64::MIN => return Ok("-infinity".into()),
        _ => {}
    }
    let day = 86_400_000_000i64;
    Ok(format!(
        "{}T{}",
        ymd(us.div_euclid(day)),
        hms(us.rem_euclid(day))
    ))
}

/// DATE: days since 2000-01-01.
fn date(b: &[u8]) -> Result<String, String> {
    match be_i32(b)? {
        i32::MAX => Ok("infinity".into()),
        i32::MIN => Ok("-infinity".into()),
        d => Ok(ymd(d as i64)),
    }
}

/// TIME: microseconds since midnight.
fn time(b: &[u8]) -> Result<String, String> {
    Ok(hms(be_i64(b)?))
}

fn uuid(b: &[u8]) -> Result<String, String> {
    if b.len() != 16 {
        return Err("a UUID has 16 bytes".into());
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates() {
        assert_eq!(ymd(0), "2000-01-01");
        assert_eq!(ymd(59), "2000-02-29");
        assert_eq!(ymd(-1), "1999-12-31");
        assert_eq!(ymd(-10_957), "1970-01-01");
        assert_eq!(ymd(9_132), "2025-01-01");
        assert_eq!(hms(0), "00:00:00");
        assert_eq!(hms(45_296_500_000), "12:34:56.5");
    }

    #[test]
    fn numerics() {
        // 12345.678: ndigits 3, weight 1, sign +, dscale 3, digits 1 2345 6780
        let mut b = vec![0, 3, 0, 1, 0, 0, 0, 3];
        for d in [1i16, 2345, 6780] {
            b.extend(d.to_be_bytes());
        }
        assert_eq!(numeric(&b).unwrap(), 12345.678);
        // -0.0001: ndigits 1, weight -1, sign -, digit 1
        let b = [0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1];
        assert_eq!(numeric(&b).unwrap(), -0.0001);
        assert!(numeric(&[0, 0, 0, 0, 0xC0, 0, 0, 0]).unwrap().is_nan());
        assert!(numeric(&[0, 5]).is_err());
    }
}
