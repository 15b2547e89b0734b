//! The embedded PromQL evaluator: an in-memory series store and Prometheus 2.x evaluation semantics, used as an
//! offline querier by `tocsin test`.
//!
//! Pure: never does network IO.
