//! Time per payload of the typed-payload boundary (see support/typed_cases.rs).
//!
//! `cargo bench -p meerkat-xmpp --bench typed` (release profile, system
//! allocator). Prints the best of several rounds, in ns per payload.

#[path = "support/typed_cases.rs"]
mod typed_cases;

use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 7;

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let iters: u32 = std::env::var("TYPED_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    typed_cases::check();
    println!("{:<58} {:>10}", "case", "ns/payload");
    for case in typed_cases::cases() {
        if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        // Warm up.
        for _ in 0..iters / 10 {
            black_box((case.run)());
        }
        let mut best = f64::INFINITY;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..iters {
                black_box((case.run)());
            }
            let ns = start.elapsed().as_nanos() as f64 / f64::from(iters);
            best = best.min(ns);
        }
        println!("{:<58} {:>10.0}", case.name, best);
    }
}
