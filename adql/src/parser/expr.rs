//! Search conditions and value expressions.
//!
//! Precedence, loosest first: OR, AND, NOT, predicates; then `||`, `+ -`, `* /`, unary sign. ADQL has no boolean
//! values, so a value alone is never a condition: `WHERE CONTAINS(a, b)` is an error with advice to compare it.

use super::Parser;
use crate::ast::*;
use crate::error::{AdqlError, ErrorKind};
use crate::functions::Builtin;
use crate::keywords::is_reserved;
use crate::lexer::Tok;

impl Parser {
    /// `search_condition`.
    pub(super) fn cond(&mut self) -> Result<Cond, AdqlError> {
        self.enter()?;
        let mut terms = vec![self.cond_and()?];
        while self.eat_kw("OR") {
            terms.push(self.cond_and()?);
        }
        self.leave();
        Ok(if terms.len() == 1 {
            terms.swap_remove(0)
        } else {
            Cond::Or(terms)
        })
    }

    fn cond_and(&mut self) -> Result<Cond, AdqlError> {
        let mut terms = vec![self.cond_not()?];
        while self.eat_kw("AND") {
            terms.push(self.cond_not()?);
        }
        Ok(if terms.len() == 1 {
            terms.swap_remove(0)
        } else {
            Cond::And(terms)
        })
    }

    fn cond_not(&mut self) -> Result<Cond, AdqlError> {
        if self.at_kw("NOT") && !self.at_kw_n(1, "EXISTS") {
            let span = self.advance().span;
            self.enter()?;
            let inner = self.cond_not()?;
            self.leave();
            return Ok(Cond::Not(Box::new(inner), span));
        }
        self.bool_primary()
    }

    fn bool_primary(&mut self) -> Result<Cond, AdqlError> {
        if self.at_kw("EXISTS") || (self.at_kw("NOT") && self.at_kw_n(1, "EXISTS")) {
            let negated = self.eat_kw("NOT");
            let span = self.advance().span;
            self.expect(&Tok::LParen)?;
            let q = self.select_expr()?;
            self.expect(&Tok::RParen)?;
            let c = Cond::Exists(Box::new(q));
            return Ok(if negated {
                Cond::Not(Box::new(c), span)
            } else {
                c
            });
        }
        if *self.peek() == Tok::LParen && !(self.at_kw_n(1, "SELECT") || self.at_kw_n(1, "WITH")) {
            // `( search_condition )` or a predicate starting with `( value )`: try the former, fall back.
            let (save, depth) = (self.pos, self.depth);
            self.advance();
            let first_err = match self.cond() {
                Ok(c) => {
                    if *self.peek() != Tok::RParen {
                        Some(self.expected("')'"))
                    } else {
                        self.advance();
                        if !self.continues_value() {
                            return Ok(c);
                        }
                        None
                    }
                }
                Err(e) => Some(e),
            };
            (self.pos, self.depth) = (save, depth);
            // Neither reading worked: report the error that got further into the query.
            return self.predicate().map_err(|second| match first_err {
                Some(first) if pos_of(&first) > pos_of(&second) => first,
                _ => second,
            });
        }
        self.predicate()
    }

    /// Whether the next token continues a value expression or starts a predicate operator (then a
    /// parenthesised prefix was a value, not a condition).
    fn continues_value(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Eq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Plus
                | Tok::Minus
                | Tok::Star
                | Tok::Slash
                | Tok::Concat
        ) || ["BETWEEN", "IN", "LIKE", "ILIKE", "IS", "NOT"]
            .iter()
            .any(|k| self.at_kw(k))
    }

    fn predicate(&mut self) -> Result<Cond, AdqlError> {
        let left = self.expr()?;
        let span = self.span();
        let op = match self.peek() {
            Tok::Eq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            if self.at_kw("ALL") || self.at_kw("ANY") || self.at_kw("SOME") {
                return Err(self.error_here(
                    "quantified comparisons (ALL/ANY/SOME) are not ADQL: use IN or EXISTS",
                ));
            }
            let right = self.expr()?;
            return Ok(Cond::Compare {
                left,
                op,
                right,
                span,
            });
        }
        let negated = self.at_kw("NOT")
            && (self.at_kw_n(1, "BETWEEN")
                || self.at_kw_n(1, "IN")
                || self.at_kw_n(1, "LIKE")
                || self.at_kw_n(1, "ILIKE"));
        if negated {
            self.advance();
        }
        if self.eat_kw("BETWEEN") {
            let low = self.expr()?;
            self.expect_kw("AND")?;
            let high = self.expr()?;
            return Ok(Cond::Between {
                expr: left,
                low,
                high,
                negated,
            });
        }
        if self.eat_kw("IN") {
            self.expect(&Tok::LParen)?;
            let list = if self.at_kw("SELECT")
                || (*self.peek() == Tok::LParen && self.paren_starts_query())
            {
                InList::Subquery(Box::new(self.select_expr()?))
            } else {
                let mut v = Vec::new();
                loop {
                    v.push(self.expr()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                InList::Values(v)
            };
            self.expect(&Tok::RParen)?;
            return Ok(Cond::In {
                expr: left,
                list,
                negated,
            });
        }
        let like_span = self.span();
        if self.at_kw("LIKE") || self.at_kw("ILIKE") {
            let case_insensitive = self.at_kw("ILIKE");
            self.advance();
            let pattern = self.expr()?;
            if self.at_kw("ESCAPE") {
                return Err(self.error_here("LIKE ... ESCAPE is not part of ADQL 2.1"));
            }
            return Ok(Cond::Like {
                expr: left,
                pattern,
                negated,
                case_insensitive,
                span: like_span,
            });
        }
        if self.at_kw("SIMILAR") {
            return Err(self.error_here("SIMILAR TO is not ADQL: use LIKE"));
        }
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            if !self.eat_kw("NULL") {
                return Err(self
                    .expected("NULL after IS")
                    .hint("ADQL has IS NULL and IS NOT NULL only"));
            }
            if !matches!(left, Expr::Column { .. }) {
                return Err(AdqlError::new(
                    ErrorKind::Syntax,
                    "IS [NOT] NULL applies to a column in ADQL 2.1",
                )
                .at(left.span())
                .hint("compare the expression instead, or test the columns it is made of"));
            }
            return Ok(Cond::IsNull {
                expr: left,
                negated,
            });
        }
        let e = AdqlError::new(
            ErrorKind::Syntax,
            format!(
                "expected a comparison (=, <, BETWEEN, IN, LIKE, IS NULL ...), found {}",
                self.peek().describe()
            ),
        )
        .at(self.span());
        Err(if matches!(left, Expr::Call { .. }) {
            e.hint("a value is not a condition in ADQL: compare it, e.g. 1 = CONTAINS(...)")
        } else {
            match self.advice() {
                Some(a) => e.hint(a),
                None => e,
            }
        })
    }

    /// `value_expression`.
    pub(super) fn expr(&mut self) -> Result<Expr, AdqlError> {
        self.enter()?;
        let mut left = self.additive()?;
        let mut links = 0;
        while *self.peek() == Tok::Concat {
            self.chain_link(&mut links)?;
            let span = self.advance().span;
            let right = self.additive()?;
            left = Expr::Binary {
                op: BinOp::Concat,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
        self.end_chain(links);
        self.leave();
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, AdqlError> {
        let mut left = self.term()?;
        let mut links = 0;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => {
                    self.end_chain(links);
                    return Ok(left);
                }
            };
            self.chain_link(&mut links)?;
            let span = self.advance().span;
            let right = self.term()?;
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
    }

    fn term(&mut self) -> Result<Expr, AdqlError> {
        let mut left = self.factor()?;
        let mut links = 0;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => {
                    self.end_chain(links);
                    return Ok(left);
                }
            };
            self.chain_link(&mut links)?;
            let span = self.advance().span;
            let right = self.factor()?;
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
    }

    fn factor(&mut self) -> Result<Expr, AdqlError> {
        match self.peek() {
            Tok::Minus | Tok::Plus => {
                let neg = *self.peek() == Tok::Minus;
                let span = self.advance().span;
                if matches!(self.peek(), Tok::Minus | Tok::Plus) {
                    return Err(
                        self.error_here("two signs in a row: ADQL allows one sign before a value")
                    );
                }
                let inner = self.primary()?;
                Ok(if neg {
                    Expr::Neg(Box::new(inner), span)
                } else {
                    inner
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, AdqlError> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Number(n) => {
                self.advance();
                Ok(Expr::Literal(Literal::Number(n), span))
            }
            Tok::Str(s) => {
                self.advance();
                if let Tok::Str(_) = self.peek() {
                    return Err(self.error_here("two strings in a row: join strings with ||"));
                }
                Ok(Expr::Literal(Literal::Str(s), span))
            }
            Tok::LParen => {
                let (save, depth) = (self.pos, self.depth);
                self.advance();
                if self.at_kw("SELECT")
                    || (*self.peek() == Tok::LParen && self.paren_starts_query())
                {
                    let first = match self.select_expr() {
                        Ok(q) if *self.peek() == Tok::RParen => {
                            self.advance();
                            return Ok(Expr::Subquery(Box::new(q), span));
                        }
                        Ok(_) => self.expected("')'"),
                        Err(e) => e,
                    };
                    // `((SELECT ...) / 2)` is a parenthesised value that starts with a scalar subquery; `(SELECT`
                    // can only be a subquery.
                    (self.pos, self.depth) = (save + 1, depth);
                    if *self.peek() != Tok::LParen {
                        return Err(first);
                    }
                    let second = match self.expr() {
                        Ok(inner) if *self.peek() == Tok::RParen => {
                            self.advance();
                            return Ok(Expr::Paren(Box::new(inner), span));
                        }
                        Ok(_) => self.expected("')'"),
                        Err(e) => e,
                    };
                    return Err(if pos_of(&first) >= pos_of(&second) {
                        first
                    } else {
                        second
                    });
                }
                let inner = self.expr()?;
                self.expect(&Tok::RParen)?;
                Ok(Expr::Paren(Box::new(inner), span))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => {
                self.advance();
                Ok(Expr::Null(span))
            }
            Tok::Word(w) if *self.peek_at(1) == Tok::LParen => self.call(w, span),
            Tok::Word(_) | Tok::Quoted(_) => self.column_ref(),
            _ => Err(self.expected("a value (column, number, string, function ...)")),
        }
    }

    fn column_ref(&mut self) -> Result<Expr, AdqlError> {
        let mut parts = vec![self.ident("a column name")?];
        while *self.peek() == Tok::Dot {
            self.advance();
            parts.push(self.ident("a name after '.'")?);
        }
        if parts.len() > 4 {
            return Err(AdqlError::new(
                ErrorKind::Syntax,
                "a column reference has at most four parts",
            )
            .at(parts[0].span));
        }
        let column = parts.pop().ok_or_else(|| self.expected("a column name"))?;
        Ok(Expr::Column {
            qualifier: parts,
            column,
        })
    }

    fn args(&mut self) -> Result<Vec<Expr>, AdqlError> {
        self.expect(&Tok::LParen)?;
        let mut args = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen)?;
        Ok(args)
    }

    fn call(&mut self, word: String, span: crate::span::Span) -> Result<Expr, AdqlError> {
        let up = word.to_ascii_uppercase();
        let agg = match up.as_str() {
            "COUNT" => Some(AggFn::Count),
            "AVG" => Some(AggFn::Avg),
            "MIN" => Some(AggFn::Min),
            "MAX" => Some(AggFn::Max),
            "SUM" => Some(AggFn::Sum),
            _ => None,
        };
        if let Some(func) = agg {
            self.advance();
            self.expect(&Tok::LParen)?;
            if func == AggFn::Count && *self.peek() == Tok::Star {
                self.advance();
                self.expect(&Tok::RParen)?;
                return self.no_window(Expr::Aggregate {
                    func,
                    distinct: false,
                    arg: None,
                    span,
                });
            }
            let distinct = if self.eat_kw("DISTINCT") {
                true
            } else {
                self.eat_kw("ALL");
                false
            };
            let arg = self.expr()?;
            self.expect(&Tok::RParen)?;
            return self.no_window(Expr::Aggregate {
                func,
                distinct,
                arg: Some(Box::new(arg)),
                span,
            });
        }
        match up.as_str() {
            "CAST" => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let expr = self.expr()?;
                self.expect_kw("AS")?;
                let target = self.cast_type()?;
                self.expect(&Tok::RParen)?;
                return Ok(Expr::Cast {
                    expr: Box::new(expr),
                    target,
                    span,
                });
            }
            "COALESCE" => {
                self.advance();
                let args = self.args()?;
                if args.is_empty() {
                    return Err(AdqlError::new(
                        ErrorKind::Syntax,
                        "COALESCE needs at least one argument",
                    )
                    .at(span));
                }
                return Ok(Expr::Coalesce(args, span));
            }
            _ => {}
        }
        let name = crate::ast::Ident {
            name: word.clone(),
            quoted: false,
            span,
        };
        if let Some(b) = Builtin::lookup(&word) {
            self.advance();
            let args = self.args()?;
            self.check_builtin_args(b, &args, span)?;
            return Ok(Expr::Call { name, args, span });
        }
        if is_reserved(&word) {
            return Err(
                AdqlError::new(ErrorKind::Syntax, format!("{up} is not an ADQL function"))
                    .at(span)
                    .hint("see ADQL 2.1 §2.3 and §4 for the functions of the language"),
            );
        }
        self.advance();
        let args = self.args()?;
        self.no_window(Expr::Call { name, args, span })
    }

    fn no_window(&self, e: Expr) -> Result<Expr, AdqlError> {
        if self.at_kw("OVER") || self.at_kw("FILTER") || self.at_kw("WITHIN") {
            return Err(self
                .error_here("window and filtered aggregates (OVER, FILTER) are not part of ADQL"));
        }
        Ok(e)
    }

    fn cast_type(&mut self) -> Result<CastType, AdqlError> {
        let span = self.span();
        let Tok::Word(w) = self.peek().clone() else {
            return Err(self.expected("a type name"));
        };
        self.advance();
        let len = |p: &mut Parser| -> Result<Option<u32>, AdqlError> {
            if p.eat(&Tok::LParen) {
                let n = p.unsigned_int("a length")?;
                p.expect(&Tok::RParen)?;
                u32::try_from(n)
                    .map(Some)
                    .map_err(|_| p.error_here("length too large"))
            } else {
                Ok(None)
            }
        };
        Ok(match w.to_ascii_uppercase().as_str() {
            "SMALLINT" => CastType::Smallint,
            "INTEGER" => CastType::Integer,
            "BIGINT" => CastType::Bigint,
            "REAL" => CastType::Real,
            "DOUBLE" => {
                self.expect_kw("PRECISION")?;
                CastType::Double
            }
            "CHAR" => CastType::Char(len(self)?),
            "VARCHAR" => CastType::Varchar(len(self)?),
            "TIMESTAMP" => CastType::Timestamp,
            "POINT" => CastType::Point,
            "CIRCLE" => CastType::Circle,
            "POLYGON" => CastType::Polygon,
            other => {
                return Err(AdqlError::new(ErrorKind::Syntax, format!("{other} is not a type ADQL can CAST to"))
                    .at(span)
                    .hint("use SMALLINT, INTEGER, BIGINT, REAL, DOUBLE PRECISION, CHAR(n), VARCHAR(n), TIMESTAMP, POINT, CIRCLE or POLYGON"));
            }
        })
    }
}

fn pos_of(e: &AdqlError) -> usize {
    e.problems
        .first()
        .and_then(|p| p.span)
        .map(|s| s.start)
        .unwrap_or(0)
}
