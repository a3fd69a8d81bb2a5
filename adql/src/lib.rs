//! ADQL 2.1 for Almagest: parse strictly, check against a catalogue, translate to SQL for SQLite or PostgreSQL.
//!
//! ```
//! let q = adql::parse("SELECT TOP 5 ra, dec FROM hip.main WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(56.75, 24.12, 2))").unwrap();
//! assert_eq!(q.with.len(), 0);
//! assert!(adql::parse("SELECT ra FROM hip.main LIMIT 5").is_err());
//! ```
//!
//! The three stages follow DataFusion's SQL layer: [`parse`] gives a syntax tree ([`ast`]); [`check`] resolves
//! every name through a [`Catalog`], types every expression and computes each output column's VOTable metadata;
//! [`translate`] prints SQL for a [`Dialect`] from the checked model, never from user text.
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod ast;
mod catalog;
mod check;
mod error;
pub mod functions;
mod keywords;
mod lexer;
pub mod model;
mod parser;
mod span;
mod stcs;
mod translate;
pub mod types;
mod udf;
mod units;
mod visit;

pub use catalog::{Catalog, ColumnMeta, PositionIndex, SqlName, TableMeta};
pub use check::meta::OutputColumn;
pub use check::{CheckedQuery, check};
pub use error::{AdqlError, ErrorKind, Problem, did_you_mean, suggestions};
pub use span::Span;
pub use translate::sky;
pub use translate::{Dialect, TranslateOptions, translate};
pub use udf::{Udf, standard_udfs};
pub use units::conversion as unit_conversion;

/// Whether a column or table name must be written as a delimited identifier in ADQL (it is not a regular
/// identifier, or it is a reserved word): TAP_SCHEMA then lists it with its quotes (TAP 1.1 §4).
pub fn needs_delimiting(name: &str) -> bool {
    let mut chars = name.chars();
    let regular = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    !regular || keywords::is_reserved(name)
}

/// The ADQL form of a name: as is, or in double quotes when it needs them.
pub fn adql_name(name: &str) -> String {
    if needs_delimiting(name) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

/// The name a (possibly delimited) ADQL identifier stands for: `"size"` → `size`.
pub fn undelimited(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) if !inner.is_empty() => inner.replace("\"\"", "\""),
        _ => name.to_string(),
    }
}

/// Parses a query (grammar only: names are not resolved).
pub fn parse(adql: &str) -> Result<ast::Query, AdqlError> {
    parser::parse(adql)
}

/// Parses a query and checks that every function it calls is an ADQL function or one of `udfs` (by name and
/// number of arguments): what a validator without a catalogue can say.
pub fn validate_syntax(adql: &str, udfs: &[Udf]) -> Result<ast::Query, AdqlError> {
    let q = parse(adql)?;
    let mut errors = Vec::new();
    visit::walk_exprs(&q, &mut |e| {
        if let ast::Expr::Call { name, args, span } = e
            && functions::Builtin::lookup(&name.name).is_none()
        {
            match udfs.iter().find(|u| u.name.eq_ignore_ascii_case(&name.name)) {
                    None => errors.push(
                        AdqlError::new(ErrorKind::Name, format!("unknown function '{}'", name.name))
                            .at(*span)
                            .hint(
                                did_you_mean(&suggestions(&name.name, udfs.iter().map(|u| u.name.as_str())))
                                    .unwrap_or_else(|| "only ADQL functions and the service's declared functions can be used".into()),
                            ),
                    ),
                    Some(u) if u.args.len() != args.len() => errors.push(
                        AdqlError::new(
                            ErrorKind::Type,
                            format!("{} takes {} argument(s), not {}: {}", u.name, u.args.len(), args.len(), u.form()),
                        )
                        .at(*span),
                    ),
                    Some(_) => {}
                }
        }
    });
    match AdqlError::merge(errors) {
        Some(e) => Err(e),
        None => Ok(q),
    }
}
