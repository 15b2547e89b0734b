//! Kubernetes: VMRule and PrometheusRule objects as a rule source, namespace tenancy, and the watchers that keep
//! the set of objects current.
//!
//! Place in the pipeline: a source in front of `config/`, like `source/` for files. Objects are converted into
//! the same [`crate::config::Group`]s rule files become, through the same validation ([`convert`]); tenancy
//! rewrites them ([`tenancy`]); [`catalog`] turns every object watched into the current rule set with a verdict
//! per object; [`source`] runs the watchers and publishes that set on a channel ([`KubeRuleSource::subscribe`]).
//!
//! The pure part ([`object`], [`convert`], [`tenancy`], [`selector`], [`catalog`]) never does IO; the IO part
//! ([`crd`], [`client`], [`source`], [`status`]) talks to the API server only. Nothing here evaluates a rule or
//! reaches into a runner: the reload manager subscribes and decides what to restart.

pub mod catalog;
pub mod client;
pub mod convert;
pub mod crd;
pub mod object;
pub mod selector;
pub mod source;
pub mod status;
pub mod tenancy;

pub use catalog::{Catalog, KubeRules, ObjectStatus, Verdict};
pub use object::{ObjectKey, ObjectKind, RuleObject};
pub use source::{KubeRuleSource, KubeSettings};
