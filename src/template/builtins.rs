//! Go `text/template` builtin functions: `and or not len index slice print printf println html js urlquery
//! eq ne lt le gt ge call`.
//!
//! Each follows Go 1.19's semantics and error wording. Control flow and data access live in `exec.rs`.

/// Names of Go's builtin template functions.
pub const NAMES: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}
