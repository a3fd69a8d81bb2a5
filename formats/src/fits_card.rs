//! FITS header cards (FITS 4.0 §4): 80-character records in 2880-byte blocks. Writing formats values in the
//! fixed format (strings longer than one card continue with the `CONTINUE` long-string convention); reading
//! splits a card into keyword, value and comment.

/// Bytes in a FITS block.
pub(crate) const BLOCK: usize = 2880;
/// Bytes in a card.
pub(crate) const CARD: usize = 80;

/// A header being written.
#[derive(Debug, Default)]
pub(crate) struct HeaderWriter {
    pub buf: Vec<u8>,
}

/// A value of a card.
pub(crate) enum CardValue<'a> {
    Logical(bool),
    Int(i64),
    Str(&'a str),
}

/// FITS headers are ASCII: anything else (and controls) becomes `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

impl HeaderWriter {
    fn push_card(&mut self, text: &str) {
        let mut t: Vec<u8> = text.bytes().take(CARD).collect();
        t.resize(CARD, b' ');
        self.buf.extend_from_slice(&t);
    }

    /// `KEY     = value / comment`.
    pub(crate) fn card(&mut self, key: &str, value: CardValue<'_>, comment: Option<&str>) {
        let comment = comment.map(ascii);
        let with_comment = |mut s: String| {
            if let Some(c) = &comment {
                s.push_str(" / ");
                s.push_str(c);
            }
            s
        };
        match value {
            CardValue::Logical(b) => {
                self.push_card(&with_comment(format!(
                    "{key:<8}= {:>20}",
                    if b { "T" } else { "F" }
                )));
            }
            CardValue::Int(i) => self.push_card(&with_comment(format!("{key:<8}= {i:>20}"))),
            CardValue::Str(s) => {
                let escaped = ascii(s).replace('\'', "''");
                if escaped.len() <= 68 {
                    self.push_card(&with_comment(format!("{key:<8}= '{escaped:<8}'")));
                    return;
                }
                // Long-string convention: pieces of at most 67 characters ending in '&', never splitting a ''.
                let pieces = split_long(&escaped, 67);
                let last = pieces.len() - 1;
                for (i, p) in pieces.iter().enumerate() {
                    let amp = if i < last { "&" } else { "" };
                    let head = if i == 0 {
                        format!("{key:<8}= ")
                    } else {
                        "CONTINUE  ".to_string()
                    };
                    let text = format!("{head}'{p}{amp}'");
                    self.push_card(&if i == last { with_comment(text) } else { text });
                }
            }
        }
    }

    /// `END`, then spaces to the end of the block.
    pub(crate) fn end(mut self) -> Vec<u8> {
        self.push_card("END");
        let padded = self.buf.len().div_ceil(BLOCK) * BLOCK;
        self.buf.resize(padded, b' ');
        self.buf
    }
}

fn split_long(s: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while rest.len() > max {
        let mut cut = max;
        // Do not end a piece inside a doubled quote: count the quotes before the cut.
        let quotes = rest[..cut]
            .bytes()
            .rev()
            .take_while(|b| *b == b'\'')
            .count();
        if quotes % 2 == 1 {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

/// A card read back: keyword and raw value text (quotes resolved for strings).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Card {
    pub key: String,
    pub value: Option<String>,
    /// The value was a quoted string.
    pub is_string: bool,
}

/// Parses one 80-byte card. `CONTINUE` cards come back with key `CONTINUE` and their string.
pub(crate) fn parse_card(raw: &[u8]) -> Card {
    let text: String = raw
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                ' '
            }
        })
        .collect();
    let key = text.get(..8).unwrap_or(&text).trim_end().to_string();
    let body = if key == "CONTINUE" {
        text.get(8..).unwrap_or("")
    } else if text.get(8..10) == Some("= ") {
        text.get(10..).unwrap_or("")
    } else {
        return Card {
            key,
            value: None,
            is_string: false,
        };
    };
    let body = body.trim_start();
    if let Some(inner) = body.strip_prefix('\'') {
        let mut s = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    s.push('\'');
                } else {
                    break;
                }
            } else {
                s.push(c);
            }
        }
        return Card {
            key,
            value: Some(s.trim_end().to_string()),
            is_string: true,
        };
    }
    let v = body.split('/').next().unwrap_or("").trim();
    Card {
        key,
        value: if v.is_empty() {
            None
        } else {
            Some(v.to_string())
        },
        is_string: false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_fixed_format_and_read_back() {
        let mut h = HeaderWriter::default();
        h.card("NAXIS1", CardValue::Int(42), Some("bytes per row"));
        h.card("TTYPE1", CardValue::Str("it's"), None);
        h.card("EXTEND", CardValue::Logical(true), None);
        let b = h.end();
        assert_eq!(b.len(), BLOCK);
        assert_eq!(&b[..30], b"NAXIS1  =                   42");
        assert_eq!(parse_card(&b[..80]).value.as_deref(), Some("42"));
        let c = parse_card(&b[80..160]);
        assert_eq!((c.value.as_deref(), c.is_string), (Some("it's"), true));
        assert_eq!(&b[160 + 29..160 + 30], b"T");
        assert_eq!(parse_card(&b[240..320]).key, "END");
    }

    #[test]
    fn long_strings_continue() {
        let long = "x'".repeat(60);
        let mut h = HeaderWriter::default();
        h.card("TCOMM1", CardValue::Str(&long), None);
        let b = h.end();
        let mut s = String::new();
        for card in b.chunks(80) {
            let c = parse_card(card);
            if c.key == "TCOMM1" || c.key == "CONTINUE" {
                let v = c.value.unwrap();
                s.push_str(v.strip_suffix('&').unwrap_or(&v));
            }
        }
        assert_eq!(s, long);
    }
}
