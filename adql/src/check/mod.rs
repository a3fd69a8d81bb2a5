//! Checks a parsed query against a catalogue: resolves every table and column (reporting all unknown names at
//! once, with the closest known ones), types every expression, and computes the metadata of every output column.

mod cast;
mod expr;
mod from;
mod geometry;
pub(crate) mod meta;
mod scalar;
pub(crate) mod scope;
mod select;

use crate::ast;
use crate::catalog::Catalog;
use crate::error::AdqlError;
use crate::model;
use meta::{Meta, OutputColumn};

/// A query that passed the checker: the model to translate and what the result will look like.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedQuery {
    /// The resolved, typed model.
    pub query: model::Query,
    /// One entry per output column, in order.
    pub columns: Vec<OutputColumn>,
    /// Things the client should know (e.g. renamed duplicate columns), never silent.
    pub warnings: Vec<String>,
}

/// Checks `query` against `catalog`.
pub fn check(query: &ast::Query, catalog: &dyn Catalog) -> Result<CheckedQuery, AdqlError> {
    let mut c = Checker {
        catalog,
        next_alias: 0,
        ctes: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut with = Vec::new();
    for cte in &query.with {
        if c.ctes
            .iter()
            .any(|k| cte.name.matches(&k.name.name) || k.name.matches(&cte.name.name))
        {
            return Err(AdqlError::new(
                crate::ErrorKind::Name,
                format!("two WITH queries are called '{}'", cte.name.name),
            )
            .at(cte.name.span));
        }
        let (q, metas) = c.select_expr(&cte.query, None, false)?;
        let sql = format!("c{}", c.ctes.len());
        c.ctes.push(CteInfo {
            name: cte.name.clone(),
            sql: sql.clone(),
            names: q.names.clone(),
            types: q.types.clone(),
            metas,
        });
        with.push((sql, q));
    }
    let (body, metas) = c.select_expr(&query.body, None, true)?;
    if let Some(e) = AdqlError::merge(std::mem::take(&mut c.errors)) {
        return Err(e);
    }
    let columns = body
        .names
        .iter()
        .zip(&body.types)
        .zip(&metas)
        .map(|((n, t), m)| OutputColumn::new(n.clone(), *t, m))
        .collect();
    Ok(CheckedQuery {
        query: model::Query { with, body },
        columns,
        warnings: c.warnings,
    })
}

pub(crate) struct CteInfo {
    name: ast::Ident,
    sql: String,
    names: Vec<String>,
    types: Vec<crate::types::Ty>,
    metas: Vec<Meta>,
}

pub(crate) struct Checker<'c> {
    catalog: &'c dyn Catalog,
    next_alias: usize,
    ctes: Vec<CteInfo>,
    /// Name errors, collected so that all are reported together.
    errors: Vec<AdqlError>,
    warnings: Vec<String>,
}

impl Checker<'_> {
    fn alias(&mut self) -> String {
        let a = format!("t{}", self.next_alias);
        self.next_alias += 1;
        a
    }
}
