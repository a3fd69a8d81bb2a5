//! Spherical geometry of the ADQL runtime functions (FUNCTIONS.md), in safe Rust. Angles in degrees at the API;
//! unit vectors inside. Polygon edges are great-circle arcs; polygons may be given in either orientation and
//! must be smaller than a hemisphere.

use std::f64::consts::PI;

type V3 = [f64; 3];

fn vec(lon: f64, lat: f64) -> V3 {
    let (l, b) = (lon.to_radians(), lat.to_radians());
    [b.cos() * l.cos(), b.cos() * l.sin(), b.sin()]
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

fn lonlat(v: V3) -> (f64, f64) {
    let n = norm(v);
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let lon = v[1].atan2(v[0]).to_degrees().rem_euclid(360.0);
    (
        if lon >= 360.0 { 0.0 } else { lon },
        (v[2] / n).clamp(-1.0, 1.0).asin().to_degrees(),
    )
}

/// Angle between two unit vectors, in radians, accurate at 0 and π.
fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Great-circle distance in degrees (Vincenty's formula: accurate for tiny and antipodal separations).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    angle(vec(lon1, lat1), vec(lon2, lat2)).to_degrees()
}

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
    /// Parses DALI text (`"lon lat"`, `"lon lat r"`, `"lon1 lat1 lon2 lat2 lon3 lat3 ..."`).
    pub fn parse(text: &str) -> Result<Shape, String> {
        let mut nums = Vec::with_capacity(8);
        for w in text.split_ascii_whitespace() {
            let v: f64 = w
                .parse()
                .map_err(|_| format!("'{w}' is not a number in geometry '{}'", clip(text)))?;
            if !v.is_finite() {
                return Err(format!(
                    "geometry '{}' has a non-finite coordinate",
                    clip(text)
                ));
            }
            nums.push(v);
        }
        let check_lat = |lat: f64| {
            if (-90.0..=90.0).contains(&lat) {
                Ok(())
            } else {
                Err(format!("latitude {lat} is outside [-90, 90]"))
            }
        };
        match nums.len() {
            2 => {
                check_lat(nums[1])?;
                Ok(Shape::Point(nums[0], nums[1]))
            }
            3 => {
                check_lat(nums[1])?;
                if !(nums[2] > 0.0 && nums[2] <= 180.0) {
                    return Err(format!("circle radius {} is outside (0, 180]", nums[2]));
                }
                Ok(Shape::Circle(nums[0], nums[1], nums[2]))
            }
            n if n >= 6 && n % 2 == 0 => {
                let v: Vec<(f64, f64)> = nums.chunks(2).map(|c| (c[0], c[1])).collect();
                for (_, lat) in &v {
                    check_lat(*lat)?;
                }
                Ok(Shape::Polygon(v))
            }
            n => Err(format!(
                "geometry '{}' has {n} numbers: a point has 2, a circle 3, a polygon 6 or more",
                clip(text)
            )),
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

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Shortest text that reads back to the same f64.
pub fn fmt(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        ryu::Buffer::new().format(v).to_string()
    }
}

/// A polygon prepared for repeated tests: unit vectors and edge normals.
#[derive(Debug, Clone)]
pub struct Polygon {
    v: Vec<V3>,
    /// Sum of the vertex vectors: points on the far side of the sphere are outside (polygons are smaller than a
    /// hemisphere), which the tangent-plane winding number cannot tell on its own.
    centre: V3,
}

impl Polygon {
    /// From vertices in degrees.
    pub fn new(vertices: &[(f64, f64)]) -> Polygon {
        let v: Vec<V3> = vertices.iter().map(|(a, d)| vec(*a, *d)).collect();
        let centre = v
            .iter()
            .fold([0.0; 3], |c, x| [c[0] + x[0], c[1] + x[1], c[2] + x[2]]);
        Polygon { v, centre }
    }

    /// Whether the point is inside (winding number around the point: ±2π inside, 0 outside).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.contains_vec(vec(lon, lat))
    }

    fn contains_vec(&self, p: V3) -> bool {
        if dot(p, self.centre) <= 0.0 {
            return false;
        }
        let n = self.v.len();
        let mut total = 0.0;
        for i in 0..n {
            let (a, b) = (self.v[i], self.v[(i + 1) % n]);
            // projections of a and b on the tangent plane at p
            let ta = sub(a, scale(p, dot(a, p)));
            let tb = sub(b, scale(p, dot(b, p)));
            total += dot(p, cross(ta, tb)).atan2(dot(ta, tb));
        }
        total.abs() > PI
    }

    /// Smallest angular distance (radians) from p to the polygon's edges.
    fn edge_distance(&self, p: V3) -> f64 {
        let n = self.v.len();
        (0..n)
            .map(|i| arc_distance(p, self.v[i], self.v[(i + 1) % n]))
            .fold(f64::INFINITY, f64::min)
    }

    fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        let n = self.v.len();
        (0..n).map(move |i| (self.v[i], self.v[(i + 1) % n]))
    }

    /// Area in steradians (fan of signed spherical triangles).
    fn area_sr(&self) -> f64 {
        let v0 = self.v[0];
        let mut s = 0.0;
        for i in 1..self.v.len() - 1 {
            let (a, b) = (self.v[i], self.v[i + 1]);
            s += 2.0 * dot(v0, cross(a, b)).atan2(1.0 + dot(v0, a) + dot(a, b) + dot(b, v0));
        }
        s.abs()
    }
}

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// Angular distance (radians) from p to the great-circle arc a–b.
fn arc_distance(p: V3, a: V3, b: V3) -> f64 {
    let n = cross(a, b);
    let nn = norm(n);
    if nn < 1e-15 {
        return angle(p, a);
    }
    let n = scale(n, 1.0 / nn);
    // closest point of the great circle to p, and whether it lies within the arc
    let proj = sub(p, scale(n, dot(p, n)));
    if norm(proj) > 1e-15 {
        let c = scale(proj, 1.0 / norm(proj));
        if dot(cross(a, c), n) >= 0.0 && dot(cross(c, b), n) >= 0.0 {
            return dot(p, n).abs().asin();
        }
    }
    angle(p, a).min(angle(p, b))
}

/// Whether the arcs a–b and c–d cross.
fn arcs_cross(a: V3, b: V3, c: V3, d: V3) -> bool {
    let n1 = cross(a, b);
    let n2 = cross(c, d);
    let s = |x: f64| {
        if x > 1e-15 {
            1
        } else if x < -1e-15 {
            -1
        } else {
            0
        }
    };
    let (ca, cb) = (s(dot(n2, a)), s(dot(n2, b)));
    let (cc, cd) = (s(dot(n1, c)), s(dot(n1, d)));
    if ca * cb > 0 || cc * cd > 0 {
        return false;
    }
    // both great circles cross; the intersection must lie within both arcs (and not at the antipode)
    let x = cross(n1, n2);
    if norm(x) < 1e-15 {
        return false;
    }
    let within = |p: V3, a: V3, b: V3| (angle(a, p) + angle(p, b) - angle(a, b)).abs() < 1e-9;
    let xn = scale(x, 1.0 / norm(x));
    let neg = scale(xn, -1.0);
    (within(xn, a, b) && within(xn, c, d)) || (within(neg, a, b) && within(neg, c, d))
}

/// ADQL CONTAINS(a, b): a lies within b.
pub fn contains(a: &Shape, b: &Shape) -> Result<bool, String> {
    use Shape::*;
    Ok(match (a, b) {
        (Point(l, d), Point(l2, d2)) => distance(*l, *d, *l2, *d2) < 1e-10,
        (Point(l, d), Circle(cl, cd, r)) => distance(*l, *d, *cl, *cd) <= *r,
        (Point(l, d), Polygon(v)) => self::Polygon::new(v).contains(*l, *d),
        (Circle(..) | Polygon(_), Point(..)) => false,
        (Circle(l1, d1, r1), Circle(l2, d2, r2)) => distance(*l1, *d1, *l2, *d2) + r1 <= *r2,
        (Circle(l, d, r), Polygon(v)) => {
            let p = self::Polygon::new(v);
            let c = vec(*l, *d);
            p.contains_vec(c) && p.edge_distance(c) >= r.to_radians()
        }
        (Polygon(v), Circle(l, d, r)) => v.iter().all(|(a, b)| distance(*a, *b, *l, *d) <= *r),
        (Polygon(v1), Polygon(v2)) => {
            let (p1, p2) = (self::Polygon::new(v1), self::Polygon::new(v2));
            v1.iter().all(|(a, b)| p2.contains(*a, *b))
                && !p1
                    .edges()
                    .any(|(a, b)| p2.edges().any(|(c, d)| arcs_cross(a, b, c, d)))
        }
    })
}

/// ADQL INTERSECTS(a, b).
pub fn intersects(a: &Shape, b: &Shape) -> Result<bool, String> {
    use Shape::*;
    Ok(match (a, b) {
        (Point(..), _) => contains(a, b)?,
        (_, Point(..)) => contains(b, a)?,
        (Circle(l1, d1, r1), Circle(l2, d2, r2)) => distance(*l1, *d1, *l2, *d2) <= r1 + r2,
        (Circle(l, d, r), Polygon(v)) | (Polygon(v), Circle(l, d, r)) => {
            let p = self::Polygon::new(v);
            let c = vec(*l, *d);
            p.contains_vec(c) || p.edge_distance(c) <= r.to_radians()
        }
        (Polygon(v1), Polygon(v2)) => {
            let (p1, p2) = (self::Polygon::new(v1), self::Polygon::new(v2));
            v1.iter().any(|(a, b)| p2.contains(*a, *b))
                || v2.iter().any(|(a, b)| p1.contains(*a, *b))
                || p1
                    .edges()
                    .any(|(a, b)| p2.edges().any(|(c, d)| arcs_cross(a, b, c, d)))
        }
    })
}

/// Area in square degrees.
pub fn area(s: &Shape) -> f64 {
    let sr = match s {
        Shape::Point(..) => 0.0,
        Shape::Circle(_, _, r) => 2.0 * PI * (1.0 - r.to_radians().cos()),
        Shape::Polygon(v) => Polygon::new(v).area_sr(),
    };
    sr * (180.0 / PI).powi(2)
}

/// Centroid as (lon, lat).
pub fn centroid(s: &Shape) -> (f64, f64) {
    match s {
        Shape::Point(a, d) | Shape::Circle(a, d, _) => (*a, *d),
        Shape::Polygon(v) => {
            let sum = v.iter().fold([0.0; 3], |acc, (a, d)| {
                let x = vec(*a, *d);
                [acc[0] + x[0], acc[1] + x[1], acc[2] + x[2]]
            });
            lonlat(sum)
        }
    }
}

/// SQL LIKE with `%` and `_`, case-sensitive, no escape character.
pub fn like(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
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

/// Case-insensitive LIKE (Unicode lower-casing).
pub fn ilike(value: &str, pattern: &str) -> bool {
    like(&value.to_lowercase(), &pattern.to_lowercase())
}

/// RegTAP `ivo_hasword`: `needle` occurs in `haystack` as a whole word, ignoring case.
pub fn has_word(haystack: &str, needle: &str) -> bool {
    let h = haystack.to_lowercase();
    let n = needle.trim().to_lowercase();
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
        start = at + n.len().max(1);
    }
    false
}

/// RegTAP `ivo_hashlist_has`: `item` is one of the `#`-separated entries, ignoring case.
pub fn hashlist_has(list: &str, item: &str) -> bool {
    list.split('#')
        .any(|e| e.trim().eq_ignore_ascii_case(item.trim()))
}

/// ADQL ROUND(x, n): the decimal value of `x` (its shortest representation) rounded half away from zero, as
/// PostgreSQL's numeric rounding does, so both backends agree (4.55 rounds to 4.6).
pub fn round(x: f64, n: i64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let n = n.clamp(-300, 300) as i32;
    let text = ryu::Buffer::new().format(x).to_string();
    // exact decimal arithmetic on the digits would be best; scaling the shortest decimal by 10^n and rounding
    // its text form is exact for the magnitudes catalogues hold
    let scaled: f64 = format!("{text}e{n}").parse().unwrap_or(x * 10f64.powi(n));
    let r = scaled.abs().round().copysign(scaled);
    let back: f64 = format!("{r}e{}", -n).parse().unwrap_or(r / 10f64.powi(n));
    back
}

/// ADQL TRUNCATE(x, n).
pub fn truncate(x: f64, n: i64) -> f64 {
    let k = 10f64.powi(n.clamp(-300, 300) as i32);
    (x * k).trunc() / k
}

/// ADQL RAND(seed): a deterministic value in [0, 1) for a seed; the same expression as the PostgreSQL version
/// (`fract(sin(seed) * 43758.5453123)`), so both backends agree.
pub fn rand(seed: i64) -> f64 {
    let x = (seed as f64).sin() * 43758.5453123;
    x - x.floor()
}

/// The nested HEALPix index of a position in degrees at `depth`.
pub fn healpix(depth: i64, lon: f64, lat: f64) -> Result<i64, String> {
    if !(0..=29).contains(&depth) {
        return Err(format!("HEALPix depth {depth} is outside 0..29"));
    }
    if !(-90.0..=90.0).contains(&lat) || !lon.is_finite() {
        return Err(format!("({lon}, {lat}) is not a position on the sky"));
    }
    let h = cdshealpix::nested::hash(
        depth as u8,
        lon.rem_euclid(360.0).to_radians(),
        lat.to_radians(),
    );
    i64::try_from(h).map_err(|_| "HEALPix index out of range".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert!((distance(10.0, 20.0, 10.5, 20.5) - 0.685_601).abs() < 1e-5);
        assert!((distance(0.0, 0.0, 180.0, 0.0) - 180.0).abs() < 1e-12);
        assert!((distance(0.0, 90.0, 123.0, 90.0)).abs() < 1e-12);
        assert!((distance(359.9, 0.0, 0.1, 0.0) - 0.2).abs() < 1e-9);
        assert!(distance(1.0, 1.0, 1.0 + 1e-9, 1.0) > 0.0);
    }

    #[test]
    fn polygon_containment_either_orientation_and_across_ra_zero() {
        let sq = [(359.0, -1.0), (1.0, -1.0), (1.0, 1.0), (359.0, 1.0)];
        let mut rev = sq.to_vec();
        rev.reverse();
        for p in [Polygon::new(&sq), Polygon::new(&rev)] {
            assert!(p.contains(0.0, 0.0));
            assert!(p.contains(359.5, 0.5));
            assert!(!p.contains(2.0, 0.0));
            assert!(!p.contains(180.0, 0.0));
        }
        let polar = [(0.0, 80.0), (90.0, 80.0), (180.0, 80.0), (270.0, 80.0)];
        assert!(Polygon::new(&polar).contains(0.0, 90.0));
        assert!(!Polygon::new(&polar).contains(0.0, -90.0));
    }

    #[test]
    fn shapes_parse_format_and_relate() {
        let c = Shape::parse("10 20 1").unwrap();
        assert_eq!(c, Shape::Circle(10.0, 20.0, 1.0));
        assert_eq!(c.to_text(), "10 20 1");
        assert!(Shape::parse("1 2 3 4").is_err());
        assert!(Shape::parse("1 95").is_err());
        assert!(contains(&Shape::Point(10.2, 20.0), &c).unwrap());
        assert!(contains(&Shape::Circle(10.0, 20.0, 0.5), &c).unwrap());
        assert!(!contains(&Shape::Circle(10.0, 20.0, 1.5), &c).unwrap());
        assert!(intersects(&Shape::Circle(12.0, 20.0, 1.5), &c).unwrap());
        let sq = Shape::Polygon(vec![(9.0, 19.0), (11.0, 19.0), (11.0, 21.0), (9.0, 21.0)]);
        assert!(intersects(&c, &sq).unwrap());
        assert!(contains(&Shape::Circle(10.0, 20.0, 0.5), &sq).unwrap());
        assert!(!contains(&Shape::Circle(10.0, 20.0, 1.5), &sq).unwrap());
        // a small square of side 2 degrees near the equator has about 4 square degrees
        let eq = Shape::Polygon(vec![(0.0, -1.0), (2.0, -1.0), (2.0, 1.0), (0.0, 1.0)]);
        assert!((area(&eq) - 4.0).abs() < 0.01, "{}", area(&eq));
        assert!((area(&Shape::Circle(0.0, 0.0, 1.0)) - PI).abs() < 1e-3);
        let (a, d) = centroid(&eq);
        assert!((a - 1.0).abs() < 1e-9 && d.abs() < 1e-9);
    }

    #[test]
    fn like_patterns() {
        assert!(like("HD 1234", "HD%"));
        assert!(!like("hd 1234", "HD%"));
        assert!(ilike("hd 1234", "HD%"));
        assert!(like("abc", "a_c"));
        assert!(like("ab", "%%ab%"));
        assert!(!like("abc", "a_"));
        assert!(like("", "%"));
        assert!(ilike("ÉTOILE", "étoile"));
    }

    #[test]
    fn decimal_rounding() {
        assert_eq!(round(4.55, 1), 4.6);
        assert_eq!(round(2.5, 0), 3.0);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(1234.5678, 2), 1234.57);
        assert_eq!(round(1250.0, -2), 1300.0);
        assert_eq!(round(0.1 + 0.2, 1), 0.3);
    }

    #[test]
    fn regtap_functions() {
        assert!(has_word("A quasar catalogue", "QUASAR"));
        assert!(!has_word("quasars everywhere", "quasar"));
        assert!(hashlist_has("optical#radio", "Radio"));
        assert!(!hashlist_has("optical#radio", "x-ray"));
        assert_eq!(truncate(3.149, 2), 3.14);
        assert_eq!(truncate(-3.149, 1), -3.1);
        let r = rand(42);
        assert!((0.0..1.0).contains(&r) && r == rand(42) && r != rand(43));
        assert_eq!(healpix(10, 10.0, 20.0).unwrap(), 5085024);
    }
}
