//! The scalar built-in functions: mathematics, strings and IN_UNIT.

use super::Checker;
use super::geometry::unreachable_builtin;
use super::meta::Meta;
use super::scope::Scope;
use crate::ast::{self, Literal};
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::model::Expr;
use crate::types::Ty;

fn type_err(span: ast::Span, msg: impl Into<String>) -> AdqlError {
    AdqlError::new(ErrorKind::Type, msg).at(span)
}

fn deg() -> Meta {
    Meta::computed(Some("deg"), None)
}

impl Checker<'_> {
    /// Mathematical and string functions, IN_UNIT.
    pub(super) fn scalar_builtin(
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
            Pi => (Expr::Builtin(Pi, vec![], Ty::Double), Meta::default()),
            Rand => {
                let seed = match args.first() {
                    Some(ast::Expr::Literal(Literal::Number(n), _)) => {
                        vec![Expr::Number(n.clone(), Ty::Long)]
                    }
                    _ => vec![],
                };
                (Expr::Builtin(Rand, seed, Ty::Double), Meta::default())
            }
            Abs => {
                let (x, m) = self.expr(&args[0], scope, aggregates)?;
                if !x.ty().is_numeric() {
                    return Err(type_err(
                        span,
                        format!("ABS takes a number, not {}", x.ty().name()),
                    ));
                }
                let t = x.ty();
                (Expr::Builtin(Abs, vec![x], t), m.unit_only())
            }
            Ceiling | Floor | Round | Truncate => {
                let (x, m) = self.expr(&args[0], scope, aggregates)?;
                if !x.ty().is_numeric() {
                    return Err(type_err(
                        span,
                        format!("{name} takes a number, not {}", x.ty().name()),
                    ));
                }
                let mut xs = vec![x];
                if let Some(p) = args.get(1) {
                    xs.extend(self.numbers(std::slice::from_ref(p), scope, aggregates, name)?);
                }
                (Expr::Builtin(b, xs, Ty::Double), m.unit_only())
            }
            Mod => {
                let xs = self.numbers(args, scope, aggregates, name)?;
                let t = if xs.iter().all(|x| x.ty().is_integer()) {
                    xs[0].ty().widen(xs[1].ty())
                } else {
                    Ty::Double
                };
                (Expr::Builtin(Mod, xs, t), Meta::default())
            }
            Degrees => (
                Expr::Builtin(b, self.numbers(args, scope, aggregates, name)?, Ty::Double),
                deg(),
            ),
            Radians => (
                Expr::Builtin(b, self.numbers(args, scope, aggregates, name)?, Ty::Double),
                Meta::computed(Some("rad"), None),
            ),
            Exp | Log | Log10 | Power | Sqrt | Acos | Asin | Atan | Atan2 | Cos | Cot | Sin
            | Tan => (
                Expr::Builtin(b, self.numbers(args, scope, aggregates, name)?, Ty::Double),
                Meta::default(),
            ),
            Lower | Upper => {
                let (x, _) = self.expr(&args[0], scope, aggregates)?;
                if !x.ty().is_string() {
                    return Err(type_err(
                        span,
                        format!("{name} takes a string, not {}", x.ty().name()),
                    ));
                }
                (Expr::Builtin(b, vec![x], Ty::Char), Meta::default())
            }
            InUnit => self.in_unit(args, span, scope, aggregates)?,
            _ => unreachable_builtin(b, span)?,
        })
    }

    /// IN_UNIT(x, 'unit'): x times the conversion factor from x's catalogue unit.
    fn in_unit(
        &mut self,
        args: &[ast::Expr],
        span: ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            let (x, m) = self.expr(&args[0], scope, aggregates)?;
            let ast::Expr::Literal(Literal::Str(target), tspan) = &args[1] else {
                return Err(type_err(span, "the unit of IN_UNIT is a string literal"));
            };
            if !x.ty().is_numeric() {
                return Err(type_err(
                    span,
                    format!("IN_UNIT converts numbers, not {}", x.ty().name()),
                ));
            }
            let Some(from) = m.unit.clone().filter(|u| !u.trim().is_empty()) else {
                return Err(type_err(
                    args[0].span(),
                    "IN_UNIT needs a value whose unit is known; this one has none",
                ));
            };
            let factor = crate::units::conversion(&from, target)
                .map_err(|e| AdqlError::new(ErrorKind::Type, format!("IN_UNIT: {e}")).at(*tspan))?;
            (
                Expr::Scaled(std::boxed::Box::new(x), factor),
                Meta {
                    unit: Some(target.clone()),
                    ucd: m.ucd.clone(),
                    ..Meta::default()
                },
            )
        })
    }
}
