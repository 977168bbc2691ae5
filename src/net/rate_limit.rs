//! A token bucket per key: per client address for the unauthenticated endpoints whose every
//! call costs real work (`/saml/*/login` stores a pending request, `/saml/*/acs` may verify a
//! signature), per workspace for tenant calls that reach outside (DNS lookups of domain
//! verification).
//! Each address may burst up to a tenth of a minute's allowance and then gets its per-minute
//! rate. Kept in memory per instance, with bounded size.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::client_addr::limit_key;

/// Addresses remembered before full (idle) buckets are forgotten.
const MAX_TRACKED: usize = 100_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Requests per minute per key (a client address unless said otherwise); `0` turns the limit
/// off.
pub struct RateLimiter<K = IpAddr> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl RateLimiter<IpAddr> {
    /// Takes one token for `ip`; `Err(wait)` when its bucket is empty.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        // No address (a test transport, a Unix socket): one shared bucket.
        self.take(ip.map(limit_key).unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute);
        Self {
            per_second: per_minute / 60.0,
            burst: (per_minute / 10.0).max(10.0_f64.min(per_minute)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(wait)` when its bucket is empty.
    pub fn take(&self, key: K) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing / self.per_second).max(Duration::from_secs(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits_while_others_are_unaffected() {
        let limiter = RateLimiter::per_minute(60);
        let a = Some("203.0.113.1".parse().unwrap());
        let b = Some("203.0.113.2".parse().unwrap());
        for _ in 0..10 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2));
        assert!(limiter.check(b).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::per_minute(0);
        for _ in 0..1000 {
            assert!(limiter.check(None).is_ok());
        }
    }

    #[test]
    fn addresses_inside_one_ipv6_64_share_a_bucket() {
        let limiter = RateLimiter::per_minute(10);
        for i in 0..10 {
            let ip = format!("2001:db8::{i:x}").parse().unwrap();
            assert!(limiter.check(Some(ip)).is_ok());
        }
        assert!(limiter
            .check(Some("2001:db8::ffff".parse().unwrap()))
            .is_err());
    }
}
