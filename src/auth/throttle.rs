//! Throttling of password attempts, per account and per client address: after too many
//! failures in a window the caller gets 429 with `Retry-After` until the window passes.
//! Kept in memory per instance (a restart forgives; several instances each count).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed per account within [`WINDOW`].
pub const ACCOUNT_LIMIT: usize = 5;
/// Failures allowed per client address within [`WINDOW`].
pub const ADDRESS_LIMIT: usize = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failures per key.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    /// `Some(wait)` when `key` has used up `limit` failures in the window.
    pub fn blocked(&self, key: &str, limit: usize) -> Option<Duration> {
        let mut failures = self.failures.lock().expect("throttle lock");
        let list = failures.get_mut(key)?;
        let now = Instant::now();
        list.retain(|t| now.duration_since(*t) < WINDOW);
        if list.len() >= limit {
            let oldest = list.first().copied()?;
            Some(WINDOW.saturating_sub(now.duration_since(oldest)))
        } else {
            None
        }
    }

    /// Counts a failure for `key`.
    pub fn fail(&self, key: &str) {
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() > 100_000 {
            // Bounded memory: forget everyone's old failures rather than grow without end.
            let now = Instant::now();
            failures.retain(|_, l| l.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        failures
            .entry(key.to_string())
            .or_default()
            .push(Instant::now());
    }

    /// Forgets `key`'s failures (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.failures.lock().expect("throttle lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_blocked_after_its_limit() {
        let t = Throttle::default();
        for _ in 0..ACCOUNT_LIMIT {
            assert!(t.blocked("a", ACCOUNT_LIMIT).is_none());
            t.fail("a");
        }
        assert!(t.blocked("a", ACCOUNT_LIMIT).is_some());
        assert!(t.blocked("b", ACCOUNT_LIMIT).is_none());
        t.clear("a");
        assert!(t.blocked("a", ACCOUNT_LIMIT).is_none());
    }
}
