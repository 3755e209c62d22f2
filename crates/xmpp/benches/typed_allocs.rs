//! Heap allocations per payload of the typed-payload boundary (see
//! support/typed_cases.rs), counted with dhat's allocator.
//!
//! `cargo bench -p meerkat-xmpp --bench typed_allocs`. A separate binary from
//! `typed`, so that the counting allocator does not skew the timings.

#[path = "support/typed_cases.rs"]
mod typed_cases;

use std::hint::black_box;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const ITERS: u64 = 1000;

fn main() {
    typed_cases::check();
    let cases = typed_cases::cases();
    let _profiler = dhat::Profiler::builder().testing().build();
    println!("{:<58} {:>8} {:>8}", "case", "allocs", "bytes");
    for case in &cases {
        black_box((case.run)());
        let before = dhat::HeapStats::get();
        for _ in 0..ITERS {
            black_box((case.run)());
        }
        let after = dhat::HeapStats::get();
        println!(
            "{:<58} {:>8.1} {:>8.0}",
            case.name,
            (after.total_blocks - before.total_blocks) as f64 / ITERS as f64,
            (after.total_bytes - before.total_bytes) as f64 / ITERS as f64,
        );
    }
}
