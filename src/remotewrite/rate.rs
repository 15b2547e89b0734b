//! The pace of a durable queue's sender (`-remoteWrite.maxRowsPerSecond`): a token bucket over samples, so that
//! the backlog piled up during an outage reaches the remote storage at a bounded rate instead of all at once.
//!
//! Pure: the caller passes the current instant and sleeps for the delay it gets back. The bucket holds one
//! second's worth of samples; a batch larger than what is left may still go, and the debt delays the next one.

use std::time::Duration;
use tokio::time::Instant;

/// A token bucket of samples per second.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    per_second: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl RateLimiter {
    /// `None` for 0 (no limit).
    pub fn new(rows_per_second: u64) -> Option<RateLimiter> {
        (rows_per_second > 0).then_some(RateLimiter {
            per_second: rows_per_second as f64,
            tokens: rows_per_second as f64,
            last: None,
        })
    }

    /// Takes `rows` tokens at `now`; returns how long to wait before sending them.
    pub fn reserve(&mut self, now: Instant, rows: u64) -> Duration {
        if let Some(last) = self.last {
            let refill = now.saturating_duration_since(last).as_secs_f64() * self.per_second;
            self.tokens = (self.tokens + refill).min(self.per_second);
        }
        self.last = Some(now);
        self.tokens -= rows as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // Capped so that a huge batch cannot make a Duration overflow.
            Duration::from_secs_f64((-self.tokens / self.per_second).min(86_400.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_limit() {
        assert!(RateLimiter::new(0).is_none());
    }

    #[test]
    fn a_backlog_drains_at_the_configured_rate() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(1000).unwrap();
        // One second's worth goes at once.
        assert_eq!(r.reserve(t0, 1000), Duration::ZERO);
        // Then each 500-row batch waits half a second more than the previous, as long as the sender keeps up.
        let mut now = t0;
        let mut sent_at = Vec::new();
        for _ in 0..4 {
            let wait = r.reserve(now, 500);
            now += wait;
            sent_at.push(now - t0);
        }
        assert_eq!(
            sent_at,
            vec![
                Duration::from_millis(500),
                Duration::from_millis(1000),
                Duration::from_millis(1500),
                Duration::from_millis(2000)
            ]
        );
    }

    #[test]
    fn idle_time_refills_at_most_one_second_worth() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(100).unwrap();
        assert_eq!(r.reserve(t0, 100), Duration::ZERO);
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(r.reserve(later, 100), Duration::ZERO);
        assert_eq!(r.reserve(later, 50), Duration::from_millis(500));
    }
}
