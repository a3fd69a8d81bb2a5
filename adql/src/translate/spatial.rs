//! Positional constraints: `1 = CONTAINS(POINT(ra, dec), CIRCLE(...))`, its INTERSECTS and POLYGON/BOX
//! variants, and `DISTANCE(POINT(ra, dec), POINT(a, d)) < r` become HEALPix ranges on the table's index column
//! AND an exact test by a runtime function, so cone and polygon searches read only the cells near the region.
//! Anything else falls back to the generic runtime functions (still correct, not indexed).

use super::Writer;
use super::sky::{box_vertices, cone_ranges, polygon_ranges};
use crate::ast::CmpOp;
use crate::catalog::PositionIndex;
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::model::{ColumnRef, Expr, PositionRole};
use std::fmt::Write as _;

fn int_literal(e: &Expr) -> Option<i64> {
    match e {
        Expr::Number(n, _) => n.parse().ok(),
        _ => None,
    }
}

/// The table position (alias, index) when `lon` and `lat` are an indexed table's own coordinate columns.
fn indexed(lon: &Expr, lat: &Expr) -> Option<(String, PositionIndex)> {
    match (lon, lat) {
        (
            Expr::Column(ColumnRef {
                alias: a1,
                position: Some((PositionRole::Lon, p1)),
                ..
            }),
            Expr::Column(ColumnRef {
                alias: a2,
                position: Some((PositionRole::Lat, p2)),
                ..
            }),
        ) if a1 == a2 && p1 == p2 => Some((a1.clone(), p1.clone())),
        _ => None,
    }
}

/// An expression cheap and safe to repeat in every index range term of a positional join: columns, numbers and
/// functions of them (no subqueries, set functions or RAND).
fn repeatable(e: &Expr) -> bool {
    match e {
        Expr::Column(_) | Expr::Number(..) => true,
        Expr::Neg(x) | Expr::Scaled(x, _) | Expr::Cast(x, _) => repeatable(x),
        Expr::Binary(_, a, b, _) => repeatable(a) && repeatable(b),
        Expr::Builtin(b, args, _) => *b != Builtin::Rand && args.iter().all(repeatable),
        _ => false,
    }
}

fn constants(xs: &[Expr]) -> Option<Vec<f64>> {
    xs.iter().map(Expr::constant).collect()
}

/// DALI polygon text of constant vertices.
fn polygon_text(v: &[(f64, f64)]) -> String {
    v.iter()
        .map(|(a, d)| format!("{a:?} {d:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Writer {
    /// Writes a comparison if it is a positional constraint; returns whether it did.
    pub(super) fn spatial_compare(
        &mut self,
        l: &Expr,
        op: CmpOp,
        r: &Expr,
    ) -> Result<bool, AdqlError> {
        // 1 = CONTAINS(...) and friends
        let (k, call) = match (int_literal(l), int_literal(r), l, r) {
            (Some(k), None, _, c @ Expr::Builtin(Builtin::Contains | Builtin::Intersects, ..)) => {
                (Some(k), Some(c))
            }
            (None, Some(k), c @ Expr::Builtin(Builtin::Contains | Builtin::Intersects, ..), _) => {
                (Some(k), Some(c))
            }
            _ => (None, None),
        };
        if let (Some(k), Some(Expr::Builtin(b, args, _))) = (k, call) {
            let positive = (k == 1 && op == CmpOp::Eq) || (k == 0 && op == CmpOp::Ne);
            if positive && args.len() == 2 {
                let (point, region) = match (b, &args[0], &args[1]) {
                    (Builtin::Contains, p, g) => (p, g),
                    (Builtin::Intersects, p @ Expr::Builtin(Builtin::Point, ..), g) => (p, g),
                    (Builtin::Intersects, g, p @ Expr::Builtin(Builtin::Point, ..)) => (p, g),
                    _ => return Ok(false),
                };
                if let Expr::Builtin(Builtin::Point, pa, _) = point
                    && pa.len() == 2
                {
                    return self.point_in_region(&pa[0], &pa[1], region);
                }
            }
            return Ok(false);
        }
        // DISTANCE(...) < r  or  r > DISTANCE(...)
        let (dist, op, radius) = match (l, r) {
            (Expr::Builtin(Builtin::Distance, a, _), rad)
                if matches!(op, CmpOp::Lt | CmpOp::Le) =>
            {
                (a, op, rad)
            }
            (rad, Expr::Builtin(Builtin::Distance, a, _))
                if matches!(op, CmpOp::Gt | CmpOp::Ge) =>
            {
                (a, op.flipped(), rad)
            }
            _ => return Ok(false),
        };
        if dist.len() != 4 {
            return Ok(false);
        }
        let (pos, centre) = match (indexed(&dist[0], &dist[1]), indexed(&dist[2], &dist[3])) {
            (Some(p), _) => (p, &dist[2..]),
            (None, Some(p)) => (p, &dist[..2]),
            _ => return Ok(false),
        };
        self.out.push('(');
        match (constants(centre), radius.constant()) {
            (Some(c), Some(rv)) => self.ranges(&pos, cone_ranges(c[0], c[1], rv, pos.1.depth)),
            _ => self.join_ranges(&pos, &centre[0], &centre[1], radius)?,
        }
        self.out.push_str("adql_distance(");
        self.exprs(dist)?;
        let _ = write!(self.out, ") {} ", op.sql());
        self.expr(radius)?;
        self.out.push(')');
        Ok(true)
    }

    /// For a cone whose centre comes from another table (a positional join), `(hpx BETWEEN lo_k AND hi_k OR ...)
    /// AND ` with the bounds computed per row by `adql_cone_range` (SQLite: every term is an index range scan
    /// inside the join loop). PostgreSQL has no such function yet: its joins keep the exact test alone.
    fn join_ranges(
        &mut self,
        pos: &(String, PositionIndex),
        lon: &Expr,
        lat: &Expr,
        radius: &Expr,
    ) -> Result<(), AdqlError> {
        if self.d != super::Dialect::Sqlite || ![lon, lat, radius].into_iter().all(repeatable) {
            return Ok(());
        }
        self.out.push('(');
        for k in 0..super::sky::JOIN_RANGES {
            if k > 0 {
                self.out.push_str(" OR ");
            }
            self.ident(&pos.0);
            self.out.push('.');
            self.ident(&pos.1.hpx_column);
            for (i, end) in [(0, " BETWEEN "), (1, " AND ")] {
                self.out.push_str(end);
                self.out.push_str("adql_cone_range(");
                self.expr(lon)?;
                self.out.push_str(", ");
                self.expr(lat)?;
                self.out.push_str(", ");
                self.expr(radius)?;
                let _ = write!(self.out, ", {}, {k}, {i})", pos.1.depth);
            }
        }
        self.out.push_str(") AND ");
        Ok(())
    }

    /// `(hpx BETWEEN a AND b OR ...) AND ` for a coverage, or nothing when there is none.
    fn ranges(&mut self, pos: &(String, PositionIndex), ranges: Option<Vec<(u64, u64)>>) {
        let Some(ranges) = ranges else { return };
        self.out.push('(');
        if ranges.is_empty() {
            self.out.push_str("1 = 0");
        }
        for (i, (a, b)) in ranges.iter().enumerate() {
            if i > 0 {
                self.out.push_str(" OR ");
            }
            self.ident(&pos.0);
            self.out.push('.');
            self.ident(&pos.1.hpx_column);
            if a == b {
                let _ = write!(self.out, " = {a}");
            } else {
                let _ = write!(self.out, " BETWEEN {a} AND {b}");
            }
        }
        self.out.push_str(") AND ");
    }

    fn point_in_region(
        &mut self,
        lon: &Expr,
        lat: &Expr,
        region: &Expr,
    ) -> Result<bool, AdqlError> {
        let pos = indexed(lon, lat);
        match region {
            Expr::Builtin(Builtin::Circle, c, _) if c.len() == 3 => {
                let consts = constants(c);
                if let Some(v) = &consts
                    && v[2] < 0.0
                {
                    return Err(AdqlError::new(
                        ErrorKind::Type,
                        format!("the radius of a CIRCLE must be positive, not {}", v[2]),
                    ));
                }
                self.out.push('(');
                match (&pos, &consts) {
                    (Some(p), Some(v)) => self.ranges(p, cone_ranges(v[0], v[1], v[2], p.1.depth)),
                    (Some(p), None) => self.join_ranges(p, &c[0], &c[1], &c[2])?,
                    _ => {}
                }
                self.out.push_str("adql_distance(");
                self.expr(lon)?;
                self.out.push_str(", ");
                self.expr(lat)?;
                self.out.push_str(", ");
                self.expr(&c[0])?;
                self.out.push_str(", ");
                self.expr(&c[1])?;
                self.out.push_str(") <= ");
                self.expr(&c[2])?;
                self.out.push(')');
                Ok(true)
            }
            Expr::Builtin(b @ (Builtin::Polygon | Builtin::Box), args, _) => {
                let vertices = constants(args).map(|v| {
                    if *b == Builtin::Box {
                        box_vertices(v[0], v[1], v[2], v[3])
                    } else {
                        v.chunks(2).map(|c| (c[0], c[1])).collect()
                    }
                });
                self.out.push('(');
                if let (Some(p), Some(v)) = (&pos, &vertices) {
                    self.ranges(p, polygon_ranges(v, p.1.depth));
                }
                self.out.push_str("adql_in_polygon(");
                self.expr(lon)?;
                self.out.push_str(", ");
                self.expr(lat)?;
                self.out.push_str(", ");
                match &vertices {
                    Some(v) => self.string(&polygon_text(v)),
                    None => self.expr(region)?,
                }
                self.out.push_str(") = 1)");
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
