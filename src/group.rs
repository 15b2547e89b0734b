//! Groups at run time: when each group evaluates and which timestamp its queries use ([`schedule`]), and the loop
//! that evaluates a group's rules on that schedule and hands results to the outputs (`runner`), keeping each rule's
//! recent evaluations for the API ([`history`]).
//!
//! Knows no wire formats: it talks to the datasource through `datasource::Querier` and to the outputs through
//! the traits in `runner`.

pub mod history;
pub mod manager;
pub mod runner;
pub mod schedule;
pub mod snapshot;
#[cfg(test)]
pub(crate) mod testkit;
