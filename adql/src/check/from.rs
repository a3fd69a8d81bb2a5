//! FROM: tables through the catalogue (or WITH queries), subqueries, and joins. USING and NATURAL joins become
//! explicit ON conditions here, with the join columns visible once, so the translators never depend on how a
//! backend treats them.

use super::Checker;
use super::meta::Meta;
use super::scope::{Range, RelCol, Scope};
use crate::ast::{self, Ident, JoinConstraint, JoinKind, TableRef};
use crate::error::{AdqlError, ErrorKind, did_you_mean, suggestions};
use crate::model::{self, ColumnRef, Cond, Expr, PositionRole};
use crate::types::Ty;

/// A resolved FROM entry: the model, its range variables, and the columns it makes visible.
pub(super) struct Resolved {
    pub from: model::From,
    pub ranges: Vec<Range>,
    pub visible: Vec<RelCol>,
}

impl Checker<'_> {
    pub(super) fn table_ref(
        &mut self,
        t: &TableRef,
        outer: Option<&Scope<'_>>,
    ) -> Result<Resolved, AdqlError> {
        match t {
            TableRef::Table { name, alias } => self.named_table(name, alias.as_ref()),
            TableRef::Derived { query, alias } => {
                let (q, metas) = self.select_expr(query, outer, false)?;
                let sql_alias = self.alias();
                let cols: Vec<RelCol> = q
                    .names
                    .iter()
                    .zip(&q.types)
                    .zip(metas)
                    .map(|((n, t), meta)| RelCol {
                        name: n.clone(),
                        expr: Expr::Column(ColumnRef {
                            alias: sql_alias.clone(),
                            column: n.clone(),
                            ty: *t,
                            position: None,
                        }),
                        meta,
                    })
                    .collect();
                Ok(Resolved {
                    from: model::From::Derived {
                        query: Box::new(q),
                        alias: sql_alias,
                    },
                    ranges: vec![Range {
                        alias: Some(alias.clone()),
                        table: None,
                        cols: cols.clone(),
                        unresolved: false,
                    }],
                    visible: cols,
                })
            }
            TableRef::Join(j) => self.join(j, outer),
        }
    }

    fn named_table(
        &mut self,
        name: &ast::TableName,
        alias: Option<&Ident>,
    ) -> Result<Resolved, AdqlError> {
        let sql_alias = self.alias();
        // A WITH query, by unqualified name.
        if name.qualifier.is_empty()
            && let Some(cte) = self
                .ctes
                .iter()
                .find(|c| name.table.matches(&c.name.name) || c.name.matches(&name.table.name))
        {
            let cols: Vec<RelCol> = cte
                .names
                .iter()
                .zip(&cte.types)
                .zip(&cte.metas)
                .map(|((n, t), m)| RelCol {
                    name: n.clone(),
                    expr: Expr::Column(ColumnRef {
                        alias: sql_alias.clone(),
                        column: n.clone(),
                        ty: *t,
                        position: None,
                    }),
                    meta: m.clone(),
                })
                .collect();
            return Ok(Resolved {
                from: model::From::Cte {
                    name: cte.sql.clone(),
                    alias: sql_alias,
                },
                ranges: vec![Range {
                    alias: alias.cloned(),
                    table: Some((None, cte.name.name.clone())),
                    cols: cols.clone(),
                    unresolved: false,
                }],
                visible: cols,
            });
        }
        let tables = self.catalog.tables();
        let schema = name.qualifier.last();
        let matches: Vec<&crate::catalog::TableMeta> = tables
            .iter()
            .filter(|t| name.table.matches(&t.name))
            .filter(|t| match (schema, &t.schema) {
                (None, _) => true,
                (Some(s), Some(ts)) => s.matches(ts),
                (Some(_), None) => false,
            })
            .collect();
        let table = match matches.as_slice() {
            [one] => *one,
            [] => {
                let wanted = name.display();
                let known: Vec<String> = tables.iter().map(|t| t.qualified_name()).collect();
                let mut close = suggestions(&wanted, known.iter().map(String::as_str));
                if close.is_empty() {
                    close = suggestions(&name.table.name, tables.iter().map(|t| t.name.as_str()))
                        .into_iter()
                        .filter_map(|n| {
                            tables
                                .iter()
                                .find(|t| t.name == n)
                                .map(|t| t.qualified_name())
                        })
                        .collect();
                }
                self.errors.push(
                    AdqlError::new(
                        ErrorKind::Name,
                        format!("no table '{wanted}' in this service"),
                    )
                    .at(name.span())
                    .hint(
                        did_you_mean(&close)
                            .unwrap_or_else(|| "see /tables for the published tables".into()),
                    ),
                );
                // Carry on with an empty range so that further unknown names are reported too.
                return Ok(Resolved {
                    from: model::From::Table {
                        sql: crate::SqlName {
                            schema: None,
                            table: String::new(),
                        },
                        alias: sql_alias,
                    },
                    ranges: vec![Range {
                        alias: alias.cloned(),
                        table: Some((None, name.table.name.clone())),
                        cols: vec![],
                        unresolved: true,
                    }],
                    visible: vec![],
                });
            }
            many => {
                let names: Vec<String> = many.iter().map(|t| t.qualified_name()).collect();
                return Err(AdqlError::new(
                    ErrorKind::Name,
                    format!(
                        "table '{}' exists in several schemas: {}",
                        name.table.name,
                        names.join(", ")
                    ),
                )
                .at(name.span())
                .hint("qualify it with its schema"));
            }
        };
        let cols: Vec<RelCol> = table
            .columns
            .iter()
            .map(|c| {
                let position = table.position.as_ref().and_then(|p| {
                    if p.ra.eq_ignore_ascii_case(&c.name) {
                        Some((PositionRole::Lon, p.clone()))
                    } else if p.dec.eq_ignore_ascii_case(&c.name) {
                        Some((PositionRole::Lat, p.clone()))
                    } else {
                        None
                    }
                });
                RelCol {
                    name: c.name.clone(),
                    expr: Expr::Column(ColumnRef {
                        alias: sql_alias.clone(),
                        column: c.sql_name.clone(),
                        ty: Ty::of_column(&c.datatype, c.arraysize.as_deref(), c.xtype.as_deref()),
                        position,
                    }),
                    meta: Meta::of_column(c),
                }
            })
            .collect();
        Ok(Resolved {
            from: model::From::Table {
                sql: table.sql_name.clone(),
                alias: sql_alias,
            },
            ranges: vec![Range {
                alias: alias.cloned(),
                table: Some((table.schema.clone(), table.name.clone())),
                cols: cols.clone(),
                unresolved: false,
            }],
            visible: cols,
        })
    }

    fn join(&mut self, j: &ast::Join, outer: Option<&Scope<'_>>) -> Result<Resolved, AdqlError> {
        let left = self.table_ref(&j.left, outer)?;
        let right = self.table_ref(&j.right, outer)?;
        let mut ranges = left.ranges;
        ranges.extend(right.ranges);
        let using: Vec<Ident> = match &j.constraint {
            JoinConstraint::Using(cols) => cols.clone(),
            JoinConstraint::Natural => left
                .visible
                .iter()
                .filter(|l| {
                    right
                        .visible
                        .iter()
                        .any(|r| r.name.eq_ignore_ascii_case(&l.name))
                })
                .map(|l| Ident {
                    name: l.name.clone(),
                    quoted: true,
                    span: j.span,
                })
                .collect(),
            JoinConstraint::On(_) => Vec::new(),
        };
        let (on, visible) = match &j.constraint {
            JoinConstraint::On(c) => {
                let scope = Scope {
                    ranges: ranges.clone(),
                    visible: left.visible.iter().chain(&right.visible).cloned().collect(),
                    parent: outer,
                };
                let cond = self.cond(c, &scope, false)?;
                (Some(cond), scope.visible)
            }
            _ => {
                let mut on: Option<Cond> = None;
                let mut merged = Vec::new();
                for u in &using {
                    let find = |side: &[RelCol]| -> Result<RelCol, AdqlError> {
                        let hits: Vec<&RelCol> =
                            side.iter().filter(|c| u.matches(&c.name)).collect();
                        match hits.as_slice() {
                            [one] => Ok((*one).clone()),
                            [] => Err(AdqlError::new(
                                ErrorKind::Name,
                                format!(
                                    "USING column '{}' is not on both sides of the join",
                                    u.name
                                ),
                            )
                            .at(u.span)
                            .hint(
                                did_you_mean(&suggestions(
                                    &u.name,
                                    side.iter().map(|c| c.name.as_str()),
                                ))
                                .unwrap_or_default(),
                            )),
                            _ => Err(AdqlError::new(
                                ErrorKind::Name,
                                format!("USING column '{}' is ambiguous", u.name),
                            )
                            .at(u.span)),
                        }
                    };
                    let (l, r) = (find(&left.visible)?, find(&right.visible)?);
                    let eq = Cond::Compare(l.expr.clone(), crate::ast::CmpOp::Eq, r.expr.clone());
                    on = Some(match on {
                        None => eq,
                        Some(Cond::And(mut terms)) => {
                            terms.push(eq);
                            Cond::And(terms)
                        }
                        Some(prev) => Cond::And(vec![prev, eq]),
                    });
                    let expr = match j.kind {
                        JoinKind::Right => r.expr.clone(),
                        JoinKind::Full => {
                            let ty = l.expr.ty().widen(r.expr.ty());
                            Expr::Coalesce(vec![l.expr.clone(), r.expr.clone()], ty)
                        }
                        _ => l.expr.clone(),
                    };
                    merged.push(RelCol {
                        name: l.name.clone(),
                        expr,
                        meta: l.meta.clone(),
                    });
                }
                let is_merged = |c: &RelCol| {
                    using
                        .iter()
                        .any(|u| u.matches(&c.name) || c.name.eq_ignore_ascii_case(&u.name))
                };
                let mut visible = merged;
                visible.extend(left.visible.iter().filter(|c| !is_merged(c)).cloned());
                visible.extend(right.visible.iter().filter(|c| !is_merged(c)).cloned());
                if on.is_none() && j.natural {
                    // NATURAL join without common columns: every row pairs (SQL-92 semantics).
                    on = Some(Cond::Compare(
                        Expr::Number("1".into(), Ty::Int),
                        crate::ast::CmpOp::Eq,
                        Expr::Number("1".into(), Ty::Int),
                    ));
                }
                (on, visible)
            }
        };
        Ok(Resolved {
            from: model::From::Join {
                left: Box::new(left.from),
                right: Box::new(right.from),
                kind: j.kind,
                on,
            },
            ranges,
            visible,
        })
    }
}
