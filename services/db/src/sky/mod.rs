//! Spherical geometry of the ADQL runtime functions (FUNCTIONS.md), in safe Rust. Angles in degrees at the API;
//! unit vectors inside. Polygon edges are great-circle arcs; polygons may be given in either orientation and
//! must be smaller than a hemisphere.
//!
//! The PL/pgSQL versions (`schemas/postgres/adql_functions.sql`) perform the same floating-point operations in
//! the same order with the same constants, so both backends agree to the bit on the same machine (the C library's
//! `sin`, `atan2`... serve both); the cross-backend test checks it. Keep the two in step when changing either.

mod dali;

pub use dali::{Shape, fmt};
use std::f64::consts::PI;

type V3 = [f64; 3];

/// PostgreSQL's `RADIANS_PER_DEGREE` (0.0174532925199432957692, the same double as π/180 here): `radians(x)` is
/// `x * RAD` and `degrees(x)` is `x / RAD` there, so `deg` divides too (`f64::to_degrees` multiplies by 180/π,
/// which differs in the last bit for one argument in ten).
const RAD: f64 = PI / 180.0;

fn rad(deg: f64) -> f64 {
    deg * RAD
}

fn deg(rad: f64) -> f64 {
    rad / RAD
}

fn vec(lon: f64, lat: f64) -> V3 {
    let (l, b) = (rad(lon), rad(lat));
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

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn lonlat(v: V3) -> (f64, f64) {
    let n = norm(v);
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mut lon = deg(v[1].atan2(v[0]));
    if lon < 0.0 {
        lon += 360.0;
    }
    if lon >= 360.0 {
        lon = 0.0;
    }
    (lon, deg((v[2] / n).clamp(-1.0, 1.0).asin()))
}

/// Angle between two unit vectors, in radians, accurate at 0 and π.
fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Great-circle distance in degrees (Vincenty's formula: accurate for tiny and antipodal separations).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2, dl) = (rad(lat1), rad(lat2), rad(lon2 - lon1));
    let a = p2.cos() * dl.sin();
    let b = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    let x = p1.sin() * p2.sin() + p1.cos() * p2.cos() * dl.cos();
    deg((a * a + b * b).sqrt().atan2(x))
}

/// A polygon prepared for repeated tests: unit vectors of its vertices.
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
        let mut total = 0.0;
        for (a, b) in self.edges() {
            // projections of a and b on the tangent plane at p
            let ta = sub(a, scale(p, dot(a, p)));
            let tb = sub(b, scale(p, dot(b, p)));
            total += dot(p, cross(ta, tb)).atan2(dot(ta, tb));
        }
        total.abs() > PI
    }

    /// Smallest angular distance (radians) from p to the polygon's edges.
    fn edge_distance(&self, p: V3) -> f64 {
        self.edges()
            .map(|(a, b)| arc_distance(p, a, b))
            .fold(f64::INFINITY, f64::min)
    }

    fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        let n = self.v.len();
        (0..n).map(move |i| (self.v[i], self.v[(i + 1) % n]))
    }

    fn any_edges_cross(&self, other: &Polygon) -> bool {
        self.edges()
            .any(|(a, b)| other.edges().any(|(c, d)| arcs_cross(a, b, c, d)))
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
    let np = norm(proj);
    if np > 1e-15 {
        let c = scale(proj, 1.0 / np);
        if dot(cross(a, c), n) >= 0.0 && dot(cross(c, b), n) >= 0.0 {
            return dot(p, n).abs().asin();
        }
    }
    angle(p, a).min(angle(p, b))
}

/// Whether the arcs a–b and c–d cross or touch.
fn arcs_cross(a: V3, b: V3, c: V3, d: V3) -> bool {
    let n1 = cross(a, b);
    let n2 = cross(c, d);
    let side = |x: f64| {
        if x > 1e-15 {
            1
        } else if x < -1e-15 {
            -1
        } else {
            0
        }
    };
    let (ca, cb) = (side(dot(n2, a)), side(dot(n2, b)));
    let (cc, cd) = (side(dot(n1, c)), side(dot(n1, d)));
    if ca * cb > 0 || cc * cd > 0 {
        return false;
    }
    // both great circles cross; the intersection must lie within both arcs (and not at the antipode)
    let x = cross(n1, n2);
    let nx = norm(x);
    if nx < 1e-15 {
        return false;
    }
    let within = |p: V3, a: V3, b: V3| (angle(a, p) + angle(p, b) - angle(a, b)).abs() < 1e-9;
    let xn = scale(x, 1.0 / nx);
    let neg = scale(xn, -1.0);
    (within(xn, a, b) && within(xn, c, d)) || (within(neg, a, b) && within(neg, c, d))
}

/// ADQL CONTAINS(a, b): a lies within b. Every pair of kinds is answered exactly (up to rounding).
pub fn contains(a: &Shape, b: &Shape) -> bool {
    use Shape::*;
    match (a, b) {
        (Point(l, d), Point(l2, d2)) => distance(*l, *d, *l2, *d2) < 1e-10,
        (Point(l, d), Circle(cl, cd, r)) => distance(*l, *d, *cl, *cd) <= *r,
        (Point(l, d), Polygon(v)) => self::Polygon::new(v).contains(*l, *d),
        (Circle(..) | Polygon(_), Point(..)) => false,
        (Circle(l1, d1, r1), Circle(l2, d2, r2)) => distance(*l1, *d1, *l2, *d2) + r1 <= *r2,
        (Circle(l, d, r), Polygon(v)) => {
            // the centre inside and every edge at least r away
            let p = self::Polygon::new(v);
            let c = vec(*l, *d);
            p.contains_vec(c) && p.edge_distance(c) >= rad(*r)
        }
        (Polygon(v), Circle(l, d, r)) => {
            if *r <= 90.0 {
                // a cap up to a hemisphere holds every arc between two of its points
                v.iter().all(|(a, b)| distance(*a, *b, *l, *d) <= *r)
            } else {
                // a larger cap: the polygon must stay clear of the smaller cap around the antipode
                let p = self::Polygon::new(v);
                let anti = scale(vec(*l, *d), -1.0);
                !p.contains_vec(anti) && p.edge_distance(anti) >= rad(180.0 - r)
            }
        }
        (Polygon(v1), Polygon(v2)) => {
            let (p1, p2) = (self::Polygon::new(v1), self::Polygon::new(v2));
            v1.iter().all(|(a, b)| p2.contains(*a, *b)) && !p1.any_edges_cross(&p2)
        }
    }
}

/// ADQL INTERSECTS(a, b).
pub fn intersects(a: &Shape, b: &Shape) -> bool {
    use Shape::*;
    match (a, b) {
        (Point(..), _) => contains(a, b),
        (_, Point(..)) => contains(b, a),
        (Circle(l1, d1, r1), Circle(l2, d2, r2)) => distance(*l1, *d1, *l2, *d2) <= r1 + r2,
        (Circle(l, d, r), Polygon(v)) | (Polygon(v), Circle(l, d, r)) => {
            let p = self::Polygon::new(v);
            let c = vec(*l, *d);
            p.contains_vec(c) || p.edge_distance(c) <= rad(*r)
        }
        (Polygon(v1), Polygon(v2)) => {
            let (p1, p2) = (self::Polygon::new(v1), self::Polygon::new(v2));
            v1.iter().any(|(a, b)| p2.contains(*a, *b))
                || v2.iter().any(|(a, b)| p1.contains(*a, *b))
                || p1.any_edges_cross(&p2)
        }
    }
}

/// Area in square degrees.
pub fn area(s: &Shape) -> f64 {
    let k = (180.0 / PI) * (180.0 / PI);
    match s {
        Shape::Point(..) => 0.0,
        Shape::Circle(_, _, r) => 2.0 * PI * (1.0 - rad(*r).cos()) * k,
        Shape::Polygon(v) => Polygon::new(v).area_sr() * k,
    }
}

/// Centroid as (lon, lat): the centre of a circle, the normalised sum of a polygon's vertex vectors.
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

/// ADQL BOX(lon, lat, width, height) as 4 vertices: bottom and top edges at lat ∓ height/2 (clipped at the
/// poles), each stretched in longitude by 1/cos(latitude) so its angular width is `width`.
pub fn box_vertices(lon: f64, lat: f64, width: f64, height: f64) -> Vec<(f64, f64)> {
    let (hw, hh) = (width / 2.0, height / 2.0);
    let top = (lat + hh).min(90.0);
    let bottom = (lat - hh).max(-90.0);
    let stretch = |d: f64| hw / rad(d).cos().max(1e-9);
    vec![
        (lon - stretch(bottom), bottom),
        (lon + stretch(bottom), bottom),
        (lon + stretch(top), top),
        (lon - stretch(top), top),
    ]
}

/// The nested HEALPix index of a position in degrees at `depth`.
pub fn healpix(depth: i64, lon: f64, lat: f64) -> Result<i64, String> {
    if !(0..=29).contains(&depth) {
        return Err(format!("HEALPix depth {depth} is outside 0..29"));
    }
    if !(-90.0..=90.0).contains(&lat) || !lon.is_finite() {
        return Err(format!(
            "({}, {}) is not a position on the sky",
            fmt(lon),
            fmt(lat)
        ));
    }
    // in [0, 360) and never -0 (cdshealpix takes the sign bit for a negative longitude)
    let mut l = lon.rem_euclid(360.0);
    if l >= 360.0 {
        l = 0.0;
    }
    let h = cdshealpix::nested::hash(depth as u8, rad(l + 0.0), rad(lat));
    i64::try_from(h).map_err(|_| "HEALPix index out of range".to_string())
}

#[cfg(test)]
mod tests;
