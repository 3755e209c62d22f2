//! Latency histograms (HdrHistogram, microseconds) and how they are reported.

use hdrhistogram::Histogram;
use serde_json::json;

/// Microseconds, 1 µs to 10 minutes, 3 significant digits.
pub type Hist = Histogram<u64>;

pub fn new() -> Hist {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

/// Records `us` (clamped into the histogram's range).
pub fn record(h: &mut Hist, us: u64) {
    h.saturating_record(us.max(1));
}

/// A quantile in milliseconds (0 when empty).
pub fn ms(h: &Hist, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

/// The maximum in milliseconds.
pub fn max_ms(h: &Hist) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.max() as f64 / 1000.0
    }
}

/// Milliseconds for a table: 3 significant-ish digits.
pub fn fmt_ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `p50 / p99 / p99.9 / max` in ms.
pub fn line(h: &Hist) -> String {
    format!(
        "{} / {} / {} / {}",
        fmt_ms(ms(h, 0.5)),
        fmt_ms(ms(h, 0.99)),
        fmt_ms(ms(h, 0.999)),
        fmt_ms(max_ms(h))
    )
}

pub fn json(h: &Hist) -> serde_json::Value {
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    json!({
        "count": h.len(),
        "mean_ms": if h.is_empty() { 0.0 } else { r3(h.mean() / 1000.0) },
        "p50_ms": r3(ms(h, 0.5)),
        "p90_ms": r3(ms(h, 0.9)),
        "p99_ms": r3(ms(h, 0.99)),
        "p999_ms": r3(ms(h, 0.999)),
        "max_ms": r3(max_ms(h)),
    })
}
