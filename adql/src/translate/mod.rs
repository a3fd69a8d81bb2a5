//! Prints the checked model as SQL for SQLite or PostgreSQL.
//!
//! Everything is generated: identifiers come from the catalogue (always double-quoted) or are generated aliases,
//! literals are re-escaped, every compound expression is parenthesised. Where the dialects differ (functions,
//! LIKE, casts, set operations) the [`Dialect`] decides; positional constraints go through [`spatial`].

mod functions;
pub mod sky;
mod spatial;

use crate::ast::{JoinKind, SetOp};
use crate::check::CheckedQuery;
use crate::error::{AdqlError, ErrorKind};
use crate::model::{Cond, Expr, From, OrderKey, Select, SelectExpr, SetExpr};
use crate::types::Ty;
use std::fmt::Write as _;

/// The SQL dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.39+ with the Almagest runtime functions.
    Sqlite,
    /// PostgreSQL 12+ with the Almagest runtime functions.
    Postgres,
}

/// Options of a translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranslateOptions {
    /// Target dialect.
    pub dialect: Dialect,
    /// Deliver at most this many rows (TAP MAXREC + 1, so overflow can be told); combined with TOP.
    pub row_limit: Option<u64>,
}

/// Translates a checked query.
pub fn translate(q: &CheckedQuery, opts: &TranslateOptions) -> Result<String, AdqlError> {
    let mut w = Writer {
        d: opts.dialect,
        out: String::with_capacity(512),
        next_sub: 0,
        null_as: None,
    };
    if !q.query.with.is_empty() {
        w.out.push_str("WITH ");
        for (i, (name, sub)) in q.query.with.iter().enumerate() {
            if i > 0 {
                w.out.push_str(", ");
            }
            w.ident(name);
            w.out.push_str(" AS (");
            w.select_expr(sub, None)?;
            w.out.push(')');
        }
        w.out.push(' ');
    }
    w.select_expr(&q.query.body, opts.row_limit)?;
    Ok(w.out)
}

pub(crate) struct Writer {
    d: Dialect,
    out: String,
    next_sub: usize,
    /// The SQL type to give a NULL first select item of the next SELECT (see `Cond::InQuery`).
    null_as: Option<&'static str>,
}

/// The PostgreSQL type of a typed NULL standing for a value of `ty`.
fn pg_null_type(ty: Ty) -> Option<&'static str> {
    Some(match ty {
        Ty::Bool => "BOOLEAN",
        Ty::Short => "SMALLINT",
        Ty::Int => "INTEGER",
        Ty::Long => "BIGINT",
        Ty::Float => "REAL",
        Ty::Double => "DOUBLE PRECISION",
        Ty::Char | Ty::Timestamp | Ty::Point | Ty::Circle | Ty::Polygon => "TEXT",
        _ => return None,
    })
}

/// The alias of the leftmost table of a FROM item (a row variable of that side of a join).
fn first_alias(f: &From) -> &str {
    match f {
        From::Table { alias, .. } | From::Cte { alias, .. } | From::Derived { alias, .. } => alias,
        From::Join { left, .. } => first_alias(left),
    }
}

fn unsupported(msg: impl Into<String>) -> AdqlError {
    AdqlError::new(ErrorKind::Unsupported, msg)
}

impl Writer {
    fn ident(&mut self, name: &str) {
        self.out.push('"');
        for c in name.chars() {
            if c == '"' {
                self.out.push('"');
            }
            self.out.push(c);
        }
        self.out.push('"');
    }

    fn string(&mut self, s: &str) {
        self.out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                self.out.push('\'');
            }
            self.out.push(c);
        }
        self.out.push('\'');
    }

    fn select_expr(&mut self, q: &SelectExpr, row_limit: Option<u64>) -> Result<(), AdqlError> {
        match &q.set {
            SetExpr::Select(s) => {
                let limit = match (s.top, row_limit) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                self.select(s)?;
                self.order_by(&q.order_by)?;
                self.limit_offset(limit, q.offset);
            }
            set => {
                self.set_expr(set)?;
                self.order_by(&q.order_by)?;
                self.limit_offset(row_limit, q.offset);
            }
        }
        Ok(())
    }

    fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) {
        match (limit, offset, self.d) {
            (Some(l), _, _) => {
                let _ = write!(self.out, " LIMIT {l}");
            }
            (None, Some(_), Dialect::Sqlite) => self.out.push_str(" LIMIT -1"),
            _ => {}
        }
        if let Some(o) = offset {
            let _ = write!(self.out, " OFFSET {o}");
        }
    }

    fn order_by(&mut self, keys: &[(OrderKey, bool)]) -> Result<(), AdqlError> {
        // A constant sort key orders nothing, and written out it would be misread: an integer literal as a column
        // position, and PostgreSQL refuses any other literal ("non-integer constant in ORDER BY"). Leave it out.
        let constant = |k: &OrderKey| {
            matches!(k, OrderKey::Expr(e)
                if e.constant().is_some() || matches!(e, Expr::Str(_) | Expr::Null))
        };
        for (i, (k, desc)) in keys.iter().filter(|(k, _)| !constant(k)).enumerate() {
            self.out.push_str(if i == 0 { " ORDER BY " } else { ", " });
            match k {
                OrderKey::Position(p) => {
                    let _ = write!(self.out, "{p}");
                }
                OrderKey::Expr(e) => self.expr(e)?,
            }
            if *desc {
                self.out.push_str(" DESC");
            }
        }
        Ok(())
    }

    /// Set operations: every operand that is more than a plain SELECT is wrapped in a subquery, which both
    /// dialects accept (SQLite allows neither parenthesised operands nor ORDER BY/LIMIT in them, and gives all set
    /// operators one precedence, unlike SQL where INTERSECT binds tighter).
    fn set_expr(&mut self, s: &SetExpr) -> Result<(), AdqlError> {
        match s {
            SetExpr::Select(sel) if sel.top.is_none() => self.select(sel),
            SetExpr::Op {
                op,
                all,
                left,
                right,
            } => {
                if *all && *op != SetOp::Union && self.d == Dialect::Sqlite {
                    return Err(unsupported(format!(
                        "{} ALL is not supported by this service's SQLite database; use it without ALL",
                        if *op == SetOp::Intersect {
                            "INTERSECT"
                        } else {
                            "EXCEPT"
                        }
                    )));
                }
                self.operand(left)?;
                self.out.push_str(match op {
                    SetOp::Union => " UNION ",
                    SetOp::Except => " EXCEPT ",
                    SetOp::Intersect => " INTERSECT ",
                });
                if *all {
                    self.out.push_str("ALL ");
                }
                self.operand(right)
            }
            other => self.wrapped(other),
        }
    }

    fn operand(&mut self, s: &SetExpr) -> Result<(), AdqlError> {
        match s {
            SetExpr::Select(sel) if sel.top.is_none() => self.select(sel),
            other => self.wrapped(other),
        }
    }

    fn wrapped(&mut self, s: &SetExpr) -> Result<(), AdqlError> {
        let alias = format!("s{}", self.next_sub);
        self.next_sub += 1;
        self.out.push_str("SELECT * FROM (");
        match s {
            SetExpr::Nested(inner) => self.select_expr(inner, None)?,
            SetExpr::Select(sel) => {
                self.select(sel)?;
                self.limit_offset(sel.top, None);
            }
            op => self.set_expr(op)?,
        }
        self.out.push_str(") AS ");
        self.ident(&alias);
        Ok(())
    }

    fn select(&mut self, s: &Select) -> Result<(), AdqlError> {
        self.out.push_str("SELECT ");
        if s.distinct {
            self.out.push_str("DISTINCT ");
        }
        let null_as = self.null_as.take();
        for (i, (e, name)) in s.items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            match null_as {
                Some(t) if i == 0 && e.ty() == Ty::Null => {
                    let _ = write!(self.out, "CAST(NULL AS {t})");
                }
                _ => self.expr(e)?,
            }
            self.out.push_str(" AS ");
            self.ident(name);
        }
        self.out.push_str(" FROM ");
        for (i, f) in s.from.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.from(f)?;
        }
        if let Some(c) = &s.where_ {
            self.out.push_str(" WHERE ");
            self.cond(c)?;
        }
        for (i, g) in s.group_by.iter().enumerate() {
            self.out.push_str(if i == 0 { " GROUP BY " } else { ", " });
            self.expr(g)?;
        }
        if let Some(c) = &s.having {
            self.out.push_str(" HAVING ");
            self.cond(c)?;
        }
        Ok(())
    }

    fn from(&mut self, f: &From) -> Result<(), AdqlError> {
        match f {
            From::Table { sql, alias } => {
                if let Some(s) = &sql.schema {
                    self.ident(s);
                    self.out.push('.');
                }
                self.ident(&sql.table);
                self.out.push_str(" AS ");
                self.ident(alias);
            }
            From::Cte { name, alias } => {
                self.ident(name);
                self.out.push_str(" AS ");
                self.ident(alias);
            }
            From::Derived { query, alias } => {
                self.out.push('(');
                self.select_expr(query, None)?;
                self.out.push_str(") AS ");
                self.ident(alias);
            }
            From::Join {
                left,
                right,
                kind,
                on,
            } => {
                self.from(left)?;
                self.out.push_str(match kind {
                    JoinKind::Inner => " INNER JOIN ",
                    JoinKind::Left => " LEFT OUTER JOIN ",
                    JoinKind::Right => " RIGHT OUTER JOIN ",
                    JoinKind::Full => " FULL OUTER JOIN ",
                });
                let nested = matches!(**right, From::Join { .. });
                if nested {
                    self.out.push('(');
                }
                self.from(right)?;
                if nested {
                    self.out.push(')');
                }
                self.out.push_str(" ON ");
                match on {
                    // PostgreSQL runs FULL JOIN only as a hash or merge join, so it refuses conditions without an
                    // equality between the two sides (a spatial join, `a.x < b.y`). An always-true key equality
                    // between the sides' whole rows makes any condition a hash join's extra filter, with the same
                    // matches: the cost of a non-equality full join (every pair) stays what it must be.
                    Some(c) if self.d == Dialect::Postgres && *kind == JoinKind::Full => {
                        self.out.push_str("((num_nonnulls(");
                        self.ident(first_alias(left));
                        self.out.push_str(") >= 0) = (num_nonnulls(");
                        self.ident(first_alias(right));
                        self.out.push_str(") >= 0) AND ");
                        self.cond(c)?;
                        self.out.push(')');
                    }
                    Some(c) => self.cond(c)?,
                    None => self.out.push_str("1 = 1"),
                }
            }
        }
        Ok(())
    }

    fn cond(&mut self, c: &Cond) -> Result<(), AdqlError> {
        match c {
            Cond::And(terms) | Cond::Or(terms) => {
                let op = if matches!(c, Cond::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.out.push('(');
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(op);
                    }
                    self.cond(t)?;
                }
                self.out.push(')');
            }
            Cond::Not(a) => {
                self.out.push_str("(NOT ");
                self.cond(a)?;
                self.out.push(')');
            }
            Cond::Compare(l, op, r) => {
                if self.spatial_compare(l, *op, r)? {
                    return Ok(());
                }
                self.out.push('(');
                self.expr(l)?;
                let _ = write!(self.out, " {} ", op.sql());
                self.expr(r)?;
                self.out.push(')');
            }
            Cond::Between {
                expr,
                low,
                high,
                negated,
            } => {
                self.out.push('(');
                self.expr(expr)?;
                self.out.push_str(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                });
                self.expr(low)?;
                self.out.push_str(" AND ");
                self.expr(high)?;
                self.out.push(')');
            }
            Cond::InList {
                expr,
                list,
                negated,
            } => {
                self.out.push('(');
                self.expr(expr)?;
                self.out
                    .push_str(if *negated { " NOT IN (" } else { " IN (" });
                for (i, x) in list.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(x)?;
                }
                self.out.push_str("))");
            }
            Cond::InQuery {
                expr,
                query,
                negated,
            } => {
                self.out.push('(');
                self.expr(expr)?;
                self.out
                    .push_str(if *negated { " NOT IN (" } else { " IN (" });
                // PostgreSQL types a subquery's bare NULL column as text, which then cannot be compared with a
                // number: give it the type of the value it is compared with.
                if self.d == Dialect::Postgres && query.types.first() == Some(&Ty::Null) {
                    self.null_as = pg_null_type(expr.ty());
                }
                self.select_expr(query, None)?;
                self.null_as = None;
                self.out.push_str("))");
            }
            Cond::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => match self.d {
                Dialect::Postgres => {
                    self.out.push('(');
                    self.expr(expr)?;
                    self.out.push_str(match (negated, case_insensitive) {
                        (false, false) => " LIKE ",
                        (true, false) => " NOT LIKE ",
                        (false, true) => " ILIKE ",
                        (true, true) => " NOT ILIKE ",
                    });
                    self.expr(pattern)?;
                    self.out.push(')');
                }
                Dialect::Sqlite => {
                    // SQLite's LIKE ignores ASCII case; ADQL's does not: use the runtime functions.
                    self.out.push_str(if *case_insensitive {
                        "(adql_ilike("
                    } else {
                        "(adql_like("
                    });
                    self.expr(expr)?;
                    self.out.push_str(", ");
                    self.expr(pattern)?;
                    self.out
                        .push_str(if *negated { ") = 0)" } else { ") = 1)" });
                }
            },
            Cond::IsNull(e, negated) => {
                self.out.push('(');
                self.expr(e)?;
                self.out.push_str(if *negated {
                    " IS NOT NULL)"
                } else {
                    " IS NULL)"
                });
            }
            Cond::Exists(q) => {
                self.out.push_str("(EXISTS (");
                self.select_expr(q, None)?;
                self.out.push_str("))");
            }
        }
        Ok(())
    }

    fn exprs(&mut self, xs: &[Expr]) -> Result<(), AdqlError> {
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(x)?;
        }
        Ok(())
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Result<(), AdqlError> {
        match e {
            // A column of a subquery or CTE that is always NULL (`SELECT NULL AS x`): PostgreSQL gives such a
            // column the type text, which numeric and geometric functions then refuse; a plain NULL adapts.
            Expr::Column(c) if c.ty == crate::types::Ty::Null => self.out.push_str("NULL"),
            Expr::Column(c) => {
                self.ident(&c.alias);
                self.out.push('.');
                self.ident(&c.column);
            }
            Expr::Number(n, _) => self.out.push_str(n),
            Expr::Str(s) => self.string(s),
            Expr::Null => self.out.push_str("NULL"),
            Expr::Neg(x) => {
                self.out.push_str("(-");
                self.expr(x)?;
                self.out.push(')');
            }
            Expr::Binary(op, a, b, _) => {
                self.out.push('(');
                self.expr(a)?;
                self.out.push_str(match op {
                    crate::ast::BinOp::Add => " + ",
                    crate::ast::BinOp::Sub => " - ",
                    crate::ast::BinOp::Mul => " * ",
                    crate::ast::BinOp::Div => " / ",
                    crate::ast::BinOp::Concat => " || ",
                });
                self.expr(b)?;
                self.out.push(')');
            }
            Expr::Aggregate {
                func,
                distinct,
                arg,
                ty,
            } => self.aggregate(*func, *distinct, arg.as_deref(), *ty)?,
            Expr::Builtin(b, args, ty) => self.builtin(*b, args, *ty)?,
            Expr::Udf { name, args, .. } => self.udf(name, args)?,
            Expr::Scaled(x, f) => {
                self.out.push('(');
                self.expr(x)?;
                let _ = write!(self.out, " * {f:?})");
            }
            Expr::Cast(x, t) => self.cast(x, *t)?,
            // ADQL allows COALESCE of one value (the value itself); SQLite wants two or more
            Expr::Coalesce(xs, _) if xs.len() == 1 => {
                self.out.push('(');
                self.expr(&xs[0])?;
                self.out.push(')');
            }
            Expr::Coalesce(xs, _) => {
                self.out.push_str("COALESCE(");
                self.exprs(xs)?;
                self.out.push(')');
            }
            Expr::Subquery(q, _) => {
                self.out.push('(');
                self.select_expr(q, None)?;
                self.out.push(')');
            }
        }
        Ok(())
    }
}
