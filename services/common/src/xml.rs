//! A small XML writer for the documents the services serve (VOSI, UWS-free parts, registry records).
//!
//! Hand-written rather than quick-xml's writer because every document we emit is a fixed shape built from trusted
//! code, and what matters is that *content* from users and files can never break it: [`escape_text`] and
//! [`escape_attr`] also drop the characters XML 1.0 forbids, so a stray control character in a description cannot
//! make a capabilities or tables document unparseable.

use std::fmt::Write as _;

/// Appends `s` escaped for element content.
pub fn escape_text_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if allowed_in_xml(c) => out.push(c),
            _ => {}
        }
    }
}

/// Appends `s` escaped for a double-quoted attribute value.
pub fn escape_attr_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if allowed_in_xml(c) => out.push(c),
            _ => {}
        }
    }
}

/// `s` escaped for element content.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_text_into(&mut out, s);
    out
}

/// `s` escaped for an attribute value.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_attr_into(&mut out, s);
    out
}

/// XML 1.0 `Char` production.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Builds an indented XML document element by element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// A document starting with the XML declaration.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    /// A fragment without XML declaration (to embed in another document).
    pub fn fragment() -> Self {
        XmlWriter {
            out: String::new(),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"");
            escape_attr_into(&mut self.out, v);
            self.out.push('"');
        }
    }

    /// Opens an element; close it with [`XmlWriter::close`].
    pub fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start_tag(name, attrs);
        self.out.push_str(">\n");
        self.open.push(name);
        self
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            self.indent();
            let _ = writeln!(self.out, "</{name}>");
        }
        self
    }

    /// An element with text content (escaped).
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.start_tag(name, attrs);
        self.out.push('>');
        escape_text_into(&mut self.out, text);
        let _ = writeln!(self.out, "</{name}>");
        self
    }

    /// An element with text content, only when the text is present.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, &[], t);
        }
        self
    }

    /// An empty element `<name .../>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start_tag(name, attrs);
        self.out.push_str("/>\n");
        self
    }

    /// Inserts an already well-formed fragment (e.g. from another `XmlWriter::fragment`), re-indented.
    pub fn raw(&mut self, fragment: &str) -> &mut Self {
        for line in fragment.lines() {
            self.indent();
            self.out.push_str(line);
            self.out.push('\n');
        }
        self
    }

    /// Closes whatever is still open and returns the text.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_cannot_break_the_document() {
        let mut w = XmlWriter::new();
        w.open("a", &[("x", "\"<&>\"\n")]);
        w.leaf("b", &[], "1 < 2 & \u{1} bell \u{7} </b>");
        let doc = w.finish();
        assert!(
            doc.contains("x=\"&quot;&lt;&amp;&gt;&quot;&#10;\""),
            "{doc}"
        );
        assert!(
            doc.contains("<b>1 &lt; 2 &amp;  bell  &lt;/b&gt;</b>"),
            "{doc}"
        );
        assert!(doc.ends_with("</a>\n"));
    }

    #[test]
    fn unicode_survives() {
        assert_eq!(escape_text("α Cen — ☉"), "α Cen — ☉");
        assert_eq!(escape_attr("\u{FFFE}ok"), "ok");
    }
}
