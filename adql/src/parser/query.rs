//! Queries, set operations, SELECT, FROM and joins (ADQL 2.1 §2.2).

use super::Parser;
use crate::ast::*;
use crate::error::{AdqlError, ErrorKind};
use crate::lexer::Tok;

impl Parser {
    /// `query_specification`: `[WITH ...] select_expression`, then the end of the input.
    pub(super) fn query(&mut self) -> Result<Query, AdqlError> {
        let mut with = Vec::new();
        if self.eat_kw("WITH") {
            loop {
                let name = self.ident("a name for the WITH query")?;
                self.expect_kw("AS")?;
                self.expect(&Tok::LParen)?;
                if self.at_kw("WITH") {
                    return Err(
                        self.error_here("WITH cannot be nested: put every common table at the top")
                    );
                }
                let query = self.select_expr()?;
                self.expect(&Tok::RParen)?;
                with.push(Cte { name, query });
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let body = self.select_expr()?;
        if *self.peek() != Tok::Eof {
            let e = match self.peek() {
                Tok::RParen => self.error_here("unbalanced ')'"),
                _ => self.expected("the end of the query"),
            };
            return Err(e);
        }
        Ok(Query { with, body })
    }

    /// `select_expression`: set operations, then ORDER BY and OFFSET.
    pub(super) fn select_expr(&mut self) -> Result<SelectExpr, AdqlError> {
        self.enter()?;
        let span = self.span();
        let set = self.set_expr()?;
        let mut order_by = Vec::new();
        if self.at_kw("ORDER") {
            self.advance();
            self.expect_kw("BY")?;
            loop {
                let expr = self.expr()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                if self.at_kw("NULLS") {
                    return Err(self.error_here("NULLS FIRST/LAST is not ADQL"));
                }
                order_by.push(OrderItem { expr, desc });
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let offset = if self.eat_kw("OFFSET") {
            let n = self.unsigned_int("OFFSET")?;
            if self.at_kw("ROWS") || self.at_kw("ROW") {
                return Err(self.error_here("write OFFSET n without ROWS"));
            }
            Some(n)
        } else {
            None
        };
        self.leave();
        Ok(SelectExpr {
            set,
            order_by,
            offset,
            span,
        })
    }

    fn set_expr(&mut self) -> Result<SetExpr, AdqlError> {
        let mut left = self.set_term()?;
        let mut links = 0;
        loop {
            let op = if self.at_kw("UNION") {
                SetOp::Union
            } else if self.at_kw("EXCEPT") {
                SetOp::Except
            } else {
                self.end_chain(links);
                return Ok(left);
            };
            self.chain_link(&mut links)?;
            let span = self.advance().span;
            let all = self.eat_kw("ALL");
            let right = self.set_term()?;
            left = SetExpr::Op {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
    }

    fn set_term(&mut self) -> Result<SetExpr, AdqlError> {
        let mut left = self.set_primary()?;
        let mut links = 0;
        while self.at_kw("INTERSECT") {
            self.chain_link(&mut links)?;
            let span = self.advance().span;
            let all = self.eat_kw("ALL");
            let right = self.set_primary()?;
            left = SetExpr::Op {
                op: SetOp::Intersect,
                all,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
        self.end_chain(links);
        Ok(left)
    }

    fn set_primary(&mut self) -> Result<SetExpr, AdqlError> {
        if self.at_kw("SELECT") {
            return Ok(SetExpr::Select(Box::new(self.select()?)));
        }
        if *self.peek() == Tok::LParen {
            self.advance();
            if self.at_kw("WITH") {
                return Err(self
                    .error_here("WITH is allowed only at the very start of the whole query, not inside parentheses"));
            }
            let inner = self.select_expr()?;
            self.expect(&Tok::RParen)?;
            return Ok(SetExpr::Nested(Box::new(inner)));
        }
        Err(self.expected("SELECT"))
    }

    fn select(&mut self) -> Result<Select, AdqlError> {
        let span = self.expect_kw("SELECT")?;
        let distinct = if self.eat_kw("DISTINCT") {
            true
        } else {
            self.eat_kw("ALL");
            false
        };
        let top = if self.eat_kw("TOP") {
            Some(self.unsigned_int("TOP")?)
        } else {
            None
        };
        if self.at_kw("FROM") {
            return Err(
                self.error_here("the select list is empty: name the columns to return, or *")
            );
        }
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        if !self.at_kw("FROM") {
            return Err(self.expected("FROM (ADQL queries always read a table)"));
        }
        self.advance();
        let mut from = Vec::new();
        loop {
            from.push(self.table_ref()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        let where_ = if self.eat_kw("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.at_kw("GROUP") {
            self.advance();
            self.expect_kw("BY")?;
            if self.at_kw("ALL") {
                return Err(self.error_here("GROUP BY ALL is not ADQL: list the grouping columns"));
            }
            loop {
                group_by.push(self.expr()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let having = if self.eat_kw("HAVING") {
            Some(self.cond()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            top,
            items,
            from,
            where_,
            group_by,
            having,
            span,
        })
    }

    fn select_item(&mut self) -> Result<SelectItem, AdqlError> {
        if *self.peek() == Tok::Star {
            return Ok(SelectItem::Wildcard(self.advance().span));
        }
        // qualifier.* : identifiers separated by dots, ending in .*
        let mut n = 0;
        while matches!(self.peek_at(n), Tok::Word(_) | Tok::Quoted(_))
            && *self.peek_at(n + 1) == Tok::Dot
        {
            n += 2;
            if *self.peek_at(n) == Tok::Star {
                let start = self.span();
                let mut qualifier = Vec::new();
                while *self.peek() != Tok::Star {
                    qualifier.push(self.ident("a table name")?);
                    self.expect(&Tok::Dot)?;
                }
                let end = self.advance().span;
                return Ok(SelectItem::QualifiedWildcard(qualifier, start.to(end)));
            }
        }
        let expr = self.expr()?;
        let alias = self.alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    /// `[AS] name` after a select item or table.
    fn alias(&mut self) -> Result<Option<Ident>, AdqlError> {
        if self.eat_kw("AS") {
            if let Tok::Str(s) = self.peek() {
                let s = s.clone();
                return Err(self.error_here(format!(
                    "an alias is a name, not a string: write AS \"{s}\""
                )));
            }
            return Ok(Some(self.ident("a name after AS")?));
        }
        if self.at_alias() {
            return Ok(Some(self.ident("an alias")?));
        }
        Ok(None)
    }

    /// A FROM entry: a table primary followed by any joins.
    fn table_ref(&mut self) -> Result<TableRef, AdqlError> {
        let mut left = self.table_primary()?;
        loop {
            let start = self.pos;
            let natural = self.eat_kw("NATURAL");
            let kind = if self.eat_kw("INNER") {
                Some(JoinKind::Inner)
            } else if self.eat_kw("LEFT") {
                self.eat_kw("OUTER");
                Some(JoinKind::Left)
            } else if self.eat_kw("RIGHT") {
                self.eat_kw("OUTER");
                Some(JoinKind::Right)
            } else if self.eat_kw("FULL") {
                self.eat_kw("OUTER");
                Some(JoinKind::Full)
            } else {
                None
            };
            if self.at_kw("CROSS") {
                return Err(
                    self.error_here("CROSS JOIN is not ADQL: list the tables separated by commas")
                );
            }
            if !self.at_kw("JOIN") {
                if natural || kind.is_some() {
                    return Err(self.expected("JOIN"));
                }
                self.pos = start;
                return Ok(left);
            }
            let span = self.advance().span;
            let right = self.table_primary()?;
            let constraint = if self.eat_kw("ON") {
                if natural {
                    return Err(self.error_here("a NATURAL join takes neither ON nor USING"));
                }
                JoinConstraint::On(self.cond()?)
            } else if self.eat_kw("USING") {
                if natural {
                    return Err(self.error_here("a NATURAL join takes neither ON nor USING"));
                }
                self.expect(&Tok::LParen)?;
                let mut cols = Vec::new();
                loop {
                    cols.push(self.ident("a column name")?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.expect(&Tok::RParen)?;
                JoinConstraint::Using(cols)
            } else if natural {
                JoinConstraint::Natural
            } else {
                return Err(self
                    .expected("ON or USING after the joined table")
                    .hint("a join needs a condition (ON ...) or common columns (USING (...)), unless it is NATURAL"));
            };
            left = TableRef::Join(Box::new(Join {
                left,
                right,
                kind: kind.unwrap_or(JoinKind::Inner),
                natural,
                constraint,
                span,
            }));
        }
    }

    /// Whether a `(` at the current position opens a subquery (rather than a parenthesised join).
    pub(super) fn paren_starts_query(&self) -> bool {
        let mut n = 0;
        while *self.peek_at(n) == Tok::LParen {
            n += 1;
        }
        self.at_kw_n(n, "SELECT") || self.at_kw_n(n, "WITH")
    }

    fn table_primary(&mut self) -> Result<TableRef, AdqlError> {
        if *self.peek() == Tok::LParen {
            self.enter()?;
            if self.paren_starts_query() {
                self.advance();
                if self.at_kw("WITH") {
                    return Err(self
                        .error_here("WITH is allowed only at the very start of the whole query"));
                }
                let query = self.select_expr()?;
                self.expect(&Tok::RParen)?;
                let alias = match self.alias()? {
                    Some(a) => a,
                    None => {
                        return Err(self
                            .expected("an alias for the subquery")
                            .hint("a subquery in FROM needs a name: (SELECT ...) AS q"));
                    }
                };
                self.leave();
                return Ok(TableRef::Derived {
                    query: Box::new(query),
                    alias,
                });
            }
            let open = self.advance().span;
            let inner = self.table_ref()?;
            if !matches!(inner, TableRef::Join(_)) {
                return Err(AdqlError::new(
                    ErrorKind::Syntax,
                    "parentheses in FROM can hold a join or a subquery, not a single table",
                )
                .at(open));
            }
            self.expect(&Tok::RParen)?;
            self.leave();
            return Ok(inner);
        }
        let first = self.ident("a table name")?;
        let mut parts = vec![first];
        while *self.peek() == Tok::Dot {
            self.advance();
            parts.push(self.ident("a table name after '.'")?);
        }
        if parts.len() > 3 {
            return Err(AdqlError::new(
                ErrorKind::Syntax,
                "a table name has at most three parts: catalog.schema.table",
            )
            .at(parts[0].span));
        }
        let table = parts.pop().ok_or_else(|| self.expected("a table name"))?;
        let alias = self.alias()?;
        Ok(TableRef::Table {
            name: TableName {
                qualifier: parts,
                table,
            },
            alias,
        })
    }
}
