//! Values a template computes with, typed as the Go values they stand for so printing and type errors match Go.

#[derive(Debug, Clone)]
pub enum Value {
    Nil,
}
