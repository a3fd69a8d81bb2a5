//! The checked query model: what [`crate::check`] builds from the syntax tree and [`crate::translate`] prints.
//!
//! Every name is resolved: tables are [`crate::SqlName`]s from the catalogue under generated aliases (`t0`,
//! `t1`, ...), columns are (alias, SQL column) pairs, every expression has a [`Ty`]. Nothing in here is user text
//! that could reach SQL unquoted: identifiers come from the catalogue, strings and numbers are literals.

use crate::ast::{AggFn, BinOp, CastType, CmpOp, JoinKind, SetOp};
use crate::catalog::{PositionIndex, SqlName};
use crate::functions::Builtin;
use crate::types::Ty;

/// A whole checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Common table expressions: generated SQL name and query.
    pub with: Vec<(String, SelectExpr)>,
    /// The query.
    pub body: SelectExpr,
}

/// Set operations with ORDER BY and OFFSET.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectExpr {
    /// The rows.
    pub set: SetExpr,
    /// Sort keys: an output column position (1-based) or an expression, and DESC.
    pub order_by: Vec<(OrderKey, bool)>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// Output column names, in order.
    pub names: Vec<String>,
    /// Output column types.
    pub types: Vec<Ty>,
}

/// What ORDER BY sorts by.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderKey {
    /// An output column, by position from 1.
    Position(usize),
    /// An expression over the FROM clause.
    Expr(Expr),
}

/// Set operations.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    /// One SELECT.
    Select(Box<Select>),
    /// `left op [ALL] right`.
    Op {
        /// Operator.
        op: SetOp,
        /// ALL.
        all: bool,
        /// Left operand.
        left: Box<SetExpr>,
        /// Right operand.
        right: Box<SetExpr>,
    },
    /// A parenthesised select expression (which may have its own ORDER BY / OFFSET / TOP).
    Nested(Box<SelectExpr>),
}

/// One SELECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// DISTINCT.
    pub distinct: bool,
    /// TOP.
    pub top: Option<u64>,
    /// Output expressions with their (unique) names.
    pub items: Vec<(Expr, String)>,
    /// FROM entries.
    pub from: Vec<From>,
    /// WHERE.
    pub where_: Option<Cond>,
    /// GROUP BY.
    pub group_by: Vec<Expr>,
    /// HAVING.
    pub having: Option<Cond>,
}

/// A FROM entry under its SQL alias.
#[derive(Debug, Clone, PartialEq)]
pub enum From {
    /// A catalogue table.
    Table {
        /// How SQL reaches it.
        sql: SqlName,
        /// Generated alias.
        alias: String,
    },
    /// A common table expression.
    Cte {
        /// Its generated SQL name.
        name: String,
        /// Generated alias.
        alias: String,
    },
    /// A subquery.
    Derived {
        /// The query.
        query: Box<SelectExpr>,
        /// Generated alias.
        alias: String,
    },
    /// A join (USING and NATURAL are turned into ON conditions).
    Join {
        /// Left side.
        left: Box<From>,
        /// Right side.
        right: Box<From>,
        /// Type.
        kind: JoinKind,
        /// Condition.
        on: Option<Cond>,
    },
}

/// A condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// AND of two or more terms.
    And(Vec<Cond>),
    /// OR of two or more terms.
    Or(Vec<Cond>),
    /// NOT.
    Not(Box<Cond>),
    /// Comparison.
    Compare(Expr, CmpOp, Expr),
    /// BETWEEN.
    Between {
        /// Value.
        expr: Expr,
        /// Low.
        low: Expr,
        /// High.
        high: Expr,
        /// NOT.
        negated: bool,
    },
    /// IN a list.
    InList {
        /// Value.
        expr: Expr,
        /// List.
        list: Vec<Expr>,
        /// NOT.
        negated: bool,
    },
    /// IN a subquery.
    InQuery {
        /// Value.
        expr: Expr,
        /// Subquery (one column).
        query: Box<SelectExpr>,
        /// NOT.
        negated: bool,
    },
    /// LIKE / ILIKE.
    Like {
        /// Value.
        expr: Expr,
        /// Pattern.
        pattern: Expr,
        /// NOT.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
    },
    /// IS [NOT] NULL.
    IsNull(Expr, bool),
    /// EXISTS.
    Exists(Box<SelectExpr>),
}

/// A column as the expressions see it: where it lives and, for catalogue columns, its sky index role.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// SQL alias of the FROM entry.
    pub alias: String,
    /// SQL column name in that entry.
    pub column: String,
    /// Its type.
    pub ty: Ty,
    /// For the longitude/latitude column of an indexed table: the index (so positional constraints use it).
    pub position: Option<(PositionRole, PositionIndex)>,
}

/// Which coordinate of an indexed position a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionRole {
    /// Longitude (RA).
    Lon,
    /// Latitude (Dec).
    Lat,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column.
    Column(ColumnRef),
    /// A number as written, and its type.
    Number(String, Ty),
    /// A string.
    Str(String),
    /// NULL.
    Null,
    /// `-x`.
    Neg(Box<Expr>),
    /// Arithmetic or `||`.
    Binary(BinOp, Box<Expr>, Box<Expr>, Ty),
    /// A set function.
    Aggregate {
        /// Which.
        func: AggFn,
        /// DISTINCT.
        distinct: bool,
        /// Argument, none for COUNT(*).
        arg: Option<Box<Expr>>,
        /// Result type.
        ty: Ty,
    },
    /// A built-in function with normalised arguments (no coordinate system argument; see [`crate::check`]).
    Builtin(Builtin, Vec<Expr>, Ty),
    /// A user-defined function.
    Udf {
        /// Its declared name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Declared result type.
        ty: Ty,
        /// Aggregates rows.
        aggregate: bool,
    },
    /// IN_UNIT: the value times a conversion factor.
    Scaled(Box<Expr>, f64),
    /// CAST.
    Cast(Box<Expr>, CastType),
    /// COALESCE.
    Coalesce(Vec<Expr>, Ty),
    /// A scalar subquery.
    Subquery(Box<SelectExpr>, Ty),
}

impl Expr {
    /// The type of the value.
    pub fn ty(&self) -> Ty {
        match self {
            Expr::Column(c) => c.ty,
            Expr::Number(_, t) => *t,
            Expr::Str(_) => Ty::Char,
            Expr::Null => Ty::Null,
            Expr::Neg(e) => e.ty(),
            Expr::Binary(_, _, _, t)
            | Expr::Aggregate { ty: t, .. }
            | Expr::Builtin(_, _, t)
            | Expr::Udf { ty: t, .. }
            | Expr::Coalesce(_, t)
            | Expr::Subquery(_, t) => *t,
            Expr::Scaled(..) => Ty::Double,
            Expr::Cast(_, c) => match c {
                CastType::Smallint => Ty::Short,
                CastType::Integer => Ty::Int,
                CastType::Bigint => Ty::Long,
                CastType::Real => Ty::Float,
                CastType::Double => Ty::Double,
                CastType::Char(_) | CastType::Varchar(_) => Ty::Char,
                CastType::Timestamp => Ty::Timestamp,
                CastType::Point => Ty::Point,
                CastType::Circle => Ty::Circle,
                CastType::Polygon => Ty::Polygon,
            },
        }
    }

    /// Calls `f` with every column the expression reads (outside subqueries).
    pub fn for_each_column<'a>(&'a self, f: &mut impl FnMut(&'a ColumnRef)) {
        match self {
            Expr::Column(c) => f(c),
            Expr::Neg(e) | Expr::Scaled(e, _) | Expr::Cast(e, _) => e.for_each_column(f),
            Expr::Binary(_, a, b, _) => {
                a.for_each_column(f);
                b.for_each_column(f);
            }
            Expr::Aggregate { arg: Some(a), .. } => a.for_each_column(f),
            Expr::Builtin(_, args, _) | Expr::Udf { args, .. } | Expr::Coalesce(args, _) => {
                args.iter().for_each(|a| a.for_each_column(f));
            }
            _ => {}
        }
    }

    /// Whether the expression contains a set function (outside subqueries).
    pub fn has_aggregate(&self) -> bool {
        match self {
            Expr::Aggregate { .. } => true,
            Expr::Udf {
                aggregate: true, ..
            } => true,
            Expr::Neg(e) | Expr::Scaled(e, _) | Expr::Cast(e, _) => e.has_aggregate(),
            Expr::Binary(_, a, b, _) => a.has_aggregate() || b.has_aggregate(),
            Expr::Builtin(_, args, _) | Expr::Udf { args, .. } | Expr::Coalesce(args, _) => {
                args.iter().any(Expr::has_aggregate)
            }
            _ => false,
        }
    }

    /// The numeric value of a constant expression (literals, signs, arithmetic, PI()), for geometry that must be
    /// known when the query is translated.
    pub fn constant(&self) -> Option<f64> {
        match self {
            Expr::Number(n, _) => n.parse().ok(),
            Expr::Neg(e) => e.constant().map(|v| -v),
            Expr::Binary(op, a, b, _) => {
                let (a, b) = (a.constant()?, b.constant()?);
                match op {
                    BinOp::Add => Some(a + b),
                    BinOp::Sub => Some(a - b),
                    BinOp::Mul => Some(a * b),
                    BinOp::Div if b != 0.0 => Some(a / b),
                    _ => None,
                }
            }
            Expr::Builtin(Builtin::Pi, _, _) => Some(std::f64::consts::PI),
            Expr::Cast(e, CastType::Double | CastType::Real) => e.constant(),
            Expr::Scaled(e, f) => e.constant().map(|v| v * f),
            _ => None,
        }
    }
}
