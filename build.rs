//! Build script: links the `tocsin` executable position-dependent (non-PIE) on Linux.
//!
//! A PIE binary of tocsin's size carries about 58,000 relative relocations that the dynamic loader applies at every
//! start, dirtying some 370 pages of `.data.rel.ro`: about 0.6 ms of CPU per process, a third of a one-file
//! `tocsin test`. Linked non-PIE, those addresses are fixed at link time. The cost is that the executable's own code
//! and data sit at fixed addresses (shared libraries, heap, stack and mappings stay randomized), which is how Debian
//! ships the Go binaries tocsin replaces (promtool, vmalert). The decision is written in docs/architecture.md.
//! Must not: do anything else (no code generation, no downloads).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
