//! Errors a person can act on: what is wrong, where (line and column), and what to do.

use crate::span::Span;
use std::fmt;

/// The kind of problem, for callers that map errors to their wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not ADQL 2.1.
    Syntax,
    /// A table, column or function is unknown or ambiguous.
    Name,
    /// Operand types do not fit an operator or function.
    Type,
    /// Valid ADQL this service cannot run (e.g. a backend limitation).
    Unsupported,
}

/// One problem in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ErrorKind,
    /// What is wrong.
    pub message: String,
    /// Where, when known.
    pub span: Option<Span>,
    /// What to try ("did you mean 'ra'?").
    pub hint: Option<String>,
}

/// One or more problems (the checker reports every unknown name at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdqlError {
    /// The problems, in query order; never empty.
    pub problems: Vec<Problem>,
}

impl AdqlError {
    /// A single problem.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AdqlError {
        AdqlError {
            problems: vec![Problem {
                kind,
                message: message.into(),
                span: None,
                hint: None,
            }],
        }
    }

    /// Sets the position of the (last) problem.
    pub fn at(mut self, span: Span) -> AdqlError {
        if let Some(p) = self.problems.last_mut() {
            p.span = Some(span);
        }
        self
    }

    /// Adds a hint to the (last) problem.
    pub fn hint(mut self, hint: impl Into<String>) -> AdqlError {
        if let Some(p) = self.problems.last_mut() {
            p.hint = Some(hint.into());
        }
        self
    }

    /// The kind of the first problem.
    pub fn kind(&self) -> ErrorKind {
        self.problems
            .first()
            .map(|p| p.kind)
            .unwrap_or(ErrorKind::Syntax)
    }

    /// Merges several errors into one, sorted by position.
    pub fn merge(errors: Vec<AdqlError>) -> Option<AdqlError> {
        let mut problems: Vec<Problem> = errors.into_iter().flat_map(|e| e.problems).collect();
        if problems.is_empty() {
            return None;
        }
        problems.sort_by_key(|p| p.span.map(|s| s.start).unwrap_or(usize::MAX));
        problems.dedup();
        Some(AdqlError { problems })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.span {
            write!(f, "line {}, column {}: ", s.line, s.column)?;
        }
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AdqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AdqlError {}

/// Closest names to `wanted` (case-insensitive Levenshtein), best first, at most three, only reasonable ones.
pub fn suggestions<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let w = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .filter_map(|c| {
            let d = levenshtein(&w, &c.to_ascii_lowercase());
            let limit = w.chars().count().max(3).div_ceil(3);
            (d <= limit).then(|| (d, c.to_string()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "did you mean 'a' or 'b'?" or nothing.
pub fn did_you_mean(options: &[String]) -> Option<String> {
    match options {
        [] => None,
        [one] => Some(format!("did you mean '{one}'?")),
        more => {
            let quoted: Vec<String> = more.iter().map(|o| format!("'{o}'")).collect();
            Some(format!("did you mean {}?", quoted.join(" or ")))
        }
    }
}

/// Edit distance counting an adjacent transposition as one edit (optimal string alignment), so `pxl` is close
/// to `plx`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, v) in d[0].iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_names() {
        assert_eq!(suggestions("rra", ["ra", "dec", "hpmag"]), vec!["ra"]);
        assert_eq!(suggestions("HPMAG", ["ra", "hpmag"]), vec!["hpmag"]);
        assert!(suggestions("zzz", ["ra", "dec"]).is_empty());
        assert_eq!(
            did_you_mean(&["a".into(), "b".into()]).unwrap(),
            "did you mean 'a' or 'b'?"
        );
    }
}
