//! Sky coverage for positional constraints: a cone or polygon becomes HEALPix cell ranges on a table's index
//! column (computed here with `cdshealpix`), so the database reads only the cells that may hold matches; the exact
//! test on the remaining rows is done by the runtime functions (FUNCTIONS.md).
//!
//! Angles in this module's API are in degrees; `cdshealpix` works in radians, converted at its calls only.

/// Above this many ranges a coarser coverage is used: more false positives for the exact test, shorter SQL.
const MAX_RANGES: usize = 48;

/// Typical cell width at depth 0, in degrees (sqrt(4π/12) rad).
const DEPTH0_CELL_DEG: f64 = 58.6;

/// Inclusive ranges of cells at `index_depth` that cover the cone (centre and radius in degrees); `None` when the
/// cone covers so much sky that an index would not help.
pub fn cone_ranges(lon: f64, lat: f64, radius: f64, index_depth: u8) -> Option<Vec<(u64, u64)>> {
    cone_ranges_at_most(lon, lat, radius, index_depth, MAX_RANGES)
}

/// At most this many ranges per row of a positional join (the SQL has one index range term per slot).
pub const JOIN_RANGES: usize = 9;

/// The ranges of one row of a positional join: like [`cone_ranges`] but at most [`JOIN_RANGES`] of them; the
/// whole sky (one range) when the cone is too big or not a cone at all, so the exact test decides alone.
pub fn join_ranges(lon: f64, lat: f64, radius: f64, index_depth: u8) -> Vec<(u64, u64)> {
    let all = || vec![(0, 12 * (1u64 << (2 * u32::from(index_depth.min(29)))) - 1)];
    match cone_ranges_at_most(lon, lat, radius, index_depth, JOIN_RANGES) {
        Some(r) if r.len() <= JOIN_RANGES => r,
        _ => all(),
    }
}

fn cone_ranges_at_most(
    lon: f64,
    lat: f64,
    radius: f64,
    index_depth: u8,
    max_ranges: usize,
) -> Option<Vec<(u64, u64)>> {
    if !(lon.is_finite() && lat.is_finite() && radius.is_finite())
        || radius >= 60.0
        || !(-90.0..=90.0).contains(&lat)
    {
        return None;
    }
    let lon_rad = lon.rem_euclid(360.0).to_radians();
    let lat_rad = lat.to_radians();
    let r_rad = radius.max(1e-9).to_radians();
    let mut depth = start_depth(radius, index_depth);
    loop {
        let bmoc = cdshealpix::nested::cone_coverage_approx(depth, lon_rad, lat_rad, r_rad);
        let ranges = bmoc.to_ranges();
        if ranges.len() <= max_ranges || depth == 0 {
            return Some(to_index_depth(&ranges, depth, index_depth));
        }
        depth -= 1;
    }
}

/// Inclusive ranges at `index_depth` covering the polygon (vertices in degrees).
pub fn polygon_ranges(vertices: &[(f64, f64)], index_depth: u8) -> Option<Vec<(u64, u64)>> {
    if vertices.len() < 3
        || vertices
            .iter()
            .any(|(a, d)| !a.is_finite() || !d.is_finite() || !(-90.0..=90.0).contains(d))
    {
        return None;
    }
    let radius = polygon_radius(vertices);
    if radius >= 60.0 {
        return None;
    }
    let rad: Vec<(f64, f64)> = vertices
        .iter()
        .map(|(a, d)| (a.rem_euclid(360.0).to_radians(), d.to_radians()))
        .collect();
    let mut depth = start_depth(radius, index_depth);
    loop {
        let bmoc = cdshealpix::nested::polygon_coverage(depth, &rad, true);
        let ranges = bmoc.to_ranges();
        if ranges.len() <= MAX_RANGES || depth == 0 {
            return Some(to_index_depth(&ranges, depth, index_depth));
        }
        depth -= 1;
    }
}

/// The depth whose cells are a few times smaller than the radius.
fn start_depth(radius_deg: f64, index_depth: u8) -> u8 {
    let d = (DEPTH0_CELL_DEG / radius_deg.max(1e-9)).log2().floor() + 2.0;
    d.clamp(0.0, index_depth.min(29) as f64) as u8
}

fn to_index_depth(ranges: &[std::ops::Range<u64>], depth: u8, index_depth: u8) -> Vec<(u64, u64)> {
    let shift = 2 * (index_depth.saturating_sub(depth)) as u32;
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for r in ranges {
        let (a, b) = (r.start << shift, (r.end << shift) - 1);
        match out.last_mut() {
            Some(last) if last.1 + 1 == a => last.1 = b,
            _ => out.push((a, b)),
        }
    }
    out
}

/// Great-circle distance in degrees (haversine), for the coverage radius of polygons.
pub fn distance_deg(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (l1, p1, l2, p2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * h.sqrt().min(1.0).asin().to_degrees()
}

/// The largest distance from the vertices' mean direction to a vertex.
fn polygon_radius(v: &[(f64, f64)]) -> f64 {
    let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
    for (a, d) in v {
        let (a, d) = (a.to_radians(), d.to_radians());
        x += d.cos() * a.cos();
        y += d.cos() * a.sin();
        z += d.sin();
    }
    let n = (x * x + y * y + z * z).sqrt();
    if n < 1e-12 {
        return 180.0;
    }
    let centre = (y.atan2(x).to_degrees(), (z / n).asin().to_degrees());
    v.iter()
        .map(|p| distance_deg(centre, *p))
        .fold(0.0, f64::max)
}

/// The four corners of an ADQL BOX (centre, full width and height in degrees) as polygon vertices: the box is
/// bounded by great circles through points at ±width/2 on the centre's parallel and ±height/2 on its meridian
/// (ADQL 2.1 §4.2.3), approximated by its corners.
pub fn box_vertices(lon: f64, lat: f64, width: f64, height: f64) -> Vec<(f64, f64)> {
    let (hw, hh) = (width / 2.0, height / 2.0);
    let top = (lat + hh).min(90.0);
    let bottom = (lat - hh).max(-90.0);
    let stretch = |d: f64| hw / d.to_radians().cos().max(1e-9);
    vec![
        (lon - stretch(bottom), bottom),
        (lon + stretch(bottom), bottom),
        (lon + stretch(top), top),
        (lon - stretch(top), top),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A positional join's per-row ranges: at most JOIN_RANGES, and they cover the cone.
    #[test]
    fn join_ranges_cover_the_cone_in_few_ranges() {
        for (lon, lat, r) in [
            (56.75, 24.12, 0.01),
            (0.0, 89.99, 0.1),
            (359.999, -30.0, 1.0),
            (10.0, 0.0, 5.0 / 3600.0),
        ] {
            let ranges = join_ranges(lon, lat, r, 29);
            assert!(
                !ranges.is_empty() && ranges.len() <= JOIN_RANGES,
                "{ranges:?}"
            );
            for i in 0..200 {
                // the point at 0.99 r in direction t (spherical destination formula)
                let (t, dist) = (
                    i as f64 / 200.0 * std::f64::consts::TAU,
                    (0.99 * r).to_radians(),
                );
                let (l1, p1) = (lon.to_radians(), lat.to_radians());
                let p2 = (p1.sin() * dist.cos() + p1.cos() * dist.sin() * t.cos()).asin();
                let l2 =
                    l1 + (t.sin() * dist.sin() * p1.cos()).atan2(dist.cos() - p1.sin() * p2.sin());
                let (a, d) = (l2.to_degrees().rem_euclid(360.0), p2.to_degrees());
                assert!((distance_deg((lon, lat), (a, d)) - 0.99 * r).abs() < 1e-6 * r.max(1.0));
                let h = cdshealpix::nested::hash(29, a.to_radians(), d.to_radians());
                assert!(
                    ranges.iter().any(|(x, y)| (*x..=*y).contains(&h)),
                    "({a}, {d}) outside {ranges:?}"
                );
            }
        }
        assert_eq!(
            join_ranges(0.0, 0.0, 90.0, 29).len(),
            1,
            "a huge cone: the whole sky"
        );
        assert_eq!(join_ranges(0.0, f64::NAN, 1.0, 29).len(), 1);
    }

    /// Every position within the cone falls in one of the ranges (at depth 29).
    #[test]
    fn cone_ranges_cover_the_cone() {
        let depth = 29;
        for (lon, lat, r) in [
            (56.75, 24.12, 2.0),
            (0.1, 0.0, 0.5),
            (359.9, -10.0, 1.0),
            (10.0, 89.5, 1.0),
            (1.0, -89.9, 0.3),
            (200.0, 30.0, 1.0 / 3600.0),
        ] {
            let ranges = cone_ranges(lon, lat, r, depth).unwrap();
            assert!(
                !ranges.is_empty() && ranges.len() <= MAX_RANGES + 1,
                "{} ranges",
                ranges.len()
            );
            for i in 0..400 {
                let t = i as f64 / 400.0 * std::f64::consts::TAU;
                let f = (i % 7) as f64 / 7.0;
                // a point at fraction f of the radius, in direction t, via small offsets
                let dlat = r * f * t.sin();
                let plat = (lat + dlat).clamp(-90.0, 90.0);
                let plon = lon + r * f * t.cos() / plat.to_radians().cos().max(1e-6);
                if distance_deg((lon, lat), (plon, plat)) > r {
                    continue;
                }
                let h = cdshealpix::nested::hash(
                    depth,
                    plon.rem_euclid(360.0).to_radians(),
                    plat.to_radians(),
                );
                assert!(
                    ranges.iter().any(|(a, b)| *a <= h && h <= *b),
                    "({plon}, {plat}) not covered"
                );
            }
        }
    }

    #[test]
    fn huge_cones_use_no_index() {
        assert!(cone_ranges(0.0, 0.0, 90.0, 29).is_none());
    }

    #[test]
    fn polygon_ranges_cover_inner_points() {
        let poly = [(82.5, -2.5), (86.0, -2.5), (86.0, 0.5), (82.5, 0.5)];
        let ranges = polygon_ranges(&poly, 29).unwrap();
        for (lon, lat) in [(84.0, -1.0), (82.6, -2.4), (85.9, 0.4)] {
            let h = cdshealpix::nested::hash(29, f64::to_radians(lon), f64::to_radians(lat));
            assert!(ranges.iter().any(|(a, b)| *a <= h && h <= *b));
        }
    }
}
