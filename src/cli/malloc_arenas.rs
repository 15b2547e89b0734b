//! Caps glibc's malloc arenas for `tocsin run`, before the runtime starts its threads.
//!
//! glibc gives each thread that contends for the heap an arena of its own (up to eight per core), and freed memory
//! stays in the arena that served it: with tokio's workers and blocking threads, that is several megabytes of
//! resident memory the rule state never uses. One arena keeps all freed memory reusable by every thread: in the
//! 2,000-rule benchmark it peaked 2-3 MiB lower than two arenas at the same CPU (docs/run.md, "Memory"); the
//! threads hold the lock only for short allocations. An explicit `MALLOC_ARENA_MAX` in the environment wins. It must
//! not do anything else with the allocator.

/// Arenas `tocsin run` asks glibc for.
const ARENAS: i32 = 1;

/// Caps the arenas unless `MALLOC_ARENA_MAX` is set. Call before any thread is started.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn cap() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: mallopt only changes a tunable of the C allocator; it takes no pointers, and glibc serialises it
    // against allocations. A failure (return 0) leaves the default in place, which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Other C libraries have their own arena policies: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn cap() {}
