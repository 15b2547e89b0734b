//! Errors of template parsing and execution, worded as Go's `text/template` words them.
//!
//! Parse errors print `template: NAME:LINE: MESSAGE`; execution errors print
//! `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`. Positions are also kept as fields.

/// A template that failed to parse or to execute.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// The text is not a valid template. `line` is 1-based; `column` is the 1-based character column inside the
    /// user's text (Go's message itself carries the line only).
    #[error("template: {name}:{line}: {message}")]
    Parse {
        name: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Execution failed at a node. `location` is Go's `NAME:LINE:COL` (COL is Go's 0-based byte offset on the line,
    /// counted in the text as executed, including any header the dialect prepends).
    #[error("template: {location}: executing \"{template}\" at <{context}>: {message}")]
    Exec {
        location: String,
        template: String,
        context: String,
        message: String,
    },
    /// Execution failed before reaching a node (e.g. an empty template).
    #[error("template: {template}: {message}")]
    ExecNoNode { template: String, message: String },
}
