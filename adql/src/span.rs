//! Positions in the query text, for error messages.

/// A range of the query text with the line and column (1-based, in characters) of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset after the end.
    pub end: usize,
    /// Line of the start, from 1.
    pub line: u32,
    /// Column of the start, from 1, counted in characters.
    pub column: u32,
}

impl Span {
    /// The span covering both.
    pub fn to(self, other: Span) -> Span {
        if other.end >= self.end {
            Span {
                end: other.end,
                ..self
            }
        } else {
            self
        }
    }
}
