//! The built-in functions: math, strings, units and geometry. Geometry arguments are normalised here so the
//! translators see one form per function: POINT(lon, lat), CIRCLE(lon, lat, r), BOX(lon, lat, w, h),
//! POLYGON(lon1, lat1, ...), DISTANCE(lon1, lat1, lon2, lat2); coordinate system arguments are checked and dropped.

use super::Checker;
use super::meta::Meta;
use super::scope::Scope;
use crate::ast::{self, Literal};
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::model::Expr;
use crate::parser::split_coordsys;
use crate::stcs::{self, Shape};
use crate::types::Ty;

fn type_err(span: ast::Span, msg: impl Into<String>) -> AdqlError {
    AdqlError::new(ErrorKind::Type, msg).at(span)
}

/// Frames this service computes in: ICRS and the ones that coincide with it to the precision of ADQL's use.
fn check_frame(e: &ast::Expr) -> Result<(), AdqlError> {
    if let ast::Expr::Literal(Literal::Str(s), span) = e {
        let up = s.trim().to_ascii_uppercase();
        let ok = up.is_empty()
            || ["ICRS", "FK5", "J2000", "UNKNOWNFRAME"]
                .iter()
                .any(|f| up.split_whitespace().next() == Some(*f));
        if !ok {
            return Err(AdqlError::new(
                ErrorKind::Unsupported,
                format!("coordinate system '{s}' is not supported: this service works in ICRS"),
            )
            .at(*span)
            .hint("leave the coordinate system out (it is deprecated in ADQL 2.1) and give ICRS coordinates"));
        }
    }
    Ok(())
}

fn num(v: f64) -> Expr {
    if v < 0.0 {
        Expr::Neg(Box::new(Expr::Number(format!("{:?}", -v), Ty::Double)))
    } else {
        Expr::Number(format!("{v:?}"), Ty::Double)
    }
}

/// The two coordinates of a point value.
fn coords(p: Expr) -> (Expr, Expr) {
    match p {
        Expr::Builtin(Builtin::Point, mut a, _) if a.len() == 2 => {
            let lat = a.pop().unwrap_or(Expr::Null);
            let lon = a.pop().unwrap_or(Expr::Null);
            (lon, lat)
        }
        other => (
            Expr::Builtin(Builtin::Coord1, vec![other.clone()], Ty::Double),
            Expr::Builtin(Builtin::Coord2, vec![other], Ty::Double),
        ),
    }
}

fn deg() -> Meta {
    Meta::computed(Some("deg"), None)
}

impl Checker<'_> {
    pub(super) fn numbers(
        &mut self,
        args: &[ast::Expr],
        scope: &Scope<'_>,
        aggregates: bool,
        what: &str,
    ) -> Result<Vec<Expr>, AdqlError> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            let (x, _) = self.expr(a, scope, aggregates)?;
            if !x.ty().is_numeric() {
                return Err(type_err(
                    a.span(),
                    format!("{what} takes numbers, not {}", x.ty().name()),
                ));
            }
            out.push(x);
        }
        Ok(out)
    }

    fn geometry_arg(
        &mut self,
        a: &ast::Expr,
        scope: &Scope<'_>,
        aggregates: bool,
        what: &str,
    ) -> Result<Expr, AdqlError> {
        let (x, _) = self.expr(a, scope, aggregates)?;
        if !x.ty().is_geometry() {
            return Err(type_err(
                a.span(),
                format!(
                    "{what} takes a geometry (POINT, CIRCLE, POLYGON, ...), not {}",
                    x.ty().name()
                ),
            ));
        }
        Ok(x)
    }

    fn point_arg(
        &mut self,
        a: &ast::Expr,
        scope: &Scope<'_>,
        aggregates: bool,
        what: &str,
    ) -> Result<Expr, AdqlError> {
        let (x, _) = self.expr(a, scope, aggregates)?;
        if !matches!(x.ty(), Ty::Point | Ty::Null) {
            return Err(type_err(
                a.span(),
                format!("{what} takes a POINT, not {}", x.ty().name()),
            ));
        }
        Ok(x)
    }

    /// A built-in function call. Each family is checked by its own function, which keeps the stack frames of
    /// this recursion small (a deeply nested query must not exhaust the stack before the parser's depth limit).
    pub(super) fn builtin(
        &mut self,
        b: Builtin,
        args: &[ast::Expr],
        span: ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        use Builtin::*;
        let out = match b {
            Point | Circle | Box | Polygon | Region | Centroid | Contains | Intersects
            | Distance | Area | Coord1 | Coord2 | Coordsys => {
                self.geometry_builtin(b, args, span, scope, aggregates)?
            }
            _ => self.scalar_builtin(b, args, span, scope, aggregates)?,
        };
        if let Expr::Builtin(k @ (Point | Circle | Box | Polygon), xs, _) = &out.0 {
            let values: Vec<Option<f64>> = xs.iter().map(Expr::constant).collect();
            check_constant_shape(*k, &values).map_err(|e| type_err(span, e))?;
        }
        Ok(out)
    }

    /// The geometry functions.
    fn geometry_builtin(
        &mut self,
        b: Builtin,
        args: &[ast::Expr],
        span: ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        use Builtin::*;
        let name = b.name();
        Ok(match b {
            Point => {
                let (sys, rest) = split_coordsys(args);
                if let Some(s) = sys {
                    check_frame(s)?;
                }
                let xs = self.numbers(rest, scope, aggregates, "POINT")?;
                (Expr::Builtin(Point, xs, Ty::Point), Meta::default())
            }
            Circle | Box => {
                let (sys, rest) = split_coordsys(args);
                if let Some(s) = sys {
                    check_frame(s)?;
                }
                let centre_parts = if b == Circle { 1 } else { 2 };
                let mut xs = if rest.len() == centre_parts + 1 {
                    let p = self.point_arg(
                        &rest[0],
                        scope,
                        aggregates,
                        &format!("the centre of {name}"),
                    )?;
                    let (lon, lat) = coords(p);
                    vec![lon, lat]
                } else {
                    self.numbers(&rest[..2], scope, aggregates, name)?
                };
                let sizes = &rest[rest.len() - centre_parts..];
                xs.extend(self.numbers(sizes, scope, aggregates, name)?);
                let ty = if b == Circle { Ty::Circle } else { Ty::Polygon };
                (Expr::Builtin(b, xs, ty), Meta::default())
            }
            Polygon => {
                let (sys, rest) = split_coordsys(args);
                if let Some(s) = sys {
                    check_frame(s)?;
                }
                let mut checked = Vec::new();
                for a in rest {
                    checked.push(self.expr(a, scope, aggregates)?.0);
                }
                let points = checked.iter().all(|x| x.ty() == Ty::Point);
                let mut flat = Vec::new();
                if points {
                    for p in checked {
                        let (lon, lat) = coords(p);
                        flat.push(lon);
                        flat.push(lat);
                    }
                } else {
                    for (x, a) in checked.into_iter().zip(rest) {
                        if !x.ty().is_numeric() {
                            return Err(type_err(
                                a.span(),
                                format!(
                                    "POLYGON vertices are numbers or POINTs, not {}",
                                    x.ty().name()
                                ),
                            ));
                        }
                        flat.push(x);
                    }
                    if flat.len() % 2 == 1 || flat.len() < 6 {
                        return Err(type_err(
                            span,
                            "POLYGON needs at least three vertices (six coordinates)",
                        ));
                    }
                }
                (Expr::Builtin(Polygon, flat, Ty::Polygon), Meta::default())
            }
            Region => {
                let ast::Expr::Literal(Literal::Str(text), rspan) = &args[0] else {
                    return Err(type_err(span, "REGION takes a string literal"));
                };
                let region = stcs::parse(text)
                    .map_err(|e| AdqlError::new(ErrorKind::Unsupported, e).at(*rspan))?;
                if let Some(f) = &region.frame {
                    check_frame(&ast::Expr::Literal(Literal::Str(f.clone()), *rspan))?;
                }
                match region.shape {
                    Shape::Position(a, d) => (
                        Expr::Builtin(Point, vec![num(a), num(d)], Ty::Point),
                        Meta::default(),
                    ),
                    Shape::Circle(a, d, r) => (
                        Expr::Builtin(Circle, vec![num(a), num(d), num(r)], Ty::Circle),
                        Meta::default(),
                    ),
                    Shape::Box(a, d, w, h) => (
                        Expr::Builtin(Box, vec![num(a), num(d), num(w), num(h)], Ty::Polygon),
                        Meta::default(),
                    ),
                    Shape::Polygon(v) => (
                        Expr::Builtin(
                            Polygon,
                            v.iter().flat_map(|(a, d)| [num(*a), num(*d)]).collect(),
                            Ty::Polygon,
                        ),
                        Meta::default(),
                    ),
                }
            }
            Centroid => {
                let g = self.geometry_arg(&args[0], scope, aggregates, "CENTROID")?;
                (Expr::Builtin(Centroid, vec![g], Ty::Point), Meta::default())
            }
            Contains | Intersects => {
                let a = self.geometry_arg(&args[0], scope, aggregates, name)?;
                let c = self.geometry_arg(&args[1], scope, aggregates, name)?;
                (Expr::Builtin(b, vec![a, c], Ty::Int), Meta::default())
            }
            Distance => {
                let xs = if args.len() == 2 {
                    let p1 = self.point_arg(&args[0], scope, aggregates, "DISTANCE")?;
                    let p2 = self.point_arg(&args[1], scope, aggregates, "DISTANCE")?;
                    let (a, b2) = coords(p1);
                    let (c, d) = coords(p2);
                    vec![a, b2, c, d]
                } else {
                    self.numbers(args, scope, aggregates, "DISTANCE")?
                };
                (
                    Expr::Builtin(Distance, xs, Ty::Double),
                    Meta::computed(Some("deg"), Some("pos.angDistance")),
                )
            }
            Area => {
                let g = self.geometry_arg(&args[0], scope, aggregates, "AREA")?;
                (
                    Expr::Builtin(Area, vec![g], Ty::Double),
                    Meta::computed(Some("deg**2"), Some("phys.angArea")),
                )
            }
            Coord1 | Coord2 => {
                let p = self.point_arg(&args[0], scope, aggregates, name)?;
                let (lon, lat) = coords(p);
                let x = if b == Coord1 { lon } else { lat };
                let x = if x.ty() == Ty::Double {
                    x
                } else {
                    Expr::Cast(std::boxed::Box::new(x), ast::CastType::Double)
                };
                (x, deg())
            }
            Coordsys => {
                let g = self.geometry_arg(&args[0], scope, aggregates, "COORDSYS")?;
                (Expr::Builtin(Coordsys, vec![g], Ty::Char), Meta::default())
            }
            _ => unreachable_builtin(b, span)?,
        })
    }
}

/// A function routed to the wrong family: a bug here, reported rather than panicking.
pub(super) fn unreachable_builtin(b: Builtin, span: ast::Span) -> Result<(Expr, Meta), AdqlError> {
    Err(AdqlError::new(
        ErrorKind::Unsupported,
        format!("internal error: {} checked in the wrong place", b.name()),
    )
    .at(span))
}

/// Checks the constant coordinates of a geometry (`None` = not constant) as the runtime functions would, so a
/// query gets a positioned error before it runs instead of a database error (or, on some backends, none):
/// latitudes in [-90, 90], a circle radius in (0, 180], box sizes in [0, 360], every value finite.
pub(crate) fn check_constant_shape(kind: Builtin, values: &[Option<f64>]) -> Result<(), String> {
    let name = kind.name();
    for v in values.iter().flatten() {
        if !v.is_finite() {
            return Err(format!(
                "{name} has a coordinate that is not a finite number"
            ));
        }
    }
    let lat = |v: Option<f64>| match v {
        Some(d) if !(-90.0..=90.0).contains(&d) => {
            Err(format!("{name}: latitude {d} is outside [-90, 90]"))
        }
        _ => Ok(()),
    };
    match (kind, values) {
        (Builtin::Point, [_, d]) => lat(*d),
        (Builtin::Circle, [_, d, r]) => {
            lat(*d)?;
            match r {
                Some(r) if !(*r > 0.0 && *r <= 180.0) => Err(format!(
                    "the radius of a CIRCLE must be in (0, 180] degrees, not {r}"
                )),
                _ => Ok(()),
            }
        }
        (Builtin::Box, [_, d, w, h]) => {
            lat(*d)?;
            for s in [w, h].into_iter().flatten() {
                if !(0.0..=360.0).contains(s) {
                    return Err(format!(
                        "the sizes of a BOX must be in [0, 360] degrees, not {s}"
                    ));
                }
            }
            Ok(())
        }
        (Builtin::Polygon, vs) => vs.iter().skip(1).step_by(2).try_for_each(|d| lat(*d)),
        _ => Ok(()),
    }
}
