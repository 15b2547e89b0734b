//! The HTTP server: JSON API, web UI, `/metrics` and reload endpoints. Reads snapshots; never reaches into a runner.

pub mod ui;
