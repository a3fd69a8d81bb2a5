//! The non-geometric runtime functions (FUNCTIONS.md): LIKE variants, the RegTAP text functions, ROUND, TRUNCATE
//! and RAND, in safe Rust. Each gives the answers of its PostgreSQL counterpart in
//! `schemas/postgres/adql_functions.sql` (checked by the cross-backend test).

/// Lower case, one character at a time (Unicode simple lowercase mapping, as PostgreSQL's `lower()` does on a
/// UTF-8 database: `Σ` becomes `σ` wherever it stands, `İ` becomes `i`).
pub fn lower(s: &str) -> String {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// SQL LIKE with `%` and `_`, case-sensitive, no escape character (ADQL has none).
pub fn like(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    // position after the last `%` seen, and the value position it was tried at
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while i < v.len() {
        if j < p.len() && (p[j] == '_' || (p[j] != '%' && p[j] == v[i])) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(s) = star {
            j = s + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

/// Case-insensitive LIKE (both sides through [`lower`]).
pub fn ilike(value: &str, pattern: &str) -> bool {
    like(&lower(value), &lower(pattern))
}

/// RegTAP 1.1 §9 `ivo_hasword`: `needle` (spaces around it ignored) occurs in `haystack` ignoring case, with no
/// letter, digit or underscore right before or after it.
pub fn has_word(haystack: &str, needle: &str) -> bool {
    let h = lower(haystack);
    let n = lower(needle.trim_matches(' '));
    if n.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(i) = h[start..].find(&n) {
        let at = start + i;
        let before = h[..at].chars().next_back();
        let after = h[at + n.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
        // try the next occurrence, overlapping ones included
        start = at + h[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// RegTAP 1.1 §9 `ivo_hashlist_has`: `item` is one of the `#`-separated entries, ignoring case (and spaces around
/// entries). An empty list has no entries.
pub fn hashlist_has(list: &str, item: &str) -> bool {
    let item = lower(item.trim_matches(' '));
    !list.is_empty() && list.split('#').any(|e| lower(e.trim_matches(' ')) == item)
}

/// ADQL ROUND(x, n) of a floating-point value, as PostgreSQL computes `round(x::numeric, n)::float8`: the value
/// to 15 significant digits (PostgreSQL's float8 → numeric), rounded to `n` decimals half away from zero, read
/// back to the nearest double. So 4.55 rounds to 4.6 on both backends.
pub fn round(x: f64, n: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // "d.dddddddddddddde±X": 15 significant digits, correctly rounded like C's %.15g
    let sci = format!("{:.14e}", x.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return x;
    };
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    // the value is 0.DIGITS × 10^(exp+1); keep the digits in front of the n-th decimal
    let keep = exp + 1 + n.clamp(-400, 400);
    if keep >= digits.len() as i64 {
        return x.signum()
            * format!("{mantissa}e{exp}")
                .parse::<f64>()
                .unwrap_or(x.abs());
    }
    if keep < 0 {
        return 0.0 * x.signum();
    }
    let keep = keep as usize;
    let mut kept: Vec<u8> = digits[..keep].to_vec();
    if digits[keep] >= b'5' {
        // carry
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    if kept.is_empty() {
        return 0.0 * x.signum();
    }
    let text = format!("{}e{}", String::from_utf8_lossy(&kept), -n.clamp(-400, 400));
    x.signum() * text.parse::<f64>().unwrap_or(f64::NAN)
}

/// ADQL ROUND(x, n) of an integer value: exact, as PostgreSQL's numeric rounding of an integer is.
pub fn round_int(x: i64, n: i64) -> f64 {
    if n >= 0 {
        return x as f64;
    }
    let Some(k) = 10i128.checked_pow((-n).min(38) as u32) else {
        return 0.0;
    };
    let x = x as i128;
    let q = x / k;
    let r = (x % k).abs();
    let q = if 2 * r >= k { q + x.signum() } else { q };
    (q * k) as f64
}

/// ADQL TRUNCATE(x, n): `trunc(x * 10^n) / 10^n` with `n` limited to ±300 (the PostgreSQL version computes the
/// same expression).
pub fn truncate(x: f64, n: i64) -> f64 {
    let k = 10f64.powf(n.clamp(-300, 300) as f64);
    (x * k).trunc() / k
}

/// ADQL RAND(seed): a deterministic value in [0, 1) for a seed; the same expression as the PostgreSQL version
/// (`fract(sin(seed) * 43758.5453123)`), so both backends agree.
pub fn rand(seed: i64) -> f64 {
    let x = (seed as f64).sin() * 43758.5453123;
    x - x.floor()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("HD 1234", "HD%"));
        assert!(!like("hd 1234", "HD%"));
        assert!(ilike("hd 1234", "HD%"));
        assert!(like("abc", "a_c"));
        assert!(like("ab", "%%ab%"));
        assert!(!like("abc", "a_"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("a%b", "a%b"));
        assert!(like("a\\b", "a\\b"));
        assert!(!like("ab", "a\\b"));
        assert!(like("aXbXc", "%b%c"));
        assert!(like("mississippi", "%iss%ppi"));
        assert!(like("ünïcödé", "_n_c%é"));
        assert!(ilike("ÉTOILE", "étoile"));
        assert!(ilike("ΣΑΣ", "σασ"));
    }

    #[test]
    fn lower_is_a_character_mapping() {
        assert_eq!(lower("ÉTOILE ΣΑΣ İ"), "étoile σασ i");
        assert_eq!(lower("ß"), "ß");
    }

    #[test]
    fn decimal_rounding_like_postgresql_numeric() {
        assert_eq!(round(4.55, 1), 4.6);
        assert_eq!(round(2.5, 0), 3.0);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(1234.5678, 2), 1234.57);
        assert_eq!(round(1250.0, -2), 1300.0);
        assert_eq!(round(0.1 + 0.2, 1), 0.3);
        assert_eq!(round(0.1 + 0.2, 17), 0.3);
        assert_eq!(round(9.999, 2), 10.0);
        assert_eq!(round(0.004, 2), 0.0);
        assert_eq!(round(0.005, 2), 0.01);
        assert_eq!(round(-0.005, 2), -0.01);
        assert_eq!(round(123.0, -5), 0.0);
        assert_eq!(round(1e300, 2), 1e300);
        assert_eq!(round(1.0000000000000002, 16), 1.0);
        assert_eq!(round_int(1250, -2), 1300.0);
        assert_eq!(round_int(-1250, -2), -1300.0);
        assert_eq!(round_int(-1249, -2), -1200.0);
        assert_eq!(round_int(42, 3), 42.0);
        assert_eq!(round_int(i64::MAX, -40), 0.0);
    }

    #[test]
    fn regtap_functions() {
        assert!(has_word("A quasar catalogue", "QUASAR"));
        assert!(has_word("quasar", " quasar "));
        assert!(has_word("radio, quasar.", "quasar"));
        assert!(!has_word("quasars everywhere", "quasar"));
        assert!(!has_word("a_quasar", "quasar"));
        assert!(has_word("ba a a", "a a"));
        assert!(!has_word("x xx x", "x x"));
        assert!(has_word("Étoiles doubles", "ÉTOILES"));
        assert!(!has_word("anything", ""));
        assert!(has_word("c++ code", "c++"));
        assert!(hashlist_has("optical#radio", "Radio"));
        assert!(hashlist_has("optical#Radio", "radio"));
        assert!(!hashlist_has("optical#radio", "x-ray"));
        assert!(!hashlist_has("optical#radio", "optical#radio"));
        assert!(!hashlist_has("", ""));
        assert!(hashlist_has("a##b", ""));
    }

    #[test]
    fn truncation_and_random_values() {
        assert_eq!(truncate(5.149, 2), 5.14);
        assert_eq!(truncate(-5.149, 1), -5.1);
        assert_eq!(truncate(1234.5, -2), 1200.0);
        let r = rand(42);
        assert!((0.0..1.0).contains(&r) && r == rand(42) && r != rand(43));
    }
}
