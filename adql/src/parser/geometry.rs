//! Argument shapes of the built-in functions, which the ADQL grammar fixes (adql.bnf `<circle>`, `<math_function>`,
//! ...): e.g. the centre of a circle is two coordinates or a point value, never a single number; ROUND's
//! precision is an integer literal.

use super::Parser;
use crate::ast::{Expr, Literal};
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::span::Span;

/// The optional leading coordinate system argument (a string literal, or NULL) and the rest.
pub fn split_coordsys(args: &[Expr]) -> (Option<&Expr>, &[Expr]) {
    match args.first() {
        Some(e @ (Expr::Literal(Literal::Str(_), _) | Expr::Null(_))) => (Some(e), &args[1..]),
        _ => (None, args),
    }
}

/// Whether `e` may stand where the grammar wants a `coord_value`: a point-valued function call (POINT, CENTROID,
/// or a user-defined function) or a column reference.
pub fn is_coord_value(e: &Expr) -> bool {
    match e {
        Expr::Column { .. } => true,
        Expr::Call { name, .. } => match Builtin::lookup(&name.name) {
            Some(Builtin::Point | Builtin::Centroid) => true,
            Some(_) => false,
            None => true,
        },
        _ => false,
    }
}

fn is_signed_int_literal(e: &Expr) -> bool {
    match e {
        Expr::Literal(Literal::Number(n), _) => n.bytes().all(|b| b.is_ascii_digit()),
        Expr::Neg(inner, _) => is_signed_int_literal(inner),
        _ => false,
    }
}

fn err(span: Span, msg: impl Into<String>) -> AdqlError {
    AdqlError::new(ErrorKind::Syntax, msg).at(span)
}

impl Parser {
    pub(super) fn check_builtin_args(
        &self,
        b: Builtin,
        args: &[Expr],
        span: Span,
    ) -> Result<(), AdqlError> {
        use Builtin::*;
        let name = b.name();
        let (min, max) = b.arity();
        if !b.is_geometry() && (args.len() < min || args.len() > max) {
            let wanted = if min == max {
                format!("{min}")
            } else {
                format!("{min} or {max}")
            };
            return Err(err(
                span,
                format!("{name} takes {wanted} argument(s), not {}", args.len()),
            ));
        }
        match b {
            Round | Truncate if args.len() == 2 && !is_signed_int_literal(&args[1]) => Err(err(
                args[1].span(),
                format!("the precision of {name} is an integer literal, e.g. {name}(x, 2)"),
            )),
            Rand if args.len() == 1
                && !matches!(&args[0], Expr::Literal(Literal::Number(n), _) if n.bytes().all(|c| c.is_ascii_digit())) =>
            {
                Err(err(
                    args[0].span(),
                    "the seed of RAND is an unsigned integer literal",
                ))
            }
            InUnit if !matches!(&args[1], Expr::Literal(Literal::Str(_), _)) => Err(err(
                args[1].span(),
                "the unit of IN_UNIT is a string literal, e.g. IN_UNIT(ra, 'rad')",
            )),
            Point => {
                let (_, rest) = split_coordsys(args);
                if rest.len() != 2 {
                    return Err(err(
                        span,
                        "POINT takes two coordinates: POINT(lon, lat), optionally after a coordinate system string",
                    ));
                }
                Ok(())
            }
            Circle => {
                let (_, rest) = split_coordsys(args);
                match rest.len() {
                    2 if is_coord_value(&rest[0]) => Ok(()),
                    2 => Err(err(
                        rest[0].span(),
                        "the centre of a CIRCLE is a POINT or two coordinates",
                    )),
                    3 => Ok(()),
                    _ => Err(err(
                        span,
                        "CIRCLE takes a centre (a POINT, or two coordinates) and a radius",
                    )),
                }
            }
            Box => {
                let (_, rest) = split_coordsys(args);
                match rest.len() {
                    3 if is_coord_value(&rest[0]) => Ok(()),
                    3 => Err(err(
                        rest[0].span(),
                        "the centre of a BOX is a POINT or two coordinates",
                    )),
                    4 => Ok(()),
                    _ => Err(err(
                        span,
                        "BOX takes a centre (a POINT, or two coordinates), a width and a height",
                    )),
                }
            }
            Polygon => {
                let (_, rest) = split_coordsys(args);
                let all_points = rest.iter().all(is_coord_value);
                let has_point_call = rest.iter().any(|e| {
                    matches!(e, Expr::Call { name, .. } if matches!(Builtin::lookup(&name.name), Some(Point | Centroid)))
                });
                if rest.len() >= 3 && (has_point_call || rest.len() % 2 == 1) {
                    if all_points {
                        return Ok(());
                    }
                    return Err(err(
                        span,
                        "POLYGON takes at least three vertices: either all as POINTs or all as coordinate pairs",
                    ));
                }
                if rest.len() >= 6 && rest.len() % 2 == 0 {
                    return Ok(());
                }
                Err(err(
                    span,
                    "POLYGON takes at least three vertices (six coordinates)",
                ))
            }
            Distance => match args.len() {
                2 if args.iter().all(is_coord_value) => Ok(()),
                2 => Err(err(span, "DISTANCE takes two POINTs, or four coordinates")),
                4 => Ok(()),
                _ => Err(err(
                    span,
                    "DISTANCE takes two POINTs, or four coordinates (lon1, lat1, lon2, lat2)",
                )),
            },
            Contains | Intersects if args.len() != 2 => {
                Err(err(span, format!("{name} takes two geometries")))
            }
            Coord1 | Coord2 if args.len() != 1 || !is_coord_value(&args[0]) => {
                Err(err(span, format!("{name} takes one POINT")))
            }
            Region => match args {
                [Expr::Literal(Literal::Str(_), _)] => Ok(()),
                _ => Err(err(
                    span,
                    "REGION takes one string literal (an STC-S region)",
                )),
            },
            Centroid | Area | Coordsys if args.len() != 1 => {
                Err(err(span, format!("{name} takes one geometry")))
            }
            _ => Ok(()),
        }
    }
}
