//! Build script: link options of the `tocsin` executable only (no code generation, no downloads).
//!
//! On Linux with glibc the executable is linked with `-z pack-relative-relocs` (DT_RELR, glibc 2.36 or newer): the
//! PIE's ~55,000 relative relocations are stored as a bitmap of a few kilobytes instead of a 1.3 MB `.rela.dyn` that
//! the loader reads into memory at every start (`docs/benchmarks.md`, "Binary size"). The executable then needs
//! glibc 2.36 (Debian 12, Ubuntu 22.10, RHEL 10); `TOCSIN_PACK_RELOCS=0` links the plain table for older systems.
//! Tests and dependencies are not affected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TOCSIN_PACK_RELOCS");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let wanted = std::env::var("TOCSIN_PACK_RELOCS").as_deref() != Ok("0");
    if linux_gnu && wanted {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
