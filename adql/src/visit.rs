//! Walks over every expression of a query (used by checks that need no catalogue).

use crate::ast::*;

/// Calls `f` on every expression of the query, outermost first, descending into subqueries.
pub fn walk_exprs(q: &Query, f: &mut impl FnMut(&Expr)) {
    for c in &q.with {
        select_expr(&c.query, f);
    }
    select_expr(&q.body, f);
}

fn select_expr(s: &SelectExpr, f: &mut impl FnMut(&Expr)) {
    set_expr(&s.set, f);
    for o in &s.order_by {
        expr(&o.expr, f);
    }
}

fn set_expr(s: &SetExpr, f: &mut impl FnMut(&Expr)) {
    match s {
        SetExpr::Select(sel) => select(sel, f),
        SetExpr::Op { left, right, .. } => {
            set_expr(left, f);
            set_expr(right, f);
        }
        SetExpr::Nested(inner) => select_expr(inner, f),
    }
}

fn select(s: &Select, f: &mut impl FnMut(&Expr)) {
    for i in &s.items {
        if let SelectItem::Expr { expr: e, .. } = i {
            expr(e, f);
        }
    }
    for t in &s.from {
        table(t, f);
    }
    if let Some(c) = &s.where_ {
        cond(c, f);
    }
    for g in &s.group_by {
        expr(g, f);
    }
    if let Some(c) = &s.having {
        cond(c, f);
    }
}

fn table(t: &TableRef, f: &mut impl FnMut(&Expr)) {
    match t {
        TableRef::Table { .. } => {}
        TableRef::Derived { query, .. } => select_expr(query, f),
        TableRef::Join(j) => {
            table(&j.left, f);
            table(&j.right, f);
            if let JoinConstraint::On(c) = &j.constraint {
                cond(c, f);
            }
        }
    }
}

/// Calls `f` on every expression of a condition.
pub fn cond(c: &Cond, f: &mut impl FnMut(&Expr)) {
    match c {
        Cond::And(terms) | Cond::Or(terms) => {
            for t in terms {
                cond(t, f);
            }
        }
        Cond::Not(a, _) => cond(a, f),
        Cond::Compare { left, right, .. } => {
            expr(left, f);
            expr(right, f);
        }
        Cond::Between {
            expr: e, low, high, ..
        } => {
            expr(e, f);
            expr(low, f);
            expr(high, f);
        }
        Cond::In { expr: e, list, .. } => {
            expr(e, f);
            match list {
                InList::Values(v) => v.iter().for_each(|x| expr(x, f)),
                InList::Subquery(q) => select_expr(q, f),
            }
        }
        Cond::Like {
            expr: e, pattern, ..
        } => {
            expr(e, f);
            expr(pattern, f);
        }
        Cond::IsNull { expr: e, .. } => expr(e, f),
        Cond::Exists(q) => select_expr(q, f),
    }
}

/// Calls `f` on an expression and everything inside it.
pub fn expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Column { .. } | Expr::Literal(..) | Expr::Null(_) => {}
        Expr::Neg(a, _) | Expr::Paren(a, _) => expr(a, f),
        Expr::Cast { expr: a, .. } => expr(a, f),
        Expr::Binary { left, right, .. } => {
            expr(left, f);
            expr(right, f);
        }
        Expr::Aggregate { arg, .. } => {
            if let Some(a) = arg {
                expr(a, f);
            }
        }
        Expr::Call { args, .. } | Expr::Coalesce(args, _) => args.iter().for_each(|a| expr(a, f)),
        Expr::Subquery(q, _) => select_expr(q, f),
    }
}
