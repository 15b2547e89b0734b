//! Where rule text comes from: paths, globs and directories given to `-rule` or `tocsin check`, and standard
//! input. (Kubernetes objects arrive through `kube` later.) This is the IO shim in front of `config`: it finds and
//! reads files and hands their text over; it never interprets it.

pub mod files;
