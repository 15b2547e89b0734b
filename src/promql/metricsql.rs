//! MetricsQL: the VictoriaMetrics dialect of PromQL, parsed, validated, rewritten and printed.
//!
//! Pure: never does network IO.
