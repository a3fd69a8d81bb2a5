//! The STC-S strings REGION accepts here: single Position, Circle, Box and Polygon shapes (ADQL 2.1 §4.2.13).

/// A simple region in degrees.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A point.
    Position(f64, f64),
    /// Centre and radius.
    Circle(f64, f64, f64),
    /// Centre, width, height.
    Box(f64, f64, f64, f64),
    /// Vertices.
    Polygon(Vec<(f64, f64)>),
}

/// A parsed region with its frame word, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// The shape.
    pub shape: Shape,
    /// The frame named in the string (e.g. `ICRS`), upper-case.
    pub frame: Option<String>,
}

const SHAPES: &[&str] = &["POSITION", "CIRCLE", "BOX", "POLYGON"];
const COMPOUND: &[&str] = &["UNION", "INTERSECTION", "NOT", "DIFFERENCE"];

/// Parses an STC-S region, or says why this service cannot use it.
pub fn parse(s: &str) -> Result<Region, String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let Some(first) = words.first() else {
        return Err("empty REGION string".into());
    };
    let kind = first.to_ascii_uppercase();
    if COMPOUND.iter().any(|c| kind.starts_with(c)) || s.contains('(') {
        return Err(format!(
            "REGION with {kind} is not supported by this service: use CIRCLE, BOX or POLYGON"
        ));
    }
    if !SHAPES.contains(&kind.as_str()) {
        return Err(format!(
            "'{first}' is not an STC-S shape (Position, Circle, Box, Polygon)"
        ));
    }
    let mut frame = None;
    let mut nums = Vec::new();
    for w in &words[1..] {
        match w.parse::<f64>() {
            Ok(v) if v.is_finite() => nums.push(v),
            Ok(_) => return Err(format!("'{w}' is not a finite coordinate")),
            Err(_) if nums.is_empty() => {
                if frame.is_none() {
                    frame = Some(w.to_ascii_uppercase());
                }
            }
            Err(_) => {
                return Err(format!(
                    "unexpected '{w}' among the coordinates of the region"
                ));
            }
        }
    }
    let shape = match (kind.as_str(), nums.len()) {
        ("POSITION", 2) => Shape::Position(nums[0], nums[1]),
        ("CIRCLE", 3) => Shape::Circle(nums[0], nums[1], nums[2]),
        ("BOX", 4) => Shape::Box(nums[0], nums[1], nums[2], nums[3]),
        ("POLYGON", n) if n >= 6 && n % 2 == 0 => {
            Shape::Polygon(nums.chunks(2).map(|c| (c[0], c[1])).collect())
        }
        (k, n) => {
            return Err(format!(
                "a {} region cannot have {n} coordinates",
                k.to_lowercase()
            ));
        }
    };
    Ok(Region { shape, frame })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_shapes() {
        assert_eq!(
            parse("Circle ICRS 10 20 1").unwrap().shape,
            Shape::Circle(10.0, 20.0, 1.0)
        );
        assert_eq!(
            parse("Position 1 2").unwrap(),
            Region {
                shape: Shape::Position(1.0, 2.0),
                frame: None
            }
        );
        assert_eq!(
            parse("POLYGON ICRS GEOCENTER 0 0 1 0 1 1").unwrap().shape,
            Shape::Polygon(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)])
        );
        assert!(
            parse("Union ICRS (Circle 1 2 3 Circle 4 5 6)")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(parse("Circle 1 2").is_err());
        assert!(parse("Ellipse 1 2 3 4 5").is_err());
    }
}
