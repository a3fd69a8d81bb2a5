//! Functions, set functions and casts in each dialect. An exhaustive `match` over [`Builtin`] makes a forgotten
//! function a compile error; every function is run on both backends by the execution tests.
//!
//! Measured differences (CRATES.md §2): SQLite `log()` is log10 while ADQL LOG is ln; SQLite has no `cot`, no
//! `trunc(x, n)`, and its `%` truncates reals; PostgreSQL `round(x, n)` and `mod` want numeric for doubles, and
//! AVG/SUM of integers return numeric, which is cast back to a float/bigint so both backends give the same type.

use super::{Dialect, Writer, unsupported};
use crate::ast::{AggFn, CastType};
use crate::error::AdqlError;
use crate::functions::Builtin;
use crate::model::Expr;
use crate::types::Ty;

impl Writer {
    fn call(&mut self, name: &str, args: &[Expr]) -> Result<(), AdqlError> {
        self.out.push_str(name);
        self.out.push('(');
        self.exprs(args)?;
        self.out.push(')');
        Ok(())
    }

    pub(super) fn aggregate(
        &mut self,
        func: AggFn,
        distinct: bool,
        arg: Option<&Expr>,
        ty: Ty,
    ) -> Result<(), AdqlError> {
        let name = match func {
            AggFn::Count => "COUNT",
            AggFn::Avg => "AVG",
            AggFn::Min => "MIN",
            AggFn::Max => "MAX",
            AggFn::Sum => "SUM",
        };
        let cast_pg =
            self.d == Dialect::Postgres && matches!(func, AggFn::Avg | AggFn::Sum | AggFn::Count);
        if cast_pg {
            self.out.push_str("CAST(");
        }
        self.out.push_str(name);
        self.out.push('(');
        match arg {
            None => self.out.push('*'),
            Some(a) => {
                if distinct {
                    self.out.push_str("DISTINCT ");
                }
                self.expr(a)?;
            }
        }
        self.out.push(')');
        if cast_pg {
            self.out.push_str(if ty == Ty::Long {
                " AS BIGINT)"
            } else {
                " AS DOUBLE PRECISION)"
            });
        }
        Ok(())
    }

    pub(super) fn udf(&mut self, name: &str, args: &[Expr]) -> Result<(), AdqlError> {
        let lower = name.to_ascii_lowercase();
        match (lower.as_str(), self.d) {
            ("ivo_string_agg", Dialect::Sqlite) => self.call("group_concat", args),
            ("ivo_string_agg", Dialect::Postgres) => self.call("string_agg", args),
            _ => {
                // Declared by the service: a regular identifier (checked when the declaration was parsed).
                self.call(&lower, args)
            }
        }
    }

    /// A float argument where PostgreSQL wants numeric.
    fn numeric_pg(&mut self, e: &Expr) -> Result<(), AdqlError> {
        if self.d == Dialect::Postgres && !e.ty().is_integer() {
            self.out.push_str("CAST(");
            self.expr(e)?;
            self.out.push_str(" AS NUMERIC)");
            Ok(())
        } else {
            self.expr(e)
        }
    }

    pub(super) fn builtin(&mut self, b: Builtin, args: &[Expr], ty: Ty) -> Result<(), AdqlError> {
        use Builtin::*;
        let pg = self.d == Dialect::Postgres;
        match b {
            Abs => self.call("abs", args)?,
            Ceiling => self.float_call("ceil", args)?,
            Floor => self.float_call("floor", args)?,
            Degrees => self.call("degrees", args)?,
            Radians => self.call("radians", args)?,
            Exp => self.call("exp", args)?,
            Log => self.call("ln", args)?,
            Log10 => self.call(if pg { "log" } else { "log10" }, args)?,
            Power => self.call("power", args)?,
            Sqrt => self.call("sqrt", args)?,
            Pi => self.out.push_str("pi()"),
            Acos => self.call("acos", args)?,
            Asin => self.call("asin", args)?,
            Atan => self.call("atan", args)?,
            Atan2 => self.call("atan2", args)?,
            Cos => self.call("cos", args)?,
            Sin => self.call("sin", args)?,
            Tan => self.call("tan", args)?,
            Cot => {
                if pg {
                    self.call("cot", args)?
                } else {
                    self.out.push_str("(1.0 / tan(");
                    self.exprs(args)?;
                    self.out.push_str("))");
                }
            }
            Mod => {
                if ty.is_integer() {
                    if pg {
                        self.call("mod", args)?
                    } else {
                        // SQLite's mod() always returns a REAL; % keeps integers (and truncates like mod)
                        self.out.push('(');
                        self.expr(&args[0])?;
                        self.out.push_str(" % ");
                        self.expr(&args[1])?;
                        self.out.push(')');
                    }
                } else if pg {
                    self.out.push_str("CAST(mod(");
                    self.numeric_pg(&args[0])?;
                    self.out.push_str(", ");
                    self.numeric_pg(&args[1])?;
                    self.out.push_str(") AS DOUBLE PRECISION)");
                } else {
                    self.call("mod", args)?
                }
            }
            // ROUND rounds the decimal value half away from zero on both backends (PostgreSQL's round() of a
            // double rounds half to even, SQLite's works on the binary value: 4.55 would give 4.5).
            Round if pg => {
                self.out.push_str("CAST(round(");
                self.numeric_pg(&args[0])?;
                if let Some(n) = args.get(1) {
                    self.out.push_str(", ");
                    self.expr(n)?;
                }
                self.out.push_str(") AS DOUBLE PRECISION)");
            }
            Round => match args {
                [x] => {
                    self.out.push_str("adql_round(");
                    self.expr(x)?;
                    self.out.push_str(", 0)");
                }
                _ => self.call("adql_round", args)?,
            },
            Truncate => match args {
                [x] => self.float_call("trunc", std::slice::from_ref(x))?,
                _ => self.call("adql_truncate", args)?,
            },
            Rand => match args {
                [] if pg => self.out.push_str("random()"),
                [] => self
                    .out
                    .push_str("((random() / 18446744073709551616.0) + 0.5)"),
                seed => self.call("adql_rand", seed)?,
            },
            Lower => self.call("lower", args)?,
            Upper => self.call("upper", args)?,
            InUnit => return Err(unsupported("IN_UNIT reached the translator unresolved")),
            Point => self.call("adql_point", args)?,
            Circle => self.call("adql_circle", args)?,
            Box => self.call("adql_box", args)?,
            Polygon => self.call("adql_polygon", args)?,
            Region => return Err(unsupported("REGION reached the translator unresolved")),
            Centroid => self.call("adql_centroid", args)?,
            Contains => self.call("adql_contains", args)?,
            Intersects => self.call("adql_intersects", args)?,
            Distance => self.call("adql_distance", args)?,
            Area => self.call("adql_area", args)?,
            Coord1 => self.call("adql_coord1", args)?,
            Coord2 => self.call("adql_coord2", args)?,
            Coordsys => self.out.push_str("'ICRS'"),
        }
        Ok(())
    }

    /// A function whose result is declared double: integers given to it stay integral on SQLite, so cast.
    fn float_call(&mut self, name: &str, args: &[Expr]) -> Result<(), AdqlError> {
        self.out.push_str("CAST(");
        self.call(name, args)?;
        self.out.push_str(if self.d == Dialect::Postgres {
            " AS DOUBLE PRECISION)"
        } else {
            " AS REAL)"
        });
        Ok(())
    }

    pub(super) fn cast(&mut self, x: &Expr, t: CastType) -> Result<(), AdqlError> {
        let pg = self.d == Dialect::Postgres;
        let from = x.ty();
        match t {
            CastType::Smallint | CastType::Integer | CastType::Bigint => {
                let sql_t = match (t, pg) {
                    (CastType::Smallint, true) => "SMALLINT",
                    (CastType::Bigint, true) => "BIGINT",
                    (_, true) => "INTEGER",
                    (_, false) => "INTEGER",
                };
                self.out.push_str("CAST(");
                // Both backends truncate toward zero (PostgreSQL would round).
                if pg && !from.is_integer() && from.is_numeric() {
                    self.out.push_str("trunc(");
                    self.expr(x)?;
                    self.out.push(')');
                } else {
                    self.expr(x)?;
                }
                self.out.push_str(" AS ");
                self.out.push_str(sql_t);
                self.out.push(')');
            }
            CastType::Real | CastType::Double => {
                self.out.push_str("CAST(");
                self.expr(x)?;
                self.out.push_str(match (t, pg) {
                    (CastType::Real, true) => " AS REAL)",
                    (_, true) => " AS DOUBLE PRECISION)",
                    (_, false) => " AS REAL)",
                });
            }
            CastType::Char(n) | CastType::Varchar(n) => {
                let text = |w: &mut Writer| -> Result<(), AdqlError> {
                    w.out.push_str("CAST(");
                    w.expr(x)?;
                    w.out.push_str(" AS TEXT)");
                    Ok(())
                };
                match n {
                    Some(n) => {
                        self.out.push_str("substr(");
                        text(self)?;
                        self.out.push_str(&format!(", 1, {n})"));
                    }
                    None => text(self)?,
                }
            }
            CastType::Timestamp => {
                if pg {
                    self.out.push_str("to_char(CAST(");
                    self.expr(x)?;
                    self.out
                        .push_str(" AS TIMESTAMP), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS')");
                } else {
                    self.out.push_str("strftime('%Y-%m-%dT%H:%M:%f', ");
                    self.expr(x)?;
                    self.out.push(')');
                }
            }
            CastType::Point | CastType::Circle | CastType::Polygon => {
                // Geometry values are DALI text already: CAST('1 2' AS POINT) is that text, checked at run time.
                let kind = match t {
                    CastType::Point => "point",
                    CastType::Circle => "circle",
                    _ => "polygon",
                };
                self.out.push_str("adql_geometry(");
                self.expr(x)?;
                self.out.push_str(&format!(", '{kind}')"));
            }
        }
        Ok(())
    }
}
