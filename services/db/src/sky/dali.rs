//! Geometry values as DALI 1.1 text (`"lon lat"`, `"lon lat r"`, `"lon1 lat1 lon2 lat2 lon3 lat3 ..."`), read and
//! written the same way on both backends: the PL/pgSQL `adql_parse` and `adql_num` in
//! `schemas/postgres/adql_functions.sql` follow these rules, and the cross-backend test holds them to it.

/// A geometry value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// lon, lat.
    Point(f64, f64),
    /// lon, lat, radius.
    Circle(f64, f64, f64),
    /// Vertices.
    Polygon(Vec<(f64, f64)>),
}

impl Shape {
    /// Parses DALI text: the kind follows from the count of numbers (2, 3, or an even count >= 6); latitudes must
    /// lie in [-90, 90], a radius in (0, 180], and every number must be finite.
    pub fn parse(text: &str) -> Result<Shape, String> {
        let mut nums = Vec::with_capacity(8);
        for w in text.split_ascii_whitespace() {
            let v: f64 = w
                .parse()
                .map_err(|_| format!("'{w}' is not a number in geometry '{}'", clip(text)))?;
            nums.push(v);
        }
        Shape::from_numbers(&nums, text)
    }

    fn from_numbers(nums: &[f64], text: &str) -> Result<Shape, String> {
        if nums.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "geometry '{}' has a non-finite coordinate",
                clip(text)
            ));
        }
        match nums.len() {
            2 => Ok(Shape::Point(nums[0], check_lat(nums[1])?)),
            3 => Ok(Shape::Circle(
                nums[0],
                check_lat(nums[1])?,
                check_radius(nums[2])?,
            )),
            n if n >= 6 && n % 2 == 0 => Ok(Shape::Polygon(
                nums.chunks(2)
                    .map(|c| Ok((c[0], check_lat(c[1])?)))
                    .collect::<Result<_, String>>()?,
            )),
            n => Err(format!(
                "geometry '{}' has {n} numbers: a point has 2, a circle 3, a polygon 6 or more (an even count)",
                clip(text)
            )),
        }
    }

    /// A point from coordinates, checked as [`Shape::parse`] checks text.
    pub fn point(lon: f64, lat: f64) -> Result<Shape, String> {
        Shape::from_numbers(&[lon, lat], "POINT")
    }

    /// A circle from coordinates, checked as [`Shape::parse`] checks text.
    pub fn circle(lon: f64, lat: f64, r: f64) -> Result<Shape, String> {
        Shape::from_numbers(&[lon, lat, r], "CIRCLE")
    }

    /// A polygon from `lon1, lat1, lon2, lat2, ...`, checked as [`Shape::parse`] checks text.
    pub fn polygon(coords: &[f64]) -> Result<Shape, String> {
        if coords.len() < 6 || coords.len() % 2 == 1 {
            return Err(format!(
                "a polygon needs an even number (>= 6) of coordinates, not {}",
                coords.len()
            ));
        }
        Shape::from_numbers(coords, "POLYGON")
    }

    /// The kind, as ADQL names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Point(..) => "point",
            Shape::Circle(..) => "circle",
            Shape::Polygon(_) => "polygon",
        }
    }

    /// The DALI text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut push = |v: f64| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&fmt(v));
        };
        match self {
            Shape::Point(a, d) => {
                push(*a);
                push(*d);
            }
            Shape::Circle(a, d, r) => {
                push(*a);
                push(*d);
                push(*r);
            }
            Shape::Polygon(v) => {
                for (a, d) in v {
                    push(*a);
                    push(*d);
                }
            }
        }
        out
    }
}

fn check_lat(lat: f64) -> Result<f64, String> {
    if (-90.0..=90.0).contains(&lat) {
        Ok(lat)
    } else {
        Err(format!("latitude {} is outside [-90, 90]", fmt(lat)))
    }
}

fn check_radius(r: f64) -> Result<f64, String> {
    if r > 0.0 && r <= 180.0 {
        Ok(r)
    } else {
        Err(format!("circle radius {} is outside (0, 180]", fmt(r)))
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// The shortest text that reads back to the same f64, laid out as PostgreSQL prints a float8 (so both backends
/// write identical geometry text): integers below 1e15 without a fraction, plain decimals for exponents -4..14,
/// otherwise `d.ddde-7` (PostgreSQL's `e-07`/`e+15` are normalised to this on its side).
pub fn fmt(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as PostgreSQL's (Ryu) output does.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..15).contains(&exp) {
        return format!("{mantissa}e{exp}");
    }
    let (sign, m) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = m.chars().filter(|c| *c != '.').collect();
    if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_postgresql_writes_them() {
        for (v, text) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (-2.0, "-2"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (0.00001, "1e-5"),
            (-1.5e-7, "-1.5e-7"),
            (123456789012345.6, "123456789012345.6"),
            (1e15, "1e15"),
            (1.5e300, "1.5e300"),
            (359.99999999999994, "359.99999999999994"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(fmt(v), text, "{v:e}");
            assert_eq!(text.parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn parsing_checks_kind_latitude_radius_and_numbers() {
        assert_eq!(
            Shape::parse(" 10\t20 1 ").unwrap(),
            Shape::Circle(10.0, 20.0, 1.0)
        );
        assert_eq!(Shape::parse("1 2 3 4 5 6").unwrap().kind(), "polygon");
        for (bad, why) in [
            ("", "0 numbers"),
            ("1 2 3 4", "4 numbers"),
            ("1 2 3 4 5 6 7", "7 numbers"),
            ("1 95", "latitude 95"),
            ("1 2 0", "radius 0"),
            ("1 2 181", "radius 181"),
            ("1 x", "'x' is not a number"),
            ("1 NaN", "non-finite"),
            ("inf 2", "non-finite"),
            ("0 0 1 0 1 -90.5", "latitude -90.5"),
        ] {
            let e = Shape::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(Shape::point(1.0, f64::INFINITY).is_err());
        assert!(Shape::polygon(&[1.0, 2.0, 3.0, 4.0]).is_err());
        assert_eq!(
            Shape::polygon(&[0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
                .unwrap()
                .to_text(),
            "0 0 1 0 1 1"
        );
    }
}
