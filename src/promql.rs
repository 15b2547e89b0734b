//! PromQL and MetricsQL: parsing expressions for validation, AST rewrites, and (later) the embedded evaluator used
//! by `tocsin test`.
//!
//! Pure: never does network IO.

pub mod engine;
pub mod metricsql;
