//! The reconnect policy: exponential backoff with full jitter, capped, reset once a connection has
//! stayed up for a while (so a flapping server does not get hammered, and a one-off drop retries fast).

pub const BASE_MS: u64 = 500;
pub const CAP_MS: u64 = 30_000;
/// A connection that lived this long counts as stable.
pub const STABLE_MS: u64 = 10_000;

#[derive(Debug, Default, Clone)]
pub struct Backoff {
    attempt: u32,
    up_since: Option<u64>,
}

impl Backoff {
    /// The delay before the next attempt. `random` is uniform over `u32`; full jitter picks
    /// anywhere in `[0, min(cap, base * 2^attempt)]`.
    pub fn next_delay(&mut self, now: u64, random: u32) -> u64 {
        if self
            .up_since
            .take()
            .is_some_and(|t| now.saturating_sub(t) >= STABLE_MS)
        {
            self.attempt = 0;
        }
        let ceiling = BASE_MS
            .saturating_mul(1 << self.attempt.min(16))
            .min(CAP_MS);
        self.attempt = self.attempt.saturating_add(1);
        ceiling * u64::from(random) / u64::from(u32::MAX)
    }

    pub fn connected(&mut self, now: u64) {
        self.up_since = Some(now);
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_full_jitter_bounds_and_caps() {
        let mut b = Backoff::default();
        let highs: Vec<u64> = (0..10).map(|_| b.next_delay(0, u32::MAX)).collect();
        assert_eq!(highs[..7], [500, 1000, 2000, 4000, 8000, 16000, 30000]);
        assert!(highs[7..].iter().all(|&d| d == CAP_MS));
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(0, 0), 0, "full jitter reaches zero");
        assert!(b.next_delay(0, u32::MAX / 2) <= 1000);
    }

    #[test]
    fn resets_only_after_a_stable_connection() {
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.next_delay(0, 1);
        }
        b.connected(100);
        b.next_delay(100 + STABLE_MS - 1, 1);
        assert_eq!(b.attempt(), 6, "a short-lived connection does not reset");
        b.connected(50_000);
        assert_eq!(b.next_delay(50_000 + STABLE_MS, u32::MAX), BASE_MS);
    }
}
