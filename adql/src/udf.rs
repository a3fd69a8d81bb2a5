//! User-defined functions a service declares (ADQL 2.1 §4.3), in the TAPRegExt form
//! `name(arg TYPE, ...) -> TYPE`.

use crate::error::{AdqlError, ErrorKind};
use std::fmt;

/// A declared function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udf {
    /// Its name (a regular identifier, matched case-insensitively).
    pub name: String,
    /// Argument names and ADQL types, as declared.
    pub args: Vec<(String, String)>,
    /// Result type, as declared (e.g. `DOUBLE`, `VARCHAR(*)`).
    pub returns: String,
    /// Whether it aggregates rows (like `ivo_string_agg`).
    pub aggregate: bool,
}

impl Udf {
    /// The TAPRegExt form, for `/capabilities`.
    pub fn form(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|(n, t)| format!("{n} {t}")).collect();
        format!("{}({}) -> {}", self.name, args.join(", "), self.returns)
    }
}

impl fmt::Display for Udf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.form())
    }
}

impl std::str::FromStr for Udf {
    type Err = AdqlError;

    /// Parses `name(arg TYPE, ...) -> TYPE`.
    fn from_str(s: &str) -> Result<Udf, AdqlError> {
        let bad = |why: &str| {
            AdqlError::new(
                ErrorKind::Syntax,
                format!("function declaration '{s}': {why}"),
            )
        };
        let (sig, ret) = s.split_once("->").ok_or_else(|| bad("missing '-> TYPE'"))?;
        let open = sig.find('(').ok_or_else(|| bad("missing '('"))?;
        let close = sig.rfind(')').ok_or_else(|| bad("missing ')'"))?;
        let name = sig[..open].trim();
        let mut chars = name.chars();
        if !(chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(bad("the name must be a regular identifier"));
        }
        let mut args = Vec::new();
        let inner = sig[open + 1..close].trim();
        if !inner.is_empty() {
            // split on commas outside parentheses (VARCHAR(20) has none inside, but be safe)
            let mut depth = 0;
            let mut cur = String::new();
            let mut parts = Vec::new();
            for c in inner.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(std::mem::take(&mut cur));
                        continue;
                    }
                    _ => {}
                }
                cur.push(c);
            }
            parts.push(cur);
            for p in parts {
                let p = p.trim();
                let (n, t) = p
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| bad("each argument is 'name TYPE'"))?;
                args.push((n.trim().to_string(), t.trim().to_string()));
            }
        }
        let returns = ret.trim().to_string();
        if returns.is_empty() {
            return Err(bad("missing result type"));
        }
        Ok(Udf {
            name: name.to_string(),
            args,
            returns,
            aggregate: false,
        })
    }
}

/// The functions every Almagest TAP service declares: the RegTAP ones (RegTAP 1.1 §9) and the common
/// `ivo_healpix_index`.
pub fn standard_udfs() -> Vec<Udf> {
    let mut v: Vec<Udf> = [
        "ivo_hasword(haystack VARCHAR(*), needle VARCHAR(*)) -> INTEGER",
        "ivo_nocasematch(value VARCHAR(*), pattern VARCHAR(*)) -> INTEGER",
        "ivo_hashlist_has(hashlist VARCHAR(*), item VARCHAR(*)) -> INTEGER",
        "ivo_string_agg(expr VARCHAR(*), delimiter VARCHAR(*)) -> VARCHAR(*)",
        "ivo_healpix_index(hpxOrder INTEGER, ra DOUBLE, dec DOUBLE) -> BIGINT",
    ]
    .iter()
    .filter_map(|f| f.parse().ok())
    .collect();
    for u in &mut v {
        u.aggregate = u.name == "ivo_string_agg";
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_round_trip() {
        let u: Udf = "ivo_healpix_index(hpxOrder INTEGER, long REAL, lat REAL) -> BIGINT"
            .parse()
            .unwrap();
        assert_eq!(u.name, "ivo_healpix_index");
        assert_eq!(u.args.len(), 3);
        assert_eq!(u.returns, "BIGINT");
        assert_eq!(
            u.form(),
            "ivo_healpix_index(hpxOrder INTEGER, long REAL, lat REAL) -> BIGINT"
        );
        assert!("f(x) -> INT".parse::<Udf>().is_err());
        assert!("1f(x INT) -> INT".parse::<Udf>().is_err());
        assert_eq!(standard_udfs().len(), 5);
    }
}
