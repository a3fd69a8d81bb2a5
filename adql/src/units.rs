//! VOUnit strings (the subset catalogues use) and conversion factors, for IN_UNIT (ADQL 2.1 §4.9).

use std::f64::consts::PI;

/// Dimensions: length, mass, time, angle, temperature, current, amount, luminous intensity, magnitude.
type Dims = [i8; 9];

#[derive(Debug, Clone, Copy, PartialEq)]
struct Quantity {
    factor: f64,
    dims: Dims,
}

const fn d(l: i8, m: i8, t: i8, a: i8) -> Dims {
    [l, m, t, a, 0, 0, 0, 0, 0]
}

/// Units that take SI prefixes, with their factor to SI and dimensions.
const PREFIXABLE: &[(&str, f64, Dims)] = &[
    ("m", 1.0, d(1, 0, 0, 0)),
    ("g", 1e-3, d(0, 1, 0, 0)),
    ("s", 1.0, d(0, 0, 1, 0)),
    ("rad", 1.0, d(0, 0, 0, 1)),
    ("sr", 1.0, d(0, 0, 0, 2)),
    ("K", 1.0, [0, 0, 0, 0, 1, 0, 0, 0, 0]),
    ("A", 1.0, [0, 0, 0, 0, 0, 1, 0, 0, 0]),
    ("mol", 1.0, [0, 0, 0, 0, 0, 0, 1, 0, 0]),
    ("cd", 1.0, [0, 0, 0, 0, 0, 0, 0, 1, 0]),
    ("Hz", 1.0, d(0, 0, -1, 0)),
    ("N", 1.0, d(1, 1, -2, 0)),
    ("J", 1.0, d(2, 1, -2, 0)),
    ("W", 1.0, d(2, 1, -3, 0)),
    ("Pa", 1.0, d(-1, 1, -2, 0)),
    ("eV", 1.602176634e-19, d(2, 1, -2, 0)),
    ("Jy", 1e-26, d(0, 1, -2, 0)),
    ("pc", 3.085_677_581_491_367e16, d(1, 0, 0, 0)),
    ("arcsec", PI / 648000.0, d(0, 0, 0, 1)),
    ("arcmin", PI / 10800.0, d(0, 0, 0, 1)),
    ("deg", PI / 180.0, d(0, 0, 0, 1)),
    ("yr", 31_557_600.0, d(0, 0, 1, 0)),
    ("a", 31_557_600.0, d(0, 0, 1, 0)),
    ("erg", 1e-7, d(2, 1, -2, 0)),
    ("mag", 1.0, [0, 0, 0, 0, 0, 0, 0, 0, 1]),
];

/// Units without prefixes (checked first, so `mas` is milli-arcsecond and `min` is minute).
const PLAIN: &[(&str, f64, Dims)] = &[
    ("mas", PI / 648000.0 * 1e-3, d(0, 0, 0, 1)),
    ("uas", PI / 648000.0 * 1e-6, d(0, 0, 0, 1)),
    ("µas", PI / 648000.0 * 1e-6, d(0, 0, 0, 1)),
    ("min", 60.0, d(0, 0, 1, 0)),
    ("h", 3600.0, d(0, 0, 1, 0)),
    ("d", 86400.0, d(0, 0, 1, 0)),
    ("AU", 1.495978707e11, d(1, 0, 0, 0)),
    ("au", 1.495978707e11, d(1, 0, 0, 0)),
    ("lyr", 9.4607304725808e15, d(1, 0, 0, 0)),
    ("ly", 9.4607304725808e15, d(1, 0, 0, 0)),
    ("Angstrom", 1e-10, d(1, 0, 0, 0)),
    ("angstrom", 1e-10, d(1, 0, 0, 0)),
    ("solMass", 1.98847e30, d(0, 1, 0, 0)),
    ("solRad", 6.957e8, d(1, 0, 0, 0)),
    ("solLum", 3.828e26, d(2, 1, -3, 0)),
    ("%", 0.01, d(0, 0, 0, 0)),
    ("hourangle", PI / 12.0, d(0, 0, 0, 1)),
];

const PREFIXES: &[(&str, f64)] = &[
    ("da", 1e1),
    ("y", 1e-24),
    ("z", 1e-21),
    ("a", 1e-18),
    ("f", 1e-15),
    ("p", 1e-12),
    ("n", 1e-9),
    ("u", 1e-6),
    ("µ", 1e-6),
    ("m", 1e-3),
    ("c", 1e-2),
    ("d", 1e-1),
    ("h", 1e2),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
    ("Z", 1e21),
    ("Y", 1e24),
];

fn unit(sym: &str) -> Option<Quantity> {
    if let Some((_, f, dims)) = PLAIN.iter().chain(PREFIXABLE).find(|(s, _, _)| *s == sym) {
        return Some(Quantity {
            factor: *f,
            dims: *dims,
        });
    }
    for (p, pf) in PREFIXES {
        if let Some(rest) = sym.strip_prefix(p)
            && let Some((_, f, dims)) = PREFIXABLE.iter().find(|(s, _, _)| *s == rest)
        {
            return Some(Quantity {
                factor: pf * f,
                dims: *dims,
            });
        }
    }
    None
}

fn term(t: &str) -> Result<Quantity, String> {
    let t = t.trim();
    let split = t
        .find(|c: char| c == '*' || c == '^' || c == '-' || c == '+' || c.is_ascii_digit())
        .unwrap_or(t.len());
    let (sym, pow) = t.split_at(split);
    let pow = pow.trim_start_matches("**").trim_start_matches('^');
    let exp: i32 = if pow.is_empty() {
        1
    } else {
        pow.parse()
            .map_err(|_| format!("bad power '{pow}' in '{t}'"))?
    };
    let q = unit(sym).ok_or_else(|| format!("unknown unit '{sym}'"))?;
    let mut dims = q.dims;
    for x in &mut dims {
        *x = (*x as i32 * exp).clamp(-100, 100) as i8;
    }
    Ok(Quantity {
        factor: q.factor.powi(exp),
        dims,
    })
}

fn parse(u: &str) -> Result<Quantity, String> {
    let u = u.trim();
    if u.is_empty() {
        return Err("empty unit".into());
    }
    let mut acc = Quantity {
        factor: 1.0,
        dims: [0; 9],
    };
    let mut divide = false;
    let mut cur = String::new();
    let flush = |cur: &mut String, divide: bool, acc: &mut Quantity| -> Result<(), String> {
        if cur.trim().is_empty() {
            return Err(format!("malformed unit '{u}'"));
        }
        let q = term(cur)?;
        cur.clear();
        if divide {
            acc.factor /= q.factor;
            for (a, b) in acc.dims.iter_mut().zip(q.dims) {
                *a -= b;
            }
        } else {
            acc.factor *= q.factor;
            for (a, b) in acc.dims.iter_mut().zip(q.dims) {
                *a += b;
            }
        }
        Ok(())
    };
    let chars: Vec<char> = u.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let is_pow = c == '*' && chars.get(i + 1) == Some(&'*');
        if is_pow {
            cur.push_str("**");
            i += 2;
            continue;
        }
        if c == '.' || c == '*' || c == ' ' {
            flush(&mut cur, divide, &mut acc)?;
        } else if c == '/' {
            flush(&mut cur, divide, &mut acc)?;
            divide = true;
            i += 1;
            continue;
        } else {
            cur.push(c);
        }
        i += 1;
    }
    flush(&mut cur, divide, &mut acc)?;
    Ok(acc)
}

/// The factor turning a value in `from` into `to`, or why not.
pub fn conversion(from: &str, to: &str) -> Result<f64, String> {
    let a = parse(from).map_err(|e| format!("unit '{from}': {e}"))?;
    let b = parse(to).map_err(|e| format!("unit '{to}': {e}"))?;
    if a.dims != b.dims {
        return Err(format!(
            "'{from}' cannot be converted to '{to}': they measure different things"
        ));
    }
    Ok(a.factor / b.factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn common_conversions() {
        assert!(close(conversion("deg", "rad").unwrap(), PI / 180.0));
        assert!(close(conversion("deg", "arcsec").unwrap(), 3600.0));
        assert!(close(conversion("mas", "deg").unwrap(), 1.0 / 3_600_000.0));
        assert!(close(
            conversion("mas/yr", "rad/yr").unwrap(),
            PI / 648_000_000.0
        ));
        assert!(close(conversion("km/s", "m.s**-1").unwrap(), 1000.0));
        assert!(close(conversion("kpc", "pc").unwrap(), 1000.0));
        assert!(close(conversion("nm", "Angstrom").unwrap(), 10.0));
        assert!(close(conversion("Jy", "mJy").unwrap(), 1000.0));
        assert!(close(conversion("deg2", "arcmin**2").unwrap(), 3600.0));
        assert!(close(conversion("m", "m").unwrap(), 1.0));
    }

    #[test]
    fn bad_units_are_explained() {
        assert!(
            conversion("deg", "m")
                .unwrap_err()
                .contains("different things")
        );
        assert!(
            conversion("furlong", "m")
                .unwrap_err()
                .contains("unknown unit 'furlong'")
        );
        assert!(conversion("", "m").is_err());
    }
}
