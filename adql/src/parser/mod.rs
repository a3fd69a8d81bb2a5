//! A strict recursive-descent parser for ADQL 2.1: it accepts what the grammar (adql.bnf) accepts, and for the
//! usual mistakes (SQL dialect habits) it says what ADQL wants instead.

mod expr;
mod geometry;
mod query;

pub(crate) use geometry::split_coordsys;

use crate::ast::{Ident, Query};
use crate::error::{AdqlError, ErrorKind};
use crate::keywords::is_reserved;
use crate::lexer::{Tok, Token, tokenize};
use crate::span::Span;

/// Parses a whole query.
pub fn parse(src: &str) -> Result<Query, AdqlError> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let q = p.query()?;
    Ok(q)
}

/// Nesting limit (parentheses, function arguments, subqueries, chained operators; AND and OR lists are flat and
/// do not count): deeper queries are refused rather than risking the stack. Measured in unoptimised builds, a
/// query at this limit needs at most ~1.2 MB of stack for parse + check + translate (a 2 MB thread stack is the
/// usual size); optimised builds need far less. `tests/parse.rs` holds it to that.
const MAX_DEPTH: usize = 40;

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Words that start a clause: they end a select item or table reference instead of being read as aliases.
const NOT_ALIAS_WORDS: &[&str] = &["LIMIT", "OVER", "FETCH", "WINDOW", "QUALIFY", "RETURNING"];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.tokens[self.pos.min(self.tokens.len() - 1)].span
    }

    fn advance(&mut self) -> Token {
        let t = self.tokens[self.pos.min(self.tokens.len() - 1)].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// Whether the current token is the keyword `kw` (case-insensitive).
    fn at_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn at_kw_n(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<Span, AdqlError> {
        if self.at_kw(kw) {
            Ok(self.advance().span)
        } else {
            Err(self.expected(kw))
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok) -> Result<Span, AdqlError> {
        if self.peek() == t {
            Ok(self.advance().span)
        } else {
            Err(self.expected(&t.describe()))
        }
    }

    /// "expected X, found Y" at the current token, with advice for common non-ADQL words.
    fn expected(&self, what: &str) -> AdqlError {
        let found = self.peek().describe();
        let mut e = AdqlError::new(ErrorKind::Syntax, format!("expected {what}, found {found}"))
            .at(self.span());
        if let Some(advice) = self.advice() {
            e = e.hint(advice);
        }
        e
    }

    fn error_here(&self, msg: impl Into<String>) -> AdqlError {
        AdqlError::new(ErrorKind::Syntax, msg).at(self.span())
    }

    /// Advice for a token that starts something ADQL does not have.
    fn advice(&self) -> Option<String> {
        let Tok::Word(w) = self.peek() else {
            return None;
        };
        let up = w.to_ascii_uppercase();
        Some(
            match up.as_str() {
                "LIMIT" => "LIMIT is not ADQL: write SELECT TOP n ...",
                "FETCH" => "FETCH FIRST is not ADQL: write SELECT TOP n ...",
                "OVER" | "WINDOW" => "window functions are not part of ADQL",
                "INTO" => "SELECT ... INTO is not ADQL: queries only read",
                "FOR" => "FOR UPDATE and similar clauses are not ADQL",
                "CROSS" => "CROSS JOIN is not ADQL: list the tables separated by commas",
                "INSERT" | "UPDATE" | "DELETE" | "CREATE" | "DROP" | "ALTER" | "GRANT" => {
                    "only queries (SELECT) are allowed: ADQL cannot change data"
                }
                "WITH" => "WITH is allowed only at the very start of the whole query",
                "CASE" => "CASE expressions are not part of ADQL 2.1",
                "DISTINCT" => "DISTINCT comes right after SELECT, before TOP",
                "TOP" => "TOP comes right after SELECT (and DISTINCT)",
                "NULLS" => "NULLS FIRST/LAST is not ADQL",
                _ => return None,
            }
            .to_string(),
        )
    }

    /// An identifier (regular and not reserved, or delimited).
    fn ident(&mut self, role: &str) -> Result<Ident, AdqlError> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Quoted(q) => {
                self.advance();
                Ok(Ident {
                    name: q,
                    quoted: true,
                    span,
                })
            }
            Tok::Word(w) if !is_reserved(&w) => {
                self.advance();
                Ok(Ident {
                    name: w,
                    quoted: false,
                    span,
                })
            }
            Tok::Word(w) => {
                let mut e = AdqlError::new(
                    ErrorKind::Syntax,
                    format!("expected {role}, found the reserved word '{w}'"),
                )
                .at(span);
                e = match self.advice() {
                    Some(a) => e.hint(a),
                    None => e.hint(format!(
                        "if '{w}' is a name, write it in double quotes: \"{}\"",
                        w.to_lowercase()
                    )),
                };
                Err(e)
            }
            _ => Err(self.expected(role)),
        }
    }

    /// Whether the current token can start an alias (an identifier that is not a reserved word).
    fn at_alias(&self) -> bool {
        match self.peek() {
            Tok::Quoted(_) => true,
            Tok::Word(w) => {
                !is_reserved(w) && !NOT_ALIAS_WORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
            }
            _ => false,
        }
    }

    /// An unsigned integer literal (TOP, OFFSET, positions).
    fn unsigned_int(&mut self, what: &str) -> Result<u64, AdqlError> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
                self.advance();
                n.parse().map_err(|_| {
                    AdqlError::new(ErrorKind::Syntax, format!("{what} {n} is too large")).at(span)
                })
            }
            Tok::Number(n) => Err(AdqlError::new(
                ErrorKind::Syntax,
                format!("{what} must be an unsigned integer, not {n}"),
            )
            .at(span)),
            Tok::Minus => Err(AdqlError::new(
                ErrorKind::Syntax,
                format!("{what} cannot be negative"),
            )
            .at(span)),
            _ => Err(self.expected(&format!("an unsigned integer ({what})"))),
        }
    }

    fn enter(&mut self) -> Result<(), AdqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self
                .error_here(format!("the query is nested too deeply (more than {MAX_DEPTH} levels)"))
                .hint("nesting counts parentheses, function arguments, subqueries and operators chained like a + b + c; AND and OR lists do not count"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// One more operator in a left-associative chain (`a + b + c`, `q1 UNION q2 UNION q3`): the tree the chain
    /// builds is as deep as it is long, and the checker and translators recurse through it, so each link counts
    /// as a nesting level.
    fn chain_link(&mut self, links: &mut usize) -> Result<(), AdqlError> {
        self.enter()?;
        *links += 1;
        Ok(())
    }

    fn end_chain(&mut self, links: usize) {
        self.depth -= links;
    }
}
