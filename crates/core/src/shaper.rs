//! Traffic shaping of a client's incoming bytes, as MongooseIM's `[shaper]` sections do
//! it: a token bucket holding `max_rate` bytes, refilled at `max_rate` bytes per second
//! and full at the start. Each read takes its size from the bucket; when the bucket runs
//! dry the transport stops reading from the client for as long as the refill needs to pay
//! the debt back, so the long-run rate stays at `max_rate`.
//!
//! A transport asks its session ([`crate::c2s::C2s::shape`]) after each read how long to
//! pause; the session picks its shaper with the `c2s_shaper` access rule (see
//! [`crate::access`]).

use std::time::{Duration, Instant};

/// Micro-tokens per byte: the bucket counts in millionths of a byte so that a refill of
/// a few microseconds is not lost to rounding.
const SCALE: i128 = 1_000_000;

/// One token bucket.
#[derive(Clone, Debug)]
pub struct Shaper {
    /// Bytes per second (> 0).
    rate: u64,
    /// Available micro-tokens; negative while the client is in debt.
    tokens: i128,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl Shaper {
    /// A bucket of `max_rate` bytes per second, starting full. A rate of 0 is read as 1.
    pub fn new(max_rate: u64) -> Shaper {
        let rate = max_rate.max(1);
        Shaper {
            rate,
            tokens: i128::from(rate) * SCALE,
            last: Instant::now(),
        }
    }

    /// The configured rate in bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Takes `bytes` from the bucket at `now` and returns how long the reader must pause
    /// before reading again (zero when the bucket still covers them).
    pub fn update_at(&mut self, bytes: usize, now: Instant) -> Duration {
        let rate = i128::from(self.rate);
        let capacity = rate * SCALE;
        let elapsed_us = i128::try_from(now.saturating_duration_since(self.last).as_micros())
            .unwrap_or(i128::MAX);
        self.last = self.last.max(now);
        // rate bytes/s * elapsed µs = micro-tokens.
        self.tokens = self
            .tokens
            .saturating_add(elapsed_us.saturating_mul(rate))
            .min(capacity);
        let cost = i128::try_from(bytes)
            .unwrap_or(i128::MAX)
            .saturating_mul(SCALE);
        self.tokens = self.tokens.saturating_sub(cost);
        if self.tokens >= 0 {
            return Duration::ZERO;
        }
        // Debt in micro-tokens / rate = microseconds to refill it.
        let debt = self.tokens.saturating_neg();
        let us = (debt + rate - 1) / rate;
        Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    /// [`Shaper::update_at`] now.
    pub fn update(&mut self, bytes: usize) -> Duration {
        self.update_at(bytes, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_bucket_then_pauses_at_the_rate() {
        let mut s = Shaper::new(1000);
        let t0 = Instant::now();
        assert_eq!(s.update_at(1000, t0), Duration::ZERO);
        // Empty now: 500 more bytes cost half a second.
        assert_eq!(s.update_at(500, t0), Duration::from_millis(500));
        // After the pause the debt is paid; the next 1000 bytes cost a second.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(s.update_at(1000, t1), Duration::from_secs(1));
    }

    #[test]
    fn refill_is_capped_at_the_bucket_size() {
        let mut s = Shaper::new(100);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(s.update_at(100, later), Duration::ZERO);
        assert_eq!(s.update_at(100, later), Duration::from_secs(1));
    }

    #[test]
    fn huge_inputs_do_not_overflow() {
        let t0 = Instant::now();
        let mut s = Shaper::new(u64::MAX);
        assert_eq!(s.update_at(usize::MAX, t0), Duration::ZERO);
        let mut s = Shaper::new(1);
        let d = s.update_at(usize::MAX, t0);
        assert!(d > Duration::from_secs(1_000_000), "{d:?}");
        let d = s.update_at(usize::MAX, t0 + Duration::from_secs(u32::MAX.into()));
        assert!(d > Duration::ZERO);
        // Time going backwards is read as no time.
        let mut s = Shaper::new(10);
        let _ = s.update_at(10, t0 + Duration::from_secs(5));
        assert_eq!(s.update_at(10, t0), Duration::from_secs(1));
    }
}
