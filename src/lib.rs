//! tocsin: an alert-rule evaluator and Alertmanager bridge, compatible with vmalert and Prometheus rule files.
//!
//! The modules follow the data: rule sources are parsed and validated in [`config`], expressions are handled in
//! [`promql`], annotation templates in [`template`], and [`cli`] wires the subcommands together.
//! See `docs/architecture.md` for the whole pipeline.

pub mod cli;
pub mod config;
pub mod datasource;
pub mod group;
pub mod kube;
pub mod notifier;
pub mod promql;
pub mod remotewrite;
pub mod replica;
pub mod rule;
pub mod secrets;
pub mod server;
pub mod source;
pub mod template;
pub mod unittest;
