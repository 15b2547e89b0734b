//! Test helpers for the datasource client: a victoria-metrics child process and a scripted fake HTTP server.
#![allow(dead_code)]

pub mod fake;
pub mod vm;

/// A TCP port that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}
