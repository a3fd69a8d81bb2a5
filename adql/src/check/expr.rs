//! Value expressions and conditions: names resolved, types checked, metadata carried.

use super::Checker;
use super::meta::Meta;
use super::scope::{Found, Scope};
use crate::ast::{self, AggFn, BinOp, Literal};
use crate::error::{AdqlError, ErrorKind, did_you_mean, suggestions};
use crate::functions::Builtin;
use crate::model::{Cond, Expr};
use crate::types::Ty;

pub(super) fn type_err(span: ast::Span, msg: impl Into<String>) -> AdqlError {
    AdqlError::new(ErrorKind::Type, msg).at(span)
}

impl Checker<'_> {
    /// A condition; `aggregates` says whether set functions may appear (HAVING, not WHERE).
    pub(super) fn cond(
        &mut self,
        c: &ast::Cond,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<Cond, AdqlError> {
        Ok(match c {
            ast::Cond::And(terms) => Cond::And(
                terms
                    .iter()
                    .map(|t| self.cond(t, scope, aggregates))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Cond::Or(terms) => Cond::Or(
                terms
                    .iter()
                    .map(|t| self.cond(t, scope, aggregates))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Cond::Not(a, _) => Cond::Not(Box::new(self.cond(a, scope, aggregates)?)),
            ast::Cond::Compare {
                left,
                op,
                right,
                span,
            } => {
                let (l, _) = self.expr(left, scope, aggregates)?;
                let (r, _) = self.expr(right, scope, aggregates)?;
                comparable(
                    l.ty(),
                    r.ty(),
                    *op == ast::CmpOp::Eq || *op == ast::CmpOp::Ne,
                )
                .map_err(|m| type_err(*span, m))?;
                Cond::Compare(l, *op, r)
            }
            ast::Cond::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let (e, _) = self.expr(expr, scope, aggregates)?;
                let (lo, _) = self.expr(low, scope, aggregates)?;
                let (hi, _) = self.expr(high, scope, aggregates)?;
                for b in [&lo, &hi] {
                    comparable(e.ty(), b.ty(), false).map_err(|m| type_err(expr.span(), m))?;
                }
                Cond::Between {
                    expr: e,
                    low: lo,
                    high: hi,
                    negated: *negated,
                }
            }
            ast::Cond::In {
                expr,
                list,
                negated,
            } => {
                let (e, _) = self.expr(expr, scope, aggregates)?;
                match list {
                    ast::InList::Values(vs) => {
                        let mut list = Vec::new();
                        for v in vs {
                            let (x, _) = self.expr(v, scope, aggregates)?;
                            comparable(e.ty(), x.ty(), true).map_err(|m| type_err(v.span(), m))?;
                            list.push(x);
                        }
                        Cond::InList {
                            expr: e,
                            list,
                            negated: *negated,
                        }
                    }
                    ast::InList::Subquery(q) => {
                        let (sub, _) = self.select_expr(q, Some(scope), false)?;
                        if sub.names.len() != 1 {
                            return Err(type_err(
                                expr.span(),
                                format!(
                                    "the subquery of IN returns {} columns; it must return one",
                                    sub.names.len()
                                ),
                            ));
                        }
                        comparable(e.ty(), sub.types[0], true)
                            .map_err(|m| type_err(expr.span(), m))?;
                        Cond::InQuery {
                            expr: e,
                            query: Box::new(sub),
                            negated: *negated,
                        }
                    }
                }
            }
            ast::Cond::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                span,
            } => {
                let (e, _) = self.expr(expr, scope, aggregates)?;
                let (p, _) = self.expr(pattern, scope, aggregates)?;
                if !e.ty().is_string() || !p.ty().is_string() {
                    return Err(type_err(
                        *span,
                        format!(
                            "LIKE compares strings, not {} with {}",
                            e.ty().name(),
                            p.ty().name()
                        ),
                    ));
                }
                Cond::Like {
                    expr: e,
                    pattern: p,
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                }
            }
            ast::Cond::IsNull { expr, negated } => {
                Cond::IsNull(self.expr(expr, scope, aggregates)?.0, *negated)
            }
            ast::Cond::Exists(q) => {
                Cond::Exists(Box::new(self.select_expr(q, Some(scope), false)?.0))
            }
        })
    }

    /// A value expression and its metadata.
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok(match e {
            ast::Expr::Column { qualifier, column } => match scope.lookup(qualifier, column)? {
                Found::One(c) => (c.expr.clone(), c.meta.clone()),
                Found::None => {
                    if !scope.has_unresolved() {
                        self.errors.push(scope.unknown(qualifier, column));
                    }
                    (Expr::Null, Meta::default())
                }
            },
            ast::Expr::Literal(Literal::Number(n), _) => {
                (Expr::Number(n.clone(), number_type(n)), Meta::default())
            }
            ast::Expr::Literal(Literal::Str(s), _) => (Expr::Str(s.clone()), Meta::default()),
            ast::Expr::Null(_) => (Expr::Null, Meta::default()),
            ast::Expr::Paren(inner, _) => self.expr(inner, scope, aggregates)?,
            ast::Expr::Neg(inner, span) => {
                let (x, m) = self.expr(inner, scope, aggregates)?;
                if !x.ty().is_numeric() {
                    return Err(type_err(
                        *span,
                        format!("'-' needs a number, not {}", x.ty().name()),
                    ));
                }
                (Expr::Neg(Box::new(x)), m.unit_only())
            }
            ast::Expr::Binary {
                op,
                left,
                right,
                span,
            } => self.binary(op, left, right, span, scope, aggregates)?,
            ast::Expr::Aggregate {
                func,
                distinct,
                arg,
                span,
            } => self.aggregate(func, distinct, arg.as_deref(), span, scope, aggregates)?,
            ast::Expr::Call { name, args, span } => match Builtin::lookup(&name.name) {
                Some(b) => self.builtin(b, args, *span, scope, aggregates)?,
                None => self.udf_call(name, args, *span, scope, aggregates)?,
            },
            ast::Expr::Cast { expr, target, span } => {
                self.cast(expr, target, span, scope, aggregates)?
            }
            ast::Expr::Coalesce(args, span) => self.coalesce(args, span, scope, aggregates)?,
            ast::Expr::Subquery(q, span) => self.scalar_subquery(q, span, scope)?,
        })
    }

    /// Arithmetic and `||`.
    fn binary(
        &mut self,
        op: &BinOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: &ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            let (l, lm) = self.expr(left, scope, aggregates)?;
            let (r, rm) = self.expr(right, scope, aggregates)?;
            if *op == BinOp::Concat {
                if !l.ty().is_string() || !r.ty().is_string() {
                    return Err(type_err(
                        *span,
                        format!(
                            "|| joins strings, not {} and {}",
                            l.ty().name(),
                            r.ty().name()
                        ),
                    )
                    .hint("CAST(x AS VARCHAR) turns a number into a string"));
                }
                (
                    Expr::Binary(*op, Box::new(l), Box::new(r), Ty::Char),
                    Meta::default(),
                )
            } else {
                if !l.ty().is_numeric() || !r.ty().is_numeric() {
                    return Err(type_err(
                        *span,
                        format!(
                            "arithmetic needs numbers, not {} and {}",
                            l.ty().name(),
                            r.ty().name()
                        ),
                    ));
                }
                let ty = l.ty().widen(r.ty());
                let unit = match op {
                    BinOp::Add | BinOp::Sub if lm.unit == rm.unit => lm.unit_only(),
                    _ => Meta::default(),
                };
                (Expr::Binary(*op, Box::new(l), Box::new(r), ty), unit)
            }
        })
    }

    /// A set function.
    fn aggregate(
        &mut self,
        func: &AggFn,
        distinct: &bool,
        arg: Option<&ast::Expr>,
        span: &ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            if !aggregates {
                return Err(type_err(
                    *span,
                    format!(
                        "{} is a set function: use it in the select list or HAVING, not in WHERE, ON or GROUP BY",
                        agg_name(*func)
                    ),
                ));
            }
            match arg {
                None => (
                    Expr::Aggregate {
                        func: *func,
                        distinct: false,
                        arg: None,
                        ty: Ty::Long,
                    },
                    Meta::computed(None, Some("meta.number")),
                ),
                Some(a) => {
                    let (x, m) = self.expr(a, scope, false)?;
                    outer_aggregate(&x, scope, *func, *span)?;
                    let t = x.ty();
                    let (ty, meta) = match func {
                        AggFn::Count => (Ty::Long, Meta::computed(None, Some("meta.number"))),
                        AggFn::Avg | AggFn::Sum => {
                            if !t.is_numeric() {
                                return Err(type_err(
                                    *span,
                                    format!("{} needs numbers, not {}", agg_name(*func), t.name()),
                                ));
                            }
                            let ty = if *func == AggFn::Sum && t.is_integer() {
                                Ty::Long
                            } else {
                                Ty::Double
                            };
                            let ucd = m.ucd.as_ref().map(|u| {
                                format!(
                                    "{}{u}",
                                    if *func == AggFn::Avg {
                                        "stat.mean;"
                                    } else {
                                        ""
                                    }
                                )
                            });
                            (
                                ty,
                                Meta {
                                    ucd: if *func == AggFn::Avg { ucd } else { None },
                                    ..m.unit_only()
                                },
                            )
                        }
                        AggFn::Min | AggFn::Max => {
                            if !(t.is_numeric() || t.is_string()) {
                                return Err(type_err(
                                    *span,
                                    format!(
                                        "MIN and MAX need numbers or strings, not {}",
                                        t.name()
                                    ),
                                ));
                            }
                            let prefix = if *func == AggFn::Min {
                                "stat.min;"
                            } else {
                                "stat.max;"
                            };
                            (
                                t,
                                Meta {
                                    ucd: m.ucd.as_ref().map(|u| format!("{prefix}{u}")),
                                    declared: None,
                                    ..m.clone()
                                },
                            )
                        }
                    };
                    (
                        Expr::Aggregate {
                            func: *func,
                            distinct: *distinct,
                            arg: Some(Box::new(x)),
                            ty,
                        },
                        meta,
                    )
                }
            }
        })
    }

    /// COALESCE: one type for all arguments.
    fn coalesce(
        &mut self,
        args: &[ast::Expr],
        span: &ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            let mut xs = Vec::new();
            let mut meta = None;
            let mut ty = Ty::Null;
            for a in args {
                let (x, m) = self.expr(a, scope, aggregates)?;
                let t = x.ty();
                let fits = ty == Ty::Null
                    || t == Ty::Null
                    || (ty.is_numeric() && t.is_numeric())
                    || (ty.is_string() && t.is_string())
                    || ty == t;
                if !fits {
                    return Err(type_err(
                        *span,
                        format!(
                            "COALESCE mixes {} and {}: all its arguments must have one type",
                            ty.name(),
                            t.name()
                        ),
                    ));
                }
                ty = if ty.is_numeric() && t.is_numeric() {
                    ty.widen(t)
                } else if ty == Ty::Null {
                    t
                } else {
                    ty
                };
                meta.get_or_insert(m);
                xs.push(x);
            }
            let meta = meta
                .map(|m| Meta {
                    declared: None,
                    ..m
                })
                .unwrap_or_default();
            (Expr::Coalesce(xs, ty), meta)
        })
    }

    /// A scalar subquery: one column.
    fn scalar_subquery(
        &mut self,
        q: &ast::SelectExpr,
        span: &ast::Span,
        scope: &Scope<'_>,
    ) -> Result<(Expr, Meta), AdqlError> {
        Ok({
            let (sub, metas) = self.select_expr(q, Some(scope), false)?;
            if sub.names.len() != 1 {
                return Err(type_err(
                    *span,
                    format!(
                        "a scalar subquery must return one column, not {}",
                        sub.names.len()
                    ),
                ));
            }
            let ty = sub.types[0];
            (
                Expr::Subquery(Box::new(sub), ty),
                metas.into_iter().next().unwrap_or_default(),
            )
        })
    }

    fn udf_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: ast::Span,
        scope: &Scope<'_>,
        aggregates: bool,
    ) -> Result<(Expr, Meta), AdqlError> {
        let udfs = self.catalog.udfs();
        let Some(u) = udfs
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(&name.name))
            .cloned()
        else {
            self.errors.push(
                AdqlError::new(ErrorKind::Name, format!("unknown function '{}'", name.name)).at(span).hint(
                    did_you_mean(&suggestions(&name.name, udfs.iter().map(|u| u.name.as_str())))
                        .unwrap_or_else(|| "see the capabilities (features-udf) for the functions this service offers".into()),
                ),
            );
            return Ok((Expr::Null, Meta::default()));
        };
        if u.args.len() != args.len() {
            return Err(type_err(
                span,
                format!(
                    "{} takes {} argument(s), not {}: {}",
                    u.name,
                    u.args.len(),
                    args.len(),
                    u.form()
                ),
            ));
        }
        if u.aggregate && !aggregates {
            return Err(type_err(
                span,
                format!(
                    "{} aggregates rows: use it in the select list or HAVING",
                    u.name
                ),
            ));
        }
        let mut xs = Vec::new();
        for (a, (argname, decl)) in args.iter().zip(&u.args) {
            let (x, _) = self.expr(a, scope, aggregates && !u.aggregate)?;
            let want = Ty::of_declared(decl);
            let ok = x.ty() == Ty::Null
                || (want.is_numeric() && x.ty().is_numeric())
                || (want == Ty::Char && x.ty().is_string())
                || (want.is_geometry() && x.ty().is_geometry())
                || want == x.ty()
                || want == Ty::Opaque;
            if !ok {
                return Err(type_err(
                    a.span(),
                    format!(
                        "argument '{argname}' of {} is {decl}, not {}",
                        u.name,
                        x.ty().name()
                    ),
                ));
            }
            xs.push(x);
        }
        Ok((
            Expr::Udf {
                name: u.name.clone(),
                args: xs,
                ty: Ty::of_declared(&u.returns),
                aggregate: u.aggregate,
            },
            Meta::default(),
        ))
    }
}

/// The type of a numeric literal.
pub(super) fn number_type(n: &str) -> Ty {
    if n.bytes().all(|b| b.is_ascii_digit()) {
        match n.parse::<i64>() {
            Ok(v) if i32::try_from(v).is_ok() => Ty::Int,
            Ok(_) => Ty::Long,
            Err(_) => Ty::Double,
        }
    } else {
        Ty::Double
    }
}

/// Whether two types can be compared (`eq_only`: equality, which geometries allow too).
/// SQL makes a set function whose argument reads only columns of an enclosing query part of that outer query
/// (SQL:2016 §6.9), where it is then in a WHERE or ON clause or nested in an aggregate; SQLite and PostgreSQL
/// refuse it. Say so while the names are still ADQL's.
fn outer_aggregate(
    x: &Expr,
    scope: &Scope<'_>,
    func: AggFn,
    span: ast::Span,
) -> Result<(), AdqlError> {
    if scope.parent.is_none() {
        return Ok(());
    }
    let (mut any, mut local) = (false, false);
    x.for_each_column(&mut |c| {
        any = true;
        local |= scope.is_local(&c.alias);
    });
    if any && !local {
        return Err(type_err(
            span,
            format!(
                "the argument of {} reads only columns of an enclosing query, which would make it a set function \
                 of that outer query; use a column of this subquery's FROM",
                agg_name(func)
            ),
        ));
    }
    Ok(())
}

fn comparable(a: Ty, b: Ty, eq_only: bool) -> Result<(), String> {
    let ok = a == Ty::Null
        || b == Ty::Null
        || (a.is_numeric() && b.is_numeric())
        || (a.is_string() && b.is_string())
        || (eq_only && a.is_geometry() && b.is_geometry());
    if ok {
        Ok(())
    } else {
        Err(format!("cannot compare {} with {}", a.name(), b.name()))
    }
}

/// The ADQL name of a set function.
pub(super) fn agg_name(f: AggFn) -> &'static str {
    match f {
        AggFn::Count => "COUNT",
        AggFn::Avg => "AVG",
        AggFn::Min => "MIN",
        AggFn::Max => "MAX",
        AggFn::Sum => "SUM",
    }
}
