//! Tokens of ADQL 2.1 (§2.1): regular and delimited identifiers, string and numeric literals, operators.
//!
//! The lexer is where much of the strictness lives: things that other SQL dialects accept but ADQL does not
//! (backticks, `::` casts, `/* */` comments, hex literals, bitwise operators, `;`, `$1`) are rejected here with a
//! message that says what to write instead.

use crate::error::{AdqlError, ErrorKind};
use crate::span::Span;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A regular identifier or keyword, as written.
    Word(String),
    /// A delimited identifier (quotes removed, `""` unescaped).
    Quoted(String),
    /// A character string literal (quotes removed, `''` unescaped).
    Str(String),
    /// An unsigned numeric literal, as written.
    Number(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `*`
    Star,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `/`
    Slash,
    /// `||`
    Concat,
    /// `=`
    Eq,
    /// `<>` or `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token is named in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::Str(s) => format!("string '{}'", s.chars().take(30).collect::<String>()),
            Tok::Number(n) => format!("number {n}"),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Dot => "'.'".into(),
            Tok::Star => "'*'".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Slash => "'/'".into(),
            Tok::Concat => "'||'".into(),
            Tok::Eq => "'='".into(),
            Tok::Ne => "'<>'".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Eof => "the end of the query".into(),
        }
    }
}

/// A token with its place in the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    /// The last column computed (byte offset, column): columns are counted onwards from there, so a long
    /// one-line query costs linear time, not quadratic.
    column_at: std::cell::Cell<(usize, u32)>,
}

/// Splits a query into tokens (the last one is [`Tok::Eof`]).
pub fn tokenize(src: &str) -> Result<Vec<Token>, AdqlError> {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        column_at: std::cell::Cell::new((0, 1)),
    };
    let mut out = Vec::new();
    loop {
        lx.skip_space_and_comments()?;
        let start = lx.here();
        if lx.pos >= lx.bytes.len() {
            out.push(Token {
                tok: Tok::Eof,
                span: start,
            });
            return Ok(out);
        }
        let tok = lx.next_tok(start)?;
        let span = Span {
            end: lx.pos,
            ..start
        };
        out.push(Token { tok, span });
    }
}

impl<'a> Lexer<'a> {
    fn here(&self) -> Span {
        let (from, col) = match self.column_at.get() {
            (at, col) if at >= self.line_start && at <= self.pos => (at, col),
            _ => (self.line_start, 1),
        };
        let column = col + self.src[from..self.pos].chars().count() as u32;
        self.column_at.set((self.pos, column));
        Span {
            start: self.pos,
            end: self.pos,
            line: self.line,
            column,
        }
    }

    fn peek(&self, off: usize) -> u8 {
        *self.bytes.get(self.pos + off).unwrap_or(&0)
    }

    fn bump(&mut self) {
        if self.peek(0) == b'\n' {
            self.line += 1;
            self.line_start = self.pos + 1;
        }
        self.pos += 1;
    }

    fn err(&self, at: Span, msg: impl Into<String>) -> AdqlError {
        AdqlError::new(ErrorKind::Syntax, msg).at(at)
    }

    fn skip_space_and_comments(&mut self) -> Result<(), AdqlError> {
        loop {
            match self.peek(0) {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b' => self.bump(),
                b'-' if self.peek(1) == b'-' => {
                    while self.pos < self.bytes.len() && self.peek(0) != b'\n' {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek(1) == b'*' => {
                    return Err(self.err(
                        self.here(),
                        "/* block comments */ are not ADQL: use -- comments",
                    ));
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_tok(&mut self, start: Span) -> Result<Tok, AdqlError> {
        let c = self.peek(0);
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {
                let s = self.pos;
                while matches!(self.peek(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
                    self.pos += 1;
                }
                if self.peek(0) >= 0x80 {
                    return Err(self.err(
                        self.here(),
                        "identifiers are ASCII in ADQL: quote non-ASCII names with \"\"",
                    ));
                }
                Ok(Tok::Word(self.src[s..self.pos].to_string()))
            }
            b'0'..=b'9' | b'.' if c != b'.' || self.peek(1).is_ascii_digit() => self.number(start),
            b'"' => self.quoted(start),
            b'\'' => self.string(start).map(Tok::Str),
            b'_' => Err(self.err(
                start,
                "an identifier must start with a letter; quote names like _weird as \"_weird\"",
            )),
            b'(' => self.one(Tok::LParen),
            b')' => self.one(Tok::RParen),
            b',' => self.one(Tok::Comma),
            b'.' => self.one(Tok::Dot),
            b'*' => self.one(Tok::Star),
            b'+' => self.one(Tok::Plus),
            b'-' => self.one(Tok::Minus),
            b'/' => self.one(Tok::Slash),
            b'=' => self.one(Tok::Eq),
            b'|' if self.peek(1) == b'|' => self.two(Tok::Concat),
            b'<' if self.peek(1) == b'>' => self.two(Tok::Ne),
            b'<' if self.peek(1) == b'=' => self.two(Tok::Le),
            b'<' => self.one(Tok::Lt),
            b'>' if self.peek(1) == b'=' => self.two(Tok::Ge),
            b'>' => self.one(Tok::Gt),
            b'!' if self.peek(1) == b'=' => self.two(Tok::Ne),
            b':' if self.peek(1) == b':' => Err(self.err(
                start,
                "'::' casts are not ADQL: write CAST(expression AS type)",
            )),
            b';' => Err(self.err(
                start,
                "';' is not ADQL: send one query, without a terminating semicolon",
            )),
            b'`' => Err(self.err(
                start,
                "backticks are not ADQL: quote identifiers with double quotes \"like this\"",
            )),
            b'|' | b'&' | b'^' | b'~' => Err(self.err(
                start,
                format!(
                    "'{}': bitwise operators are not part of ADQL 2.1",
                    c as char
                ),
            )),
            b'[' | b']' => {
                Err(self.err(start, "brackets are not ADQL (no arrays or [quoted] names)"))
            }
            b'?' | b'$' | b'@' | b':' => Err(self.err(
                start,
                format!(
                    "'{}' is not ADQL: parameters and placeholders are not part of the language",
                    c as char
                ),
            )),
            _ => {
                let ch = self.src[self.pos..].chars().next().unwrap_or('?');
                Err(self.err(start, format!("unexpected character '{ch}'")))
            }
        }
    }

    fn one(&mut self, t: Tok) -> Result<Tok, AdqlError> {
        self.pos += 1;
        Ok(t)
    }

    fn two(&mut self, t: Tok) -> Result<Tok, AdqlError> {
        self.pos += 2;
        Ok(t)
    }

    fn digits(&mut self) -> usize {
        let s = self.pos;
        while self.peek(0).is_ascii_digit() {
            self.pos += 1;
        }
        self.pos - s
    }

    fn number(&mut self, start: Span) -> Result<Tok, AdqlError> {
        let s = self.pos;
        if self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X') {
            return Err(self.err(
                start,
                "hexadecimal literals are not part of ADQL 2.1: write the number in decimal",
            ));
        }
        self.digits();
        if self.peek(0) == b'.' {
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(0), b'e' | b'E') {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(0), b'+' | b'-') {
                self.pos += 1;
            }
            if self.digits() == 0 {
                self.pos = save;
                return Err(self.err(self.here(), "an exponent needs digits, e.g. 1.5E-3"));
            }
        }
        if matches!(self.peek(0), b'a'..=b'z' | b'A'..=b'Z' | b'_') {
            return Err(self.err(
                self.here(),
                format!(
                    "'{}' runs into the number before it: separate them with a space",
                    self.peek(0) as char
                ),
            ));
        }
        Ok(Tok::Number(self.src[s..self.pos].to_string()))
    }

    fn quoted(&mut self, start: Span) -> Result<Tok, AdqlError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.src[self.pos..].chars().next() {
                None => {
                    return Err(self.err(
                        start,
                        "unterminated delimited identifier: a closing \" is missing",
                    ));
                }
                Some('"') if self.peek(1) == b'"' => {
                    out.push('"');
                    self.pos += 2;
                }
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some('\n') => {
                    out.push('\n');
                    self.bump();
                }
                Some(ch) => {
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
        if out.is_empty() {
            return Err(self.err(start, "an empty delimited identifier \"\" names nothing"));
        }
        Ok(Tok::Quoted(out))
    }

    fn string(&mut self, start: Span) -> Result<String, AdqlError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.src[self.pos..].chars().next() {
                None => return Err(self.err(start, "unterminated string: a closing ' is missing")),
                Some('\'') if self.peek(1) == b'\'' => {
                    out.push('\'');
                    self.pos += 2;
                }
                Some('\'') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\n') => {
                    out.push('\n');
                    self.bump();
                }
                Some('\0') => {
                    return Err(self.err(self.here(), "strings cannot contain NUL characters"));
                }
                Some(ch) => {
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn basic_tokens() {
        assert_eq!(
            toks("SELECT a.\"B c\", 'it''s' || x FROM t -- comment\nWHERE x<>1.5e-3"),
            vec![
                Tok::Word("SELECT".into()),
                Tok::Word("a".into()),
                Tok::Dot,
                Tok::Quoted("B c".into()),
                Tok::Comma,
                Tok::Str("it's".into()),
                Tok::Concat,
                Tok::Word("x".into()),
                Tok::Word("FROM".into()),
                Tok::Word("t".into()),
                Tok::Word("WHERE".into()),
                Tok::Word("x".into()),
                Tok::Ne,
                Tok::Number("1.5e-3".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks(".5 5. 10E3"),
            vec![
                Tok::Number(".5".into()),
                Tok::Number("5.".into()),
                Tok::Number("10E3".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn positions_are_line_and_column() {
        let t = tokenize("SELECT\n  ra FROM t").unwrap();
        assert_eq!((t[1].span.line, t[1].span.column), (2, 3));
    }

    #[test]
    fn non_adql_lexemes_are_rejected_with_advice() {
        for (q, needle) in [
            ("SELECT ra::int FROM t", "CAST"),
            ("SELECT `ra` FROM t", "double quotes"),
            ("SELECT 0xFF FROM t", "hexadecimal"),
            ("SELECT a & b FROM t", "bitwise"),
            ("SELECT 1; SELECT 2", "semicolon"),
            ("SELECT /* x */ 1", "block comments"),
            ("SELECT _x FROM t", "start with a letter"),
            ("SELECT 'abc FROM t", "unterminated"),
            ("SELECT 12abc FROM t", "separate"),
            ("SELECT $1", "placeholders"),
        ] {
            let e = tokenize(q).unwrap_err();
            assert!(e.to_string().contains(needle), "{q}: {e}");
        }
    }
}
