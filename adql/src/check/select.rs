//! SELECT, set operations, ORDER BY, GROUP BY, and the names of output columns (TAP 1.1 §3.2: the alias or the
//! column name; unique and predictable).

use super::Checker;
use super::meta::Meta;
use super::scope::{Found, Scope, join_idents};
use crate::ast::{self, SelectItem};
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::model::{self, Expr, OrderKey};
use crate::types::Ty;

/// A checked SELECT with what the enclosing select expression needs.
struct CheckedSelect {
    select: model::Select,
    names: Vec<String>,
    types: Vec<Ty>,
    metas: Vec<Meta>,
    order_by: Vec<(OrderKey, bool)>,
}

impl Checker<'_> {
    pub(super) fn select_expr(
        &mut self,
        q: &ast::SelectExpr,
        outer: Option<&Scope<'_>>,
        top_level: bool,
    ) -> Result<(model::SelectExpr, Vec<Meta>), AdqlError> {
        match &q.set {
            ast::SetExpr::Select(sel) => {
                let c = self.select(sel, &q.order_by, outer, top_level)?;
                Ok((
                    model::SelectExpr {
                        set: model::SetExpr::Select(Box::new(c.select)),
                        order_by: c.order_by,
                        offset: q.offset,
                        names: c.names,
                        types: c.types,
                    },
                    c.metas,
                ))
            }
            other => {
                let (set, names, types, metas) = self.set_expr(other, outer, top_level)?;
                let mut order_by = Vec::new();
                for o in &q.order_by {
                    let pos = output_position(&o.expr, &names)?.ok_or_else(|| {
                        AdqlError::new(
                            ErrorKind::Syntax,
                            "ORDER BY after a set operation can only name an output column or its position",
                        )
                        .at(o.expr.span())
                    })?;
                    order_by.push((OrderKey::Position(pos), o.desc));
                }
                Ok((
                    model::SelectExpr {
                        set,
                        order_by,
                        offset: q.offset,
                        names,
                        types,
                    },
                    metas,
                ))
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn set_expr(
        &mut self,
        s: &ast::SetExpr,
        outer: Option<&Scope<'_>>,
        top_level: bool,
    ) -> Result<(model::SetExpr, Vec<String>, Vec<Ty>, Vec<Meta>), AdqlError> {
        match s {
            ast::SetExpr::Select(sel) => {
                let c = self.select(sel, &[], outer, top_level)?;
                Ok((
                    model::SetExpr::Select(Box::new(c.select)),
                    c.names,
                    c.types,
                    c.metas,
                ))
            }
            ast::SetExpr::Nested(inner) => {
                let (q, metas) = self.select_expr(inner, outer, top_level)?;
                let (names, types) = (q.names.clone(), q.types.clone());
                Ok((model::SetExpr::Nested(Box::new(q)), names, types, metas))
            }
            ast::SetExpr::Op {
                op,
                all,
                left,
                right,
                span,
            } => {
                let (l, names, ltypes, metas) = self.set_expr(left, outer, top_level)?;
                let (r, _, rtypes, _) = self.set_expr(right, outer, false)?;
                if ltypes.len() != rtypes.len() {
                    return Err(AdqlError::new(
                        ErrorKind::Type,
                        format!(
                            "the two sides of {} have {} and {} columns; they must have the same number",
                            set_op_name(*op),
                            ltypes.len(),
                            rtypes.len()
                        ),
                    )
                    .at(*span));
                }
                let mut types = Vec::with_capacity(ltypes.len());
                for (i, (a, b)) in ltypes.iter().zip(&rtypes).enumerate() {
                    let compatible = (a.is_numeric() && b.is_numeric())
                        || (a.is_string() && b.is_string())
                        || (a.is_geometry() && b.is_geometry())
                        || a == b
                        || *a == Ty::Null
                        || *b == Ty::Null;
                    if !compatible {
                        return Err(AdqlError::new(
                            ErrorKind::Type,
                            format!(
                                "column {} ('{}') is {} on one side of the set operation and {} on the other",
                                i + 1,
                                names[i],
                                a.name(),
                                b.name()
                            ),
                        )
                        .at(*span));
                    }
                    types.push(if a.is_numeric() && b.is_numeric() {
                        a.widen(*b)
                    } else {
                        *a
                    });
                }
                Ok((
                    model::SetExpr::Op {
                        op: *op,
                        all: *all,
                        left: Box::new(l),
                        right: Box::new(r),
                    },
                    names,
                    types,
                    metas,
                ))
            }
        }
    }

    fn select(
        &mut self,
        sel: &ast::Select,
        order_by: &[ast::OrderItem],
        outer: Option<&Scope<'_>>,
        top_level: bool,
    ) -> Result<CheckedSelect, AdqlError> {
        let mut from = Vec::new();
        let mut scope = Scope {
            parent: outer,
            ..Scope::default()
        };
        for t in &sel.from {
            let r = self.table_ref(t, outer)?;
            from.push(r.from);
            scope.ranges.extend(r.ranges);
            scope.visible.extend(r.visible);
        }
        let where_ = match &sel.where_ {
            Some(c) => Some(self.cond(c, &scope, false)?),
            None => None,
        };

        // The select list, with each item's name and whether the name was chosen by the user.
        let mut items: Vec<(Expr, Meta, String, bool, ast::Span)> = Vec::new();
        for (i, item) in sel.items.iter().enumerate() {
            match item {
                SelectItem::Wildcard(span) => {
                    for c in &scope.visible {
                        items.push((c.expr.clone(), c.meta.clone(), c.name.clone(), false, *span));
                    }
                }
                SelectItem::QualifiedWildcard(q, span) => {
                    let ranges: Vec<_> = scope.ranges.iter().filter(|r| r.answers_to(q)).collect();
                    match ranges.as_slice() {
                        [r] => {
                            for c in &r.cols {
                                items.push((
                                    c.expr.clone(),
                                    c.meta.clone(),
                                    c.name.clone(),
                                    false,
                                    *span,
                                ));
                            }
                        }
                        [] => self.errors.push(
                            AdqlError::new(
                                ErrorKind::Name,
                                format!(
                                    "'{}' is not a table or alias of this query",
                                    join_idents(q)
                                ),
                            )
                            .at(*span),
                        ),
                        _ => {
                            return Err(AdqlError::new(
                                ErrorKind::Name,
                                format!("'{}.*' is ambiguous", join_idents(q)),
                            )
                            .at(*span));
                        }
                    }
                }
                SelectItem::Expr { expr, alias } => {
                    let (e, meta) = self.expr(expr, &scope, true)?;
                    let (name, explicit) = match alias {
                        Some(a) => (a.name.clone(), true),
                        None => (implicit_name(expr, &e, i), false),
                    };
                    items.push((
                        e,
                        meta,
                        name,
                        explicit,
                        alias.as_ref().map(|a| a.span).unwrap_or(expr.span()),
                    ));
                }
            }
        }
        let names = self.unique_names(&items, top_level)?;

        let mut group_by = Vec::new();
        for g in &sel.group_by {
            if let ast::Expr::Literal(ast::Literal::Number(_), span) = g {
                return Err(AdqlError::new(
                    ErrorKind::Syntax,
                    "GROUP BY a position is not ADQL: name the column",
                )
                .at(*span));
            }
            // An unqualified name that is no input column may be an output alias.
            if let ast::Expr::Column { qualifier, column } = g
                && qualifier.is_empty()
                && matches!(scope.lookup(qualifier, column)?, Found::None)
                && let Some(i) = names.iter().position(|n| column.matches(n))
            {
                group_by.push(items[i].0.clone());
                continue;
            }
            let (e, _) = self.expr(g, &scope, false)?;
            group_by.push(e);
        }
        let having = match &sel.having {
            Some(c) => Some(self.cond(c, &scope, true)?),
            None => None,
        };
        let aggregated = !group_by.is_empty() || items.iter().any(|i| i.0.has_aggregate());
        if aggregated {
            for (e, _, name, _, span) in &items {
                if let Some(col) = ungrouped(e, &group_by) {
                    return Err(AdqlError::new(
                        ErrorKind::Type,
                        format!("'{name}' uses column {col} which is neither grouped nor inside a set function"),
                    )
                    .at(*span)
                    .hint("add it to GROUP BY or wrap it in MIN/MAX/AVG/..."));
                }
            }
        }

        let mut order = Vec::new();
        for o in order_by {
            if let Some(pos) = output_position(&o.expr, &names)? {
                order.push((OrderKey::Position(pos), o.desc));
                continue;
            }
            let (e, _) = self.expr(&o.expr, &scope, aggregated)?;
            if aggregated && let Some(col) = ungrouped(&e, &group_by) {
                return Err(AdqlError::new(
                        ErrorKind::Type,
                        format!("ORDER BY uses column {col} which is neither grouped nor inside a set function"),
                    )
                    .at(o.expr.span()));
            }
            if sel.distinct {
                return Err(AdqlError::new(
                    ErrorKind::Type,
                    "with SELECT DISTINCT, ORDER BY can only use output columns",
                )
                .at(o.expr.span())
                .hint("add the expression to the select list and order by its name"));
            }
            order.push((OrderKey::Expr(e), o.desc));
        }

        let types = items.iter().map(|i| i.0.ty()).collect();
        let metas = items.iter().map(|i| i.1.clone()).collect();
        let select = model::Select {
            distinct: sel.distinct,
            top: sel.top,
            items: items
                .into_iter()
                .map(|i| i.0)
                .zip(names.iter().cloned())
                .collect(),
            from,
            where_,
            group_by,
            having,
        };
        Ok(CheckedSelect {
            select,
            names,
            types,
            metas,
            order_by: order,
        })
    }

    /// Unique output names: explicit aliases must differ; implicit names that collide get `_2`, `_3`, ...
    /// and a warning says so (TAP 1.1 §3.2 wants unique names; we never rename silently).
    fn unique_names(
        &mut self,
        items: &[(Expr, Meta, String, bool, ast::Span)],
        top_level: bool,
    ) -> Result<Vec<String>, AdqlError> {
        let mut names: Vec<String> = Vec::with_capacity(items.len());
        for (i, (_, _, name, explicit, span)) in items.iter().enumerate() {
            if *explicit
                && let Some(j) = items[..i]
                    .iter()
                    .position(|it| it.3 && it.2.eq_ignore_ascii_case(name))
            {
                return Err(AdqlError::new(
                    ErrorKind::Name,
                    format!(
                        "two output columns are called '{name}' (columns {} and {})",
                        j + 1,
                        i + 1
                    ),
                )
                .at(*span)
                .hint("give them different aliases"));
            }
        }
        for (i, (_, _, name, explicit, _)) in items.iter().enumerate() {
            let taken = |n: &str, names: &[String]| {
                names.iter().any(|m| m.eq_ignore_ascii_case(n))
                    || items
                        .iter()
                        .enumerate()
                        .any(|(j, it)| j != i && it.3 && it.2.eq_ignore_ascii_case(n))
            };
            let mut chosen = name.clone();
            if !explicit && taken(&chosen, &names) {
                let mut k = 2;
                while taken(&format!("{name}_{k}"), &names) {
                    k += 1;
                }
                chosen = format!("{name}_{k}");
                if top_level {
                    self.warnings.push(format!(
                        "output column {} is named '{chosen}' because '{name}' is already taken",
                        i + 1
                    ));
                }
            }
            names.push(chosen);
        }
        Ok(names)
    }
}

/// The output column an ORDER BY item names: a position, or an unqualified output name.
fn output_position(e: &ast::Expr, names: &[String]) -> Result<Option<usize>, AdqlError> {
    match e {
        ast::Expr::Literal(ast::Literal::Number(n), span) => {
            let pos: usize = n.parse().map_err(|_| {
                AdqlError::new(
                    ErrorKind::Syntax,
                    format!("ORDER BY {n}: a position is an integer"),
                )
                .at(*span)
            })?;
            if pos == 0 || pos > names.len() {
                return Err(AdqlError::new(
                    ErrorKind::Name,
                    format!("ORDER BY {pos}: there are {} output columns", names.len()),
                )
                .at(*span));
            }
            Ok(Some(pos))
        }
        ast::Expr::Column { qualifier, column } if qualifier.is_empty() => {
            Ok(names.iter().position(|n| column.matches(n)).map(|i| i + 1))
        }
        _ => Ok(None),
    }
}

/// The name of an unnamed select item: the column's name, a function's lower-case name, else `col<N>`.
fn implicit_name(ast: &ast::Expr, _e: &Expr, index: usize) -> String {
    match ast {
        ast::Expr::Column { column, .. } => column.name.clone(),
        ast::Expr::Paren(inner, _) => implicit_name(inner, _e, index),
        ast::Expr::Aggregate { func, .. } => super::expr::agg_name(*func).to_lowercase(),
        ast::Expr::Call { name, .. } => match Builtin::lookup(&name.name) {
            Some(b) => b.name().to_lowercase(),
            None => name.name.to_lowercase(),
        },
        ast::Expr::Coalesce(..) => "coalesce".into(),
        _ => format!("col{}", index + 1),
    }
}

/// A column used outside set functions and not covered by GROUP BY, if any (SQL-92 §7.9; checked here so both
/// backends agree, as SQLite would otherwise accept it).
fn ungrouped(e: &Expr, group_by: &[Expr]) -> Option<String> {
    if group_by.iter().any(|g| g == e) {
        return None;
    }
    match e {
        Expr::Column(c) => Some(c.column.clone()),
        Expr::Aggregate { .. }
        | Expr::Udf {
            aggregate: true, ..
        }
        | Expr::Subquery(..) => None,
        Expr::Number(..) | Expr::Str(_) | Expr::Null => None,
        Expr::Neg(a) | Expr::Scaled(a, _) | Expr::Cast(a, _) => ungrouped(a, group_by),
        Expr::Binary(_, a, b, _) => ungrouped(a, group_by).or_else(|| ungrouped(b, group_by)),
        Expr::Builtin(_, args, _) | Expr::Udf { args, .. } | Expr::Coalesce(args, _) => {
            args.iter().find_map(|a| ungrouped(a, group_by))
        }
    }
}

fn set_op_name(op: ast::SetOp) -> &'static str {
    match op {
        ast::SetOp::Union => "UNION",
        ast::SetOp::Except => "EXCEPT",
        ast::SetOp::Intersect => "INTERSECT",
    }
}
