//! The syntax tree of an ADQL 2.1 query, exactly as written (names unresolved, types unknown).
//!
//! The shape follows the grammar (adql.bnf): a query is an optional WITH clause and a select expression; a select
//! expression is set operations over SELECTs with an optional ORDER BY and OFFSET; conditions ([`Cond`]) are kept
//! apart from values ([`Expr`]) because ADQL has no boolean values.

pub use crate::span::Span;

/// An identifier: regular (case-insensitive) or delimited (exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name as written (without quotes).
    pub name: String,
    /// Written in double quotes.
    pub quoted: bool,
    /// Where.
    pub span: Span,
}

impl Ident {
    /// Whether this identifier names `other` under ADQL's case rules (a regular identifier matches
    /// case-insensitively, a delimited one exactly).
    pub fn matches(&self, other: &str) -> bool {
        if self.quoted {
            self.name == other
        } else {
            self.name.eq_ignore_ascii_case(other)
        }
    }
}

/// A whole query (`query_specification`).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Common table expressions (top level only).
    pub with: Vec<Cte>,
    /// The rest.
    pub body: SelectExpr,
}

/// `name AS (select_expression)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    /// Its name.
    pub name: Ident,
    /// Its query.
    pub query: SelectExpr,
}

/// A select expression: set operations, ORDER BY, OFFSET.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectExpr {
    /// The rows.
    pub set: SetExpr,
    /// Sort order.
    pub order_by: Vec<OrderItem>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// Where.
    pub span: Span,
}

/// Set operators over SELECTs.
#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    /// One SELECT.
    Select(Box<Select>),
    /// `left op [ALL] right`.
    Op {
        /// UNION, EXCEPT or INTERSECT.
        op: SetOp,
        /// ALL keeps duplicates.
        all: bool,
        /// Left operand.
        left: Box<SetExpr>,
        /// Right operand.
        right: Box<SetExpr>,
        /// Where the operator is.
        span: Span,
    },
    /// `( select_expression )`.
    Nested(Box<SelectExpr>),
}

/// A set operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// UNION.
    Union,
    /// EXCEPT.
    Except,
    /// INTERSECT.
    Intersect,
}

/// One SELECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// DISTINCT.
    pub distinct: bool,
    /// TOP n.
    pub top: Option<u64>,
    /// The select list.
    pub items: Vec<SelectItem>,
    /// FROM (never empty).
    pub from: Vec<TableRef>,
    /// WHERE.
    pub where_: Option<Cond>,
    /// GROUP BY.
    pub group_by: Vec<Expr>,
    /// HAVING.
    pub having: Option<Cond>,
    /// Where the SELECT keyword is.
    pub span: Span,
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Wildcard(Span),
    /// `qualifier.*`
    QualifiedWildcard(Vec<Ident>, Span),
    /// `expr [AS alias]`
    Expr {
        /// The value.
        expr: Expr,
        /// The alias.
        alias: Option<Ident>,
    },
}

/// `ORDER BY` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    /// What to sort by (a position is a [`Expr::Literal`] unsigned integer).
    pub expr: Expr,
    /// DESC.
    pub desc: bool,
}

/// A table name `[[catalog.]schema.]table`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableName {
    /// The parts before the table name (catalog, schema), possibly empty.
    pub qualifier: Vec<Ident>,
    /// The table.
    pub table: Ident,
}

impl TableName {
    /// Where the name is.
    pub fn span(&self) -> Span {
        match self.qualifier.first() {
            Some(q) => q.span.to(self.table.span),
            None => self.table.span,
        }
    }

    /// As written, joined with dots.
    pub fn display(&self) -> String {
        let mut parts: Vec<&str> = self.qualifier.iter().map(|i| i.name.as_str()).collect();
        parts.push(&self.table.name);
        parts.join(".")
    }
}

/// A FROM entry.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A table (or CTE) by name.
    Table {
        /// Its name.
        name: TableName,
        /// `[AS] alias`.
        alias: Option<Ident>,
    },
    /// `(subquery) [AS] alias`.
    Derived {
        /// The subquery.
        query: Box<SelectExpr>,
        /// Required alias.
        alias: Ident,
    },
    /// A join.
    Join(Box<Join>),
}

/// `left [NATURAL] [type] JOIN right [ON cond | USING (cols)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Left side.
    pub left: TableRef,
    /// Right side.
    pub right: TableRef,
    /// INNER, LEFT, RIGHT or FULL.
    pub kind: JoinKind,
    /// NATURAL.
    pub natural: bool,
    /// ON or USING (none for NATURAL).
    pub constraint: JoinConstraint,
    /// Where the JOIN keyword is.
    pub span: Span,
}

/// Join types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// INNER (the default).
    Inner,
    /// LEFT [OUTER].
    Left,
    /// RIGHT [OUTER].
    Right,
    /// FULL [OUTER].
    Full,
}

/// How a join matches rows.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinConstraint {
    /// NATURAL join: by the common column names.
    Natural,
    /// ON condition.
    On(Cond),
    /// USING (columns).
    Using(Vec<Ident>),
}

/// A search condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `a AND b AND ...`: two or more terms, kept flat so a long chain is not a deep tree.
    And(Vec<Cond>),
    /// `a OR b OR ...`: two or more terms, kept flat (`x = 1 OR x = 2 OR ...` lists can be long).
    Or(Vec<Cond>),
    /// NOT.
    Not(Box<Cond>, Span),
    /// `a op b`.
    Compare {
        /// Left.
        left: Expr,
        /// Operator.
        op: CmpOp,
        /// Right.
        right: Expr,
        /// Where the operator is.
        span: Span,
    },
    /// `a [NOT] BETWEEN low AND high`.
    Between {
        /// Tested value.
        expr: Expr,
        /// Low bound.
        low: Expr,
        /// High bound.
        high: Expr,
        /// NOT.
        negated: bool,
    },
    /// `a [NOT] IN (list | subquery)`.
    In {
        /// Tested value.
        expr: Expr,
        /// Values.
        list: InList,
        /// NOT.
        negated: bool,
    },
    /// `a [NOT] LIKE|ILIKE pattern`.
    Like {
        /// Tested value.
        expr: Expr,
        /// Pattern.
        pattern: Expr,
        /// NOT.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
        /// Where the operator is.
        span: Span,
    },
    /// `column IS [NOT] NULL`.
    IsNull {
        /// Tested value (a column reference in the grammar).
        expr: Expr,
        /// NOT.
        negated: bool,
    },
    /// `EXISTS (subquery)`.
    Exists(Box<SelectExpr>),
}

/// What an IN tests against.
#[derive(Debug, Clone, PartialEq)]
pub enum InList {
    /// A list of values.
    Values(Vec<Expr>),
    /// A subquery.
    Subquery(Box<SelectExpr>),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>` / `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An unsigned numeric literal as written.
    Number(String),
    /// A string.
    Str(String),
}

/// Binary value operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `||`
    Concat,
}

/// Set functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    /// COUNT
    Count,
    /// AVG
    Avg,
    /// MIN
    Min,
    /// MAX
    Max,
    /// SUM
    Sum,
}

/// Target types of CAST (ADQL 2.1 §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastType {
    /// SMALLINT
    Smallint,
    /// INTEGER
    Integer,
    /// BIGINT
    Bigint,
    /// REAL
    Real,
    /// DOUBLE PRECISION
    Double,
    /// CHAR[(n)]
    Char(Option<u32>),
    /// VARCHAR[(n)]
    Varchar(Option<u32>),
    /// TIMESTAMP
    Timestamp,
    /// POINT
    Point,
    /// CIRCLE
    Circle,
    /// POLYGON
    Polygon,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `[qualifier.]column`.
    Column {
        /// Qualifier parts (catalog, schema, table or alias).
        qualifier: Vec<Ident>,
        /// The column.
        column: Ident,
    },
    /// A literal.
    Literal(Literal, Span),
    /// NULL.
    Null(Span),
    /// `-x` (or `+x`).
    Neg(Box<Expr>, Span),
    /// `a op b`.
    Binary {
        /// Operator.
        op: BinOp,
        /// Left.
        left: Box<Expr>,
        /// Right.
        right: Box<Expr>,
        /// Where the operator is.
        span: Span,
    },
    /// A set function.
    Aggregate {
        /// Which.
        func: AggFn,
        /// DISTINCT.
        distinct: bool,
        /// The argument; none for `COUNT(*)`.
        arg: Option<Box<Expr>>,
        /// Where.
        span: Span,
    },
    /// A function call (math, string, geometry, user-defined); see [`crate::functions`].
    Call {
        /// The name as written.
        name: Ident,
        /// Arguments.
        args: Vec<Expr>,
        /// Where.
        span: Span,
    },
    /// `CAST(x AS type)`.
    Cast {
        /// The value.
        expr: Box<Expr>,
        /// The type.
        target: CastType,
        /// Where.
        span: Span,
    },
    /// `COALESCE(a, b, ...)`.
    Coalesce(Vec<Expr>, Span),
    /// A scalar subquery.
    Subquery(Box<SelectExpr>, Span),
    /// `( x )`.
    Paren(Box<Expr>, Span),
}

impl Expr {
    /// Where the expression starts (for messages).
    pub fn span(&self) -> Span {
        match self {
            Expr::Column { qualifier, column } => match qualifier.first() {
                Some(q) => q.span.to(column.span),
                None => column.span,
            },
            Expr::Literal(_, s)
            | Expr::Null(s)
            | Expr::Neg(_, s)
            | Expr::Aggregate { span: s, .. }
            | Expr::Call { span: s, .. }
            | Expr::Cast { span: s, .. }
            | Expr::Coalesce(_, s)
            | Expr::Subquery(_, s)
            | Expr::Paren(_, s) => *s,
            Expr::Binary { left, .. } => left.span(),
        }
    }
}
