#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn degrees_convert_as_in_postgresql() {
    // PostgreSQL's RADIANS_PER_DEGREE, 0.0174532925199432957692, rounds to this double
    assert_eq!(RAD.to_bits(), 0x3f91_df46_a252_9d39);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// The point at `dist` degrees from (lon, lat) in direction `pa` (degrees east of north).
fn offset(lon: f64, lat: f64, dist: f64, pa: f64) -> (f64, f64) {
    let (l, b, d, t) = (
        lon.to_radians(),
        lat.to_radians(),
        dist.to_radians(),
        pa.to_radians(),
    );
    let lat2 = (b.sin() * d.cos() + b.cos() * d.sin() * t.cos()).asin();
    let lon2 = l + (t.sin() * d.sin() * b.cos()).atan2(d.cos() - b.sin() * lat2.sin());
    (lon2.to_degrees().rem_euclid(360.0), lat2.to_degrees())
}

/// Point in polygon by an independent method: gnomonic projection about `centre` (great circles become straight
/// lines) and planar ray casting.
fn brute_inside(vertices: &[(f64, f64)], centre: (f64, f64), p: (f64, f64)) -> Option<bool> {
    let c = vec(centre.0, centre.1);
    let east = {
        let e = cross([0.0, 0.0, 1.0], c);
        let n = norm(e);
        if n < 1e-12 {
            [1.0, 0.0, 0.0]
        } else {
            scale(e, 1.0 / n)
        }
    };
    let north = cross(c, east);
    let project = |(lon, lat): (f64, f64)| {
        let v = vec(lon, lat);
        let k = dot(v, c);
        (k > 1e-6).then(|| (dot(v, east) / k, dot(v, north) / k))
    };
    let pts: Vec<(f64, f64)> = vertices
        .iter()
        .map(|v| project(*v))
        .collect::<Option<_>>()?;
    let (x, y) = project(p)?;
    let mut inside = false;
    for i in 0..pts.len() {
        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
        if (a.1 > y) != (b.1 > y) && x < a.0 + (y - a.1) * (b.0 - a.0) / (b.1 - a.1) {
            inside = !inside;
        }
    }
    Some(inside)
}

/// A star-shaped (generally concave) polygon around a centre, in either orientation.
fn random_polygon(rng: &mut Rng) -> ((f64, f64), Vec<(f64, f64)>) {
    let centre = (rng.range(0.0, 360.0), rng.range(-89.0, 89.0));
    let n = 3 + (rng.next() * 7.0) as usize;
    let size = rng.range(0.01, 40.0);
    let mut v: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let pa = (i as f64 + rng.range(0.1, 0.9)) * 360.0 / n as f64;
            offset(centre.0, centre.1, size * rng.range(0.3, 1.0), pa)
        })
        .collect();
    if rng.next() < 0.5 {
        v.reverse();
    }
    (centre, v)
}

#[test]
fn known_distances_including_tiny_antipodal_and_across_ra_zero() {
    assert!((distance(10.0, 20.0, 10.5, 20.5) - 0.685_601).abs() < 1e-5);
    assert!((distance(0.0, 0.0, 180.0, 0.0) - 180.0).abs() < 1e-12);
    assert!((distance(12.0, 30.0, 192.0, -30.0) - 180.0).abs() < 1e-12);
    assert!((distance(12.0, 30.0, 192.0, -29.999) - 179.999).abs() < 1e-9);
    assert!(distance(0.0, 90.0, 123.0, 90.0).abs() < 1e-12);
    assert!((distance(0.0, 89.0, 180.0, 89.0) - 2.0).abs() < 1e-12);
    assert!((distance(359.9, 0.0, 0.1, 0.0) - 0.2).abs() < 1e-12);
    assert!((distance(-0.1, 0.0, 0.1, 0.0) - 0.2).abs() < 1e-12);
    // one milliarcsecond (as far as 45 + 1 mas is representable) comes out right to 0.1 nano-arcsecond
    let mas = (45.0 + 1.0 / 3_600_000.0) - 45.0;
    assert!((distance(45.0, 45.0, 45.0, 45.0 + mas) - mas).abs() < 3e-14);
    assert!(distance(1.0, 1.0, 1.0 + 1e-12, 1.0) > 0.0);
    assert_eq!(distance(33.0, -12.0, 33.0, -12.0), 0.0);
}

#[test]
fn distance_agrees_with_the_vector_angle_everywhere() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let (l1, b1) = (rng.range(-360.0, 720.0), rng.range(-90.0, 90.0));
        let (l2, b2) = (rng.range(0.0, 360.0), rng.range(-90.0, 90.0));
        let d = distance(l1, b1, l2, b2);
        let v = angle(vec(l1, b1), vec(l2, b2)).to_degrees();
        assert!((d - v).abs() < 1e-11, "{l1} {b1} {l2} {b2}: {d} {v}");
        assert!((0.0..=180.0).contains(&d));
    }
}

#[test]
fn polygon_containment_either_orientation_across_ra_zero_and_at_the_poles() {
    let sq = [(359.0, -1.0), (1.0, -1.0), (1.0, 1.0), (359.0, 1.0)];
    let mut rev = sq.to_vec();
    rev.reverse();
    for p in [Polygon::new(&sq), Polygon::new(&rev)] {
        assert!(p.contains(0.0, 0.0));
        assert!(p.contains(359.5, 0.5));
        assert!(p.contains(-0.5, -0.5));
        assert!(!p.contains(2.0, 0.0));
        assert!(!p.contains(180.0, 0.0));
        assert!(!p.contains(0.0, 90.0));
    }
    let polar = [(0.0, 80.0), (90.0, 80.0), (180.0, 80.0), (270.0, 80.0)];
    let polar = Polygon::new(&polar);
    assert!(polar.contains(0.0, 90.0));
    assert!(polar.contains(0.0, 80.5));
    assert!(!polar.contains(0.0, 79.5));
    assert!(!polar.contains(0.0, -90.0));
    // great-circle edges bulge poleward: between the vertices at longitudes 0 and 90 (latitude 80) the edge
    // passes longitude 45 at latitude atan(tan 80° / cos 45°) = 82.893°
    assert!(polar.contains(45.0, 82.9));
    assert!(!polar.contains(45.0, 82.88));
}

#[test]
fn polygon_containment_matches_a_brute_force_projection() {
    let mut rng = Rng(42);
    let mut checked = 0;
    for _ in 0..300 {
        let (centre, v) = random_polygon(&mut rng);
        let poly = Polygon::new(&v);
        for _ in 0..100 {
            let p = offset(
                centre.0,
                centre.1,
                rng.range(0.0, 50.0),
                rng.range(0.0, 360.0),
            );
            // points within 1e-9 degrees of an edge are left out: either answer is right there
            if poly.edge_distance(vec(p.0, p.1)) < 1e-9f64.to_radians() {
                continue;
            }
            if let Some(expected) = brute_inside(&v, centre, p) {
                assert_eq!(poly.contains(p.0, p.1), expected, "{v:?} {p:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
}

#[test]
fn circles_and_polygons_relate_as_sampled_boundaries_do() {
    let mut rng = Rng(99);
    let mut checked = 0;
    for _ in 0..400 {
        let (centre, v) = random_polygon(&mut rng);
        let poly = Polygon::new(&v);
        let (cl, cb) = offset(
            centre.0,
            centre.1,
            rng.range(0.0, 30.0),
            rng.range(0.0, 360.0),
        );
        let r = rng.range(0.01, 20.0);
        // sampled answers for a slightly smaller and a slightly larger circle: when they agree the exact answer
        // must be the same
        let sampled = |r: f64| {
            let ring: Vec<(f64, f64)> = (0..720)
                .map(|i| offset(cl, cb, r, i as f64 * 0.5))
                .collect();
            let inside: Vec<bool> = ring.iter().map(|p| poly.contains(p.0, p.1)).collect();
            let vertex_in_circle = v.iter().any(|(a, b)| distance(*a, *b, cl, cb) < r);
            let all_in = inside.iter().all(|x| *x) && poly.contains(cl, cb);
            let any_in = inside.iter().any(|x| *x) || vertex_in_circle || poly.contains(cl, cb);
            let poly_in_circle = v.iter().all(|(a, b)| distance(*a, *b, cl, cb) < r);
            (all_in, any_in, poly_in_circle)
        };
        let (lo, hi) = (sampled(r * 0.99), sampled(r * 1.01));
        let circle = Shape::Circle(cl, cb, r);
        let polygon = Shape::Polygon(v.clone());
        if lo.0 == hi.0 {
            assert_eq!(contains(&circle, &polygon), lo.0, "{circle:?} in {v:?}");
            checked += 1;
        }
        if lo.1 == hi.1 {
            assert_eq!(intersects(&circle, &polygon), lo.1, "{circle:?} x {v:?}");
            assert_eq!(intersects(&polygon, &circle), lo.1);
            checked += 1;
        }
        if lo.2 == hi.2 {
            assert_eq!(contains(&polygon, &circle), lo.2, "{v:?} in {circle:?}");
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn shapes_relate() {
    let c = Shape::parse("10 20 1").unwrap();
    assert!(contains(&Shape::Point(10.2, 20.0), &c));
    assert!(!contains(&Shape::Point(11.2, 20.0), &c));
    assert!(contains(&Shape::Circle(10.0, 20.0, 0.5), &c));
    assert!(!contains(&Shape::Circle(10.0, 20.0, 1.5), &c));
    assert!(!contains(&c, &Shape::Point(10.0, 20.0)));
    assert!(intersects(&Shape::Circle(12.0, 20.0, 1.5), &c));
    assert!(!intersects(&Shape::Circle(13.0, 20.0, 1.5), &c));
    let sq = Shape::Polygon(vec![(9.0, 19.0), (11.0, 19.0), (11.0, 21.0), (9.0, 21.0)]);
    assert!(intersects(&c, &sq));
    assert!(contains(&Shape::Circle(10.0, 20.0, 0.5), &sq));
    assert!(!contains(&Shape::Circle(10.0, 20.0, 1.5), &sq));
    assert!(contains(&sq, &Shape::Circle(10.0, 20.0, 2.0)));
    assert!(!contains(&sq, &Shape::Circle(10.0, 20.0, 1.2)));
    let inner = Shape::Polygon(vec![(9.5, 19.5), (10.5, 19.5), (10.0, 20.5)]);
    assert!(contains(&inner, &sq));
    assert!(!contains(&sq, &inner));
    assert!(intersects(&inner, &sq) && intersects(&sq, &inner));
    // two squares crossing like a plus sign: no vertex of either inside the other, yet they intersect
    let wide = Shape::Polygon(vec![(0.0, -1.0), (10.0, -1.0), (10.0, 1.0), (0.0, 1.0)]);
    let tall = Shape::Polygon(vec![(4.0, -5.0), (6.0, -5.0), (6.0, 5.0), (4.0, 5.0)]);
    assert!(intersects(&wide, &tall) && !contains(&wide, &tall));
    let far = Shape::Polygon(vec![(100.0, -1.0), (110.0, -1.0), (110.0, 1.0)]);
    assert!(!intersects(&wide, &far));
    // a polygon in a cap larger than a hemisphere: every vertex inside, but an edge passes the excluded cap
    let big = Shape::Circle(0.0, 0.0, 170.0);
    let around = Shape::Polygon(vec![(170.0, 0.0), (190.0, -15.0), (190.0, 15.0)]);
    let beside = Shape::Polygon(vec![(150.0, 0.0), (160.0, -5.0), (160.0, 5.0)]);
    assert!(v_all_inside(&around, &big));
    assert!(!contains(&around, &big));
    assert!(contains(&beside, &big));
}

fn v_all_inside(p: &Shape, c: &Shape) -> bool {
    let (Shape::Polygon(v), Shape::Circle(l, b, r)) = (p, c) else {
        return false;
    };
    v.iter().all(|(a, d)| distance(*a, *d, *l, *b) <= *r)
}

#[test]
fn areas_and_centroids() {
    // a small square of side 2 degrees near the equator has about 4 square degrees
    let eq = Shape::Polygon(vec![(0.0, -1.0), (2.0, -1.0), (2.0, 1.0), (0.0, 1.0)]);
    assert!((area(&eq) - 4.0).abs() < 0.01, "{}", area(&eq));
    // the octant (0,0)-(90,0)-(0,90) is an eighth of the sphere: 41252.96/8 square degrees, either orientation
    let sphere = 4.0 * PI * (180.0 / PI) * (180.0 / PI);
    for v in [
        vec![(0.0, 0.0), (90.0, 0.0), (0.0, 90.0)],
        vec![(0.0, 90.0), (90.0, 0.0), (0.0, 0.0)],
    ] {
        assert!((area(&Shape::Polygon(v)) - sphere / 8.0).abs() < 1e-9);
    }
    assert!((area(&Shape::Circle(0.0, 0.0, 1.0)) - PI).abs() < 1e-3);
    assert!((area(&Shape::Circle(0.0, 0.0, 180.0)) - sphere).abs() < 1e-9);
    assert_eq!(area(&Shape::Point(1.0, 2.0)), 0.0);
    let (a, d) = centroid(&eq);
    assert!((a - 1.0).abs() < 1e-9 && d.abs() < 1e-9);
    let wrap = Shape::Polygon(vec![(359.0, -1.0), (1.0, -1.0), (1.0, 1.0), (359.0, 1.0)]);
    let (a, d) = centroid(&wrap);
    assert!(
        (a == 0.0 || (a - 360.0).abs() < 1e-9) && d.abs() < 1e-9,
        "{a} {d}"
    );
    assert!((0.0..360.0).contains(&a));
    assert_eq!(centroid(&Shape::Circle(5.0, 6.0, 1.0)), (5.0, 6.0));
}

#[test]
fn boxes_have_the_asked_angular_size() {
    let v = box_vertices(10.0, 60.0, 2.0, 1.0);
    assert_eq!(v[0].1, 59.5);
    assert_eq!(v[2].1, 60.5);
    assert!((distance(v[0].0, v[0].1, v[1].0, v[1].1) - 2.0).abs() < 1e-3);
    assert!((distance(v[3].0, v[3].1, v[2].0, v[2].1) - 2.0).abs() < 1e-3);
    assert_eq!(box_vertices(0.0, 89.8, 1.0, 1.0)[2].1, 90.0);
}

#[test]
fn healpix_cells() {
    assert_eq!(healpix(10, 10.0, 20.0).unwrap(), 5_085_024);
    assert_eq!(healpix(0, 0.0, 90.0).unwrap(), 0);
    assert_eq!(healpix(0, 0.0, -90.0).unwrap(), 8);
    assert_eq!(
        healpix(12, -10.0, 5.0).unwrap(),
        healpix(12, 350.0, 5.0).unwrap()
    );
    assert_eq!(
        healpix(29, -1e-300, 0.0).unwrap(),
        healpix(29, 0.0, 0.0).unwrap()
    );
    assert!(healpix(30, 0.0, 0.0).is_err());
    assert!(healpix(5, 0.0, 91.0).is_err());
    assert!(healpix(5, f64::NAN, 0.0).is_err());
}
