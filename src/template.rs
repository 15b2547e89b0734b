//! Go `text/template` with the Prometheus and vmalert function library: the language annotation and label
//! templates are written in.
//!
//! Pure: no tokio, no HTTP. Query results reach templates through a caller-supplied callback.
