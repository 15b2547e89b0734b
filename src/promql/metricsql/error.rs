//! Parse errors for MetricsQL: where in the expression the problem is, what it is, and how to fix it.
//!
//! Pure data; must not format file names or rule paths (the caller adds those).

use super::ast::Span;

/// An expression that VictoriaMetrics would refuse, with its position inside the expression text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}{}", hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
pub struct ParseError {
    /// 1-based line inside the expression.
    pub line: usize,
    /// 1-based column (in characters) inside the line.
    pub column: usize,
    /// Byte offset inside the expression.
    pub offset: usize,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it, when we can tell (e.g. `did you mean "rate"?`).
    pub hint: Option<String>,
}

impl ParseError {
    /// Builds an error at byte `offset` of `src`.
    pub(crate) fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(src.len());
        // Back off to a char boundary so slicing below cannot panic.
        let mut off = offset;
        while !src.is_char_boundary(off) {
            off -= 1;
        }
        let before = &src[..off];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        ParseError {
            line,
            column,
            offset,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Builds an error at the start of `span`.
    pub(crate) fn at_span(src: &str, span: Span, message: impl Into<String>) -> Self {
        Self::at(src, span.start, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_char_columns() {
        let e = ParseError::at("ab\ncé d", 7, "boom");
        assert_eq!((e.line, e.column), (2, 4));
        assert_eq!(e.to_string(), "2:4: boom");
        let e = ParseError::at("x", 0, "bad").with_hint("try y");
        assert_eq!(e.to_string(), "1:1: bad; try y");
    }
}
