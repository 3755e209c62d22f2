//! The values metrics hold. Every update is one or two relaxed atomic adds on memory
//! owned by the handle (handles are `Arc`s shared with the registry), so recording takes
//! no lock and never allocates.
//!
//! Counters and histograms are striped: each has [`STRIPES`] cache-line-aligned copies,
//! a thread always records into the same one, and reading adds them up. Sessions of one
//! domain running on different worker threads therefore do not bounce a cache line
//! between cores on every stanza (measured in `integration-tests/benches/prometheus.rs`).
//! Gauges are not striped: they are set by probes or moved once per login.
//!
//! prometheus-client's own `Histogram` is not used: it takes a write lock per
//! observation, which on the stanza path would be a lock shared by every session of a
//! domain.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Copies of each counter and histogram; threads beyond this many share them.
pub const STRIPES: usize = 8;

/// Aligned to 128 bytes: a cache line, or the pair of lines x86 prefetches together.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

/// The stripe of the current thread (assigned round-robin on first use).
#[inline]
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

/// A monotonically increasing count (MongooseIM's `spiral`, exposed as a Prometheus counter).
///
/// Striped: [`STRIPES`] cache-line-aligned copies, each thread adding to its own, reads
/// summing them, so that threads recording the same counter do not contend.
#[derive(Clone, Debug)]
pub struct Counter(Arc<[Padded<AtomicU64>; STRIPES]>);

impl Default for Counter {
    fn default() -> Self {
        Counter(Arc::new(std::array::from_fn(|_| Padded::default())))
    }
}

impl Counter {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }
    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0[stripe()].0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

/// A value that goes up and down or is set by a probe (MongooseIM's `counter` and
/// `gauge`, both exposed as Prometheus gauges).
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    /// Sets the value.
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Number of buckets: upper bounds 1, 2, 4, ..., 2^30, then +Inf (MongooseIM's layout).
pub const BUCKETS: usize = 32;

/// The finite upper bound of bucket `i` (`None` for the last, +Inf).
pub const fn bucket_bound(i: usize) -> Option<u64> {
    if i + 1 < BUCKETS { Some(1 << i) } else { None }
}

/// The bucket an observation falls in: the first whose bound is >= `v`.
#[inline]
fn bucket_of(v: u64) -> usize {
    if v <= 1 {
        0
    } else {
        // ceil(log2(v)) for v >= 2.
        ((u64::BITS - (v - 1).leading_zeros()) as usize).min(BUCKETS - 1)
    }
}

#[derive(Debug, Default)]
struct HistogramCells {
    buckets: [AtomicU64; BUCKETS],
    sum: AtomicU64,
}

/// A distribution of integer observations (microseconds or bytes) over power-of-two
/// buckets. Lock-free: an observation is two relaxed adds (its bucket and the sum); the
/// count is the sum of the buckets, so the `+Inf` bucket always equals `_count`.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<[Padded<HistogramCells>; STRIPES]>);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(Arc::new(std::array::from_fn(|_| Padded::default())))
    }
}

impl Histogram {
    /// Records one observation.
    #[inline]
    pub fn observe(&self, v: u64) {
        let cells = &self.0[stripe()].0;
        cells.buckets[bucket_of(v)].fetch_add(1, Ordering::Relaxed);
        cells.sum.fetch_add(v, Ordering::Relaxed);
    }
    /// Records a duration in microseconds (saturating).
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }
    /// A copy of the current state.
    pub fn snapshot(&self) -> HistogramValue {
        let mut v = HistogramValue {
            counts: [0; BUCKETS],
            sum: 0,
        };
        for Padded(cells) in self.0.iter() {
            for (total, b) in v.counts.iter_mut().zip(&cells.buckets) {
                *total += b.load(Ordering::Relaxed);
            }
            v.sum += cells.sum.load(Ordering::Relaxed);
        }
        v
    }
}

/// A histogram's state at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistogramValue {
    /// Observations per bucket (not cumulative); bounds are [`bucket_bound`].
    pub counts: [u64; BUCKETS],
    /// Sum of all observations.
    pub sum: u64,
}

impl HistogramValue {
    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
    /// `(upper bound, cumulative count)` per bucket, as exposed (`None` is +Inf).
    pub fn cumulative(&self) -> impl Iterator<Item = (Option<u64>, u64)> + '_ {
        self.counts.iter().enumerate().scan(0u64, |acc, (i, c)| {
            *acc += c;
            Some((bucket_bound(i), *acc))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_up_to_2_30() {
        assert_eq!(bucket_bound(0), Some(1));
        assert_eq!(bucket_bound(1), Some(2));
        assert_eq!(bucket_bound(30), Some(1 << 30));
        assert_eq!(bucket_bound(31), None);
        for (v, b) in [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1024, 10),
            (1025, 11),
            (1 << 30, 30),
            ((1 << 30) + 1, 31),
            (u64::MAX, 31),
        ] {
            assert_eq!(bucket_of(v), b, "{v}");
            if let Some(bound) = bucket_bound(b) {
                assert!(v <= bound);
            }
            if b > 0 {
                assert!(v > bucket_bound(b - 1).unwrap_or(0));
            }
        }
    }

    #[test]
    fn histogram_counts_and_sums() {
        let h = Histogram::default();
        let copy = h.clone();
        for v in [1, 3, 3, 100] {
            copy.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.count(), 4);
        assert_eq!(s.sum, 107);
        let cum: Vec<_> = s.cumulative().collect();
        assert_eq!(cum[0], (Some(1), 1));
        assert_eq!(cum[2], (Some(4), 3));
        assert_eq!(cum[7], (Some(128), 4));
        assert_eq!(cum[31], (None, 4));
    }

    #[test]
    fn stripes_add_up_across_threads() {
        let c = Counter::default();
        let h = Histogram::default();
        std::thread::scope(|s| {
            for _ in 0..(STRIPES + 3) {
                let (c, h) = (c.clone(), h.clone());
                s.spawn(move || {
                    for v in 0..1000 {
                        c.inc();
                        h.observe(v);
                    }
                });
            }
        });
        let n = (STRIPES as u64 + 3) * 1000;
        assert_eq!(c.get(), n);
        let snap = h.snapshot();
        assert_eq!(snap.count(), n);
        assert_eq!(snap.sum, (STRIPES as u64 + 3) * 999 * 1000 / 2);
        assert_eq!(snap.cumulative().last(), Some((None, n)));
    }

    #[test]
    fn counters_and_gauges_share_state_between_clones() {
        let c = Counter::default();
        c.clone().add(5);
        c.inc();
        assert_eq!(c.get(), 6);
        let g = Gauge::default();
        g.clone().inc();
        g.inc();
        g.dec();
        assert_eq!(g.get(), 1);
        g.set(-3);
        assert_eq!(g.get(), -3);
    }
}
