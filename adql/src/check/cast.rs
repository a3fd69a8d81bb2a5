//! CAST: which conversions ADQL allows, and string literals checked before they reach a database.

use super::Checker;
use super::expr::type_err;
use super::meta::Meta;
use super::scope::Scope;
use crate::ast::{self, CastType};
use crate::error::AdqlError;
use crate::functions::Builtin;
use crate::model::Expr;
use crate::types::Ty;

impl Checker<'_> {
    /// CAST.
    pub(super) fn cast(
        &mut self,
        expr: &ast::Expr,
        target: &CastType,
        span: &ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            let (x, m) = self.expr(expr, scope, aggregates)?;
            let from = x.ty();
            let ok = match target {
                CastType::Smallint
                | CastType::Integer
                | CastType::Bigint
                | CastType::Real
                | CastType::Double => from.is_numeric() || from == Ty::Char,
                CastType::Char(_) | CastType::Varchar(_) => !from.is_geometry() || from == Ty::Null,
                CastType::Timestamp => from.is_string(),
                CastType::Point | CastType::Circle | CastType::Polygon => {
                    from.is_string() || from.is_geometry()
                }
            };
            if !ok {
                return Err(type_err(
                    *span,
                    format!("cannot CAST {} to {target:?}", from.name()),
                ));
            }
            if let Expr::Str(text) = &x {
                literal_cast(text, *target).map_err(|e| type_err(*span, e))?;
            }
            let unit = if matches!(target, CastType::Char(_) | CastType::Varchar(_)) {
                Meta::default()
            } else {
                m.unit_only()
            };
            (Expr::Cast(Box::new(x), *target), unit)
        })
    }
}

/// Checks a string literal CAST to a number or a geometry, which the backends would otherwise treat differently
/// (SQLite turns `'abc'` into 0, PostgreSQL fails at run time).
fn literal_cast(text: &str, target: CastType) -> Result<(), String> {
    let t = text.trim();
    let int_range = |lo: i64, hi: i64| match t.parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(()),
        Ok(_) => Err(format!("'{t}' is out of the range of {target:?}")),
        Err(_) => Err(format!(
            "'{t}' is not an integer, so it cannot be CAST to {target:?}"
        )),
    };
    match target {
        CastType::Smallint => int_range(i16::MIN.into(), i16::MAX.into()),
        CastType::Integer => int_range(i32::MIN.into(), i32::MAX.into()),
        CastType::Bigint => int_range(i64::MIN, i64::MAX),
        CastType::Real | CastType::Double => match t.parse::<f64>() {
            Ok(v)
                if v.is_finite()
                    && !t
                        .chars()
                        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
            {
                Ok(())
            }
            _ => Err(format!(
                "'{t}' is not a number, so it cannot be CAST to {target:?}"
            )),
        },
        CastType::Point | CastType::Circle | CastType::Polygon => {
            let mut values = Vec::new();
            for w in t.split_ascii_whitespace() {
                match w.parse::<f64>() {
                    Ok(v) if v.is_finite() => values.push(Some(v)),
                    _ => return Err(format!("'{w}' is not a number in the geometry '{t}'")),
                }
            }
            let (kind, fits) = match target {
                CastType::Point => (Builtin::Point, values.len() == 2),
                CastType::Circle => (Builtin::Circle, values.len() == 3),
                _ => (Builtin::Polygon, values.len() >= 6 && values.len() % 2 == 0),
            };
            if !fits {
                return Err(format!(
                    "'{t}' is not a {}: DALI writes a point as 2 numbers, a circle as 3, a polygon as 6 or more (an even count)",
                    kind.name()
                ));
            }
            super::geometry::check_constant_shape(kind, &values)
        }
        _ => Ok(()),
    }
}
