//! Name scopes: which columns a FROM clause makes visible, and how names resolve under ADQL's case rules
//! (regular identifiers case-insensitive, delimited ones exact).

use super::meta::Meta;
use crate::ast::Ident;
use crate::error::{AdqlError, ErrorKind, did_you_mean, suggestions};
use crate::model;

/// A column a FROM entry offers.
#[derive(Debug, Clone)]
pub struct RelCol {
    /// Its ADQL name.
    pub name: String,
    /// How the model refers to it.
    pub expr: model::Expr,
    /// Its metadata.
    pub meta: Meta,
}

/// A range variable: a table, CTE or subquery in FROM, addressable by alias or table name.
#[derive(Debug, Clone)]
pub struct Range {
    /// The alias given in the query.
    pub alias: Option<Ident>,
    /// (schema, table) ADQL names of a catalogue table or CTE (for references by table name).
    pub table: Option<(Option<String>, String)>,
    /// Its columns.
    pub cols: Vec<RelCol>,
    /// The table was not found (an error is already reported; its columns are unknown, not missing).
    pub unresolved: bool,
}

impl Range {
    /// A readable name for messages.
    pub fn label(&self) -> String {
        match (&self.alias, &self.table) {
            (Some(a), Some((s, t))) => format!("{} ({})", a.name, qualified(s, t)),
            (Some(a), None) => a.name.clone(),
            (None, Some((s, t))) => qualified(s, t),
            (None, None) => "?".into(),
        }
    }

    /// Whether a qualifier (`t`, `schema.t`, `catalog.schema.t`) names this range.
    pub fn answers_to(&self, qualifier: &[Ident]) -> bool {
        let Some(last) = qualifier.last() else {
            return false;
        };
        if let Some(alias) = &self.alias {
            // Once a table has an alias, only the alias names it (SQL-92 §6.3).
            return qualifier.len() == 1
                && (last.matches(&alias.name) || alias_matches(alias, last));
        }
        let Some((schema, table)) = &self.table else {
            return false;
        };
        if !last.matches(table) {
            return false;
        }
        match (qualifier.len(), schema) {
            (1, _) => true,
            (_, Some(s)) => qualifier[qualifier.len() - 2].matches(s),
            (_, None) => false,
        }
    }
}

/// A delimited alias is exact; a regular one matches case-insensitively in both directions.
fn alias_matches(alias: &Ident, used: &Ident) -> bool {
    if alias.quoted || used.quoted {
        alias.name == used.name
    } else {
        alias.name.eq_ignore_ascii_case(&used.name)
    }
}

fn qualified(s: &Option<String>, t: &str) -> String {
    match s {
        Some(s) => format!("{s}.{t}"),
        None => t.to_string(),
    }
}

/// The names visible at one level of a query.
#[derive(Debug, Default)]
pub struct Scope<'p> {
    /// Every range variable of the FROM clause.
    pub ranges: Vec<Range>,
    /// The combined column list (`*` in order; USING/NATURAL columns once).
    pub visible: Vec<RelCol>,
    /// The enclosing query's scope (correlated subqueries).
    pub parent: Option<&'p Scope<'p>>,
}

/// The result of a lookup.
pub enum Found<'s> {
    /// One column.
    One(&'s RelCol),
    /// Nothing by that name here or above.
    None,
}

impl<'p> Scope<'p> {
    /// Whether `alias` is a range variable of this query level, not of an enclosing one.
    pub fn is_local(&self, alias: &str) -> bool {
        self.ranges.iter().any(|r| {
            r.cols
                .iter()
                .any(|c| matches!(&c.expr, model::Expr::Column(cr) if cr.alias == alias))
        })
    }

    /// Resolves `[qualifier.]column`.
    pub fn lookup(&self, qualifier: &[Ident], column: &Ident) -> Result<Found<'_>, AdqlError> {
        if qualifier.is_empty() {
            let hits: Vec<&RelCol> = self
                .visible
                .iter()
                .filter(|c| column.matches(&c.name))
                .collect();
            match hits.len() {
                0 => {}
                1 => return Ok(Found::One(hits[0])),
                _ => {
                    let owners: Vec<String> = self
                        .ranges
                        .iter()
                        .filter(|r| r.cols.iter().any(|c| column.matches(&c.name)))
                        .map(Range::label)
                        .collect();
                    return Err(AdqlError::new(
                        ErrorKind::Name,
                        format!(
                            "column '{}' is ambiguous: it is in {}",
                            column.name,
                            owners.join(" and ")
                        ),
                    )
                    .at(column.span)
                    .hint("qualify it with a table name or alias"));
                }
            }
        } else {
            let ranges: Vec<&Range> = self
                .ranges
                .iter()
                .filter(|r| r.answers_to(qualifier))
                .collect();
            if ranges.len() > 1 {
                let names: Vec<String> = ranges.iter().map(|r| r.label()).collect();
                return Err(AdqlError::new(
                    ErrorKind::Name,
                    format!(
                        "'{}' could be {}",
                        join_idents(qualifier),
                        names.join(" or ")
                    ),
                )
                .at(qualifier[0].span)
                .hint("give the tables distinct aliases"));
            }
            if let Some(r) = ranges.first() {
                return match r.cols.iter().find(|c| column.matches(&c.name)) {
                    Some(c) => Ok(Found::One(c)),
                    None => Err(AdqlError::new(
                        ErrorKind::Name,
                        format!("no column '{}' in {}", column.name, r.label()),
                    )
                    .at(column.span)
                    .hint(
                        did_you_mean(&suggestions(
                            &column.name,
                            r.cols.iter().map(|c| c.name.as_str()),
                        ))
                        .unwrap_or_else(|| format!("see the columns of {} in /tables", r.label())),
                    )),
                };
            }
        }
        match self.parent {
            Some(p) => match p.lookup(qualifier, column) {
                Ok(Found::None) => Ok(Found::None),
                other => other,
            },
            None => Ok(Found::None),
        }
    }

    /// The error for a name found nowhere, with the closest names in scope.
    pub fn unknown(&self, qualifier: &[Ident], column: &Ident) -> AdqlError {
        if !qualifier.is_empty() {
            let known: Vec<String> = self.all_ranges().map(Range::label).collect();
            return AdqlError::new(
                ErrorKind::Name,
                format!(
                    "'{}' is not a table or alias of this query",
                    join_idents(qualifier)
                ),
            )
            .at(qualifier[0].span)
            .hint(if known.is_empty() {
                "name the table in FROM".to_string()
            } else {
                format!("FROM has {}", known.join(", "))
            });
        }
        let names: Vec<&str> = self.all_visible().map(|c| c.name.as_str()).collect();
        let tables: Vec<String> = self.ranges.iter().map(Range::label).collect();
        AdqlError::new(
            ErrorKind::Name,
            format!(
                "no column '{}' in {}",
                column.name,
                if tables.is_empty() {
                    "scope".into()
                } else {
                    tables.join(", ")
                }
            ),
        )
        .at(column.span)
        .hint(
            did_you_mean(&suggestions(&column.name, names))
                .unwrap_or_else(|| "see /tables for the columns".into()),
        )
    }

    /// Whether some table in scope could not be found (then unknown columns are not reported again).
    pub fn has_unresolved(&self) -> bool {
        self.ranges.iter().any(|r| r.unresolved) || self.parent.is_some_and(|p| p.has_unresolved())
    }

    fn all_ranges(&self) -> Box<dyn Iterator<Item = &Range> + '_> {
        match self.parent {
            Some(p) => Box::new(self.ranges.iter().chain(p.all_ranges())),
            None => Box::new(self.ranges.iter()),
        }
    }

    fn all_visible(&self) -> Box<dyn Iterator<Item = &RelCol> + '_> {
        match self.parent {
            Some(p) => Box::new(self.visible.iter().chain(p.all_visible())),
            None => Box::new(self.visible.iter()),
        }
    }
}

/// `a.b.c` from identifiers.
pub fn join_idents(parts: &[Ident]) -> String {
    parts
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}
