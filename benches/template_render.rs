//! Renders a typical alert (5 annotations using `humanize`, `range`, `printf`) and reports renders per second
//! and heap allocations per render, counted by a wrapping global allocator.
//!
//! Run: `cargo bench --bench template_render` (`TEMPLATE_BENCH_SECS` sets the measuring time, default 3).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tocsin::template::{AlertTemplateData, RenderContext, Template, TemplateDialect, TemplateSet};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ANNOTATIONS: [&str; 5] = [
    "{{ $labels.instance }} of job {{ $labels.job }} is down",
    "Disk usage is {{ $value | humanize }}B ({{ humanizePercentage 0.8734 }} of capacity)",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}",
    "{{ printf \"%.2f\" $value }} over threshold for {{ humanizeDuration 5400 }}",
    "{{ if gt $value 1e9 }}critical: {{ $value | humanize1024 }}{{ else }}warning{{ end }} on {{ $labels.instance | stripPort }}",
];

fn main() {
    // `cargo test --all-targets` runs this binary without `--bench`: render once as a smoke test and stop.
    let measuring = std::env::args().any(|a| a == "--bench");
    let secs: u64 = std::env::var("TEMPLATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let templates: Vec<Template> = ANNOTATIONS
        .iter()
        .map(|a| {
            Template::parse_alert(
                "HostDiskFull",
                a,
                TemplateDialect::Prometheus,
                &TemplateSet::default(),
            )
        })
        .collect::<Result<_, _>>()
        .expect("benchmark templates parse");
    let mut data = AlertTemplateData {
        value: 1_234_567_890.5,
        ..Default::default()
    };
    for (k, v) in [
        ("instance", "web-1.example.com:9100"),
        ("job", "node"),
        ("device", "sda1"),
        ("severity", "page"),
    ] {
        data.labels.insert(k.into(), v.into());
    }
    let ctx = RenderContext {
        eval_time: SystemTime::UNIX_EPOCH,
        ..Default::default()
    };
    let render_all = || {
        let prepared = data.prepare(TemplateDialect::Prometheus);
        let mut n = 0;
        for t in &templates {
            n += t
                .render_prepared(&prepared, &ctx)
                .expect("benchmark templates render")
                .len();
        }
        n
    };
    if !measuring {
        assert!(render_all() > 0);
        return;
    }
    for _ in 0..1000 {
        std::hint::black_box(render_all());
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    std::hint::black_box(render_all());
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    let budget = Duration::from_secs(secs);
    let start = Instant::now();
    let mut renders = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            std::hint::black_box(render_all());
        }
        renders += 100;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "template_render: {:.0} alert renders/s ({:.0} annotations/s), {allocs} allocations per alert render ({} annotations)",
        renders as f64 / elapsed,
        renders as f64 * 5.0 / elapsed,
        ANNOTATIONS.len()
    );
}
