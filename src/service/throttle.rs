//! Throttling of password attempts. An attempt is *reserved* before its password is hashed
//! (check and count in one step, under one lock), so a burst of parallel requests cannot all
//! pass the check before the first failure is recorded.
//!
//! Keys and limits:
//! - **account and client address**: [`PAIR_FREE`] failures, then a growing delay (1 s,
//!   2 s, 4 s, … up to [`MAX_DELAY`]) before the next attempt from that address for that
//!   account is evaluated, one at a time;
//! - **client address** (any account): [`ADDRESS_FREE`] failures, then the same growing delay;
//! - **account** (any address): at most [`IN_FLIGHT_PER_ACCOUNT`] attempts are evaluated at
//!   once; up to [`WAITING_PER_ACCOUNT`] more wait their turn, the rest are refused.
//!
//! Why a growing delay keyed by address rather than a lockout of the account: a per-account
//! lockout hands everyone a button that locks the owner out (five wrong passwords for
//! `bob@…` from anywhere used to stop bob for 15 minutes). Here others' failures never count
//! against the owner's own address; a distributed guesser gets a few attempts per account per
//! address before the delay grows, the address limit caps its guesses across accounts, and
//! argon2id with a 12-character minimum makes each guess expensive. Failures are forgotten
//! [`WINDOW`] after the last one. The client address is the TCP peer, or `X-Forwarded-For`
//! from a trusted proxy (`GATEHOUSE_TRUSTED_PROXIES`). Kept in memory per instance.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Failures allowed per (account, address) before delays start.
pub const PAIR_FREE: u32 = 5;
/// Failures allowed per client address before delays start.
pub const ADDRESS_FREE: u32 = 20;
/// First delay once the free failures are used; doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures are forgotten this long after the last one.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts for one account evaluated at the same time.
pub const IN_FLIGHT_PER_ACCOUNT: usize = 2;
/// Attempts for one account waiting for their turn; more are refused at once.
pub const WAITING_PER_ACCOUNT: usize = 64;
/// How long an attempt waits for its turn before it is refused.
const TURN_WAIT: Duration = Duration::from_secs(5);
/// Entries kept before forgotten ones are swept.
const MAX_TRACKED: usize = 100_000;

/// Failures and reservations of one key.
#[derive(Debug, Default, Clone)]
struct Record {
    failures: u32,
    last_failure: Option<Instant>,
    in_flight: u32,
}

impl Record {
    fn forget_old(&mut self, now: Instant) {
        if self
            .last_failure
            .is_some_and(|t| now.duration_since(t) >= WINDOW)
        {
            self.failures = 0;
            self.last_failure = None;
        }
    }

    /// `Ok` when one more attempt may be evaluated now, `Err(wait)` otherwise.
    fn admits(&self, free: u32, now: Instant) -> Result<(), Duration> {
        if self.failures + self.in_flight < free {
            return Ok(());
        }
        let until = self.last_failure.map(|t| t + delay(self.failures, free));
        match until {
            // Past the free failures, attempts are evaluated one at a time after the delay.
            Some(until) if self.in_flight == 0 && now >= until => Ok(()),
            Some(until) => Err(until.saturating_duration_since(now).max(FIRST_DELAY)),
            None => Err(FIRST_DELAY),
        }
    }

    fn idle(&self) -> bool {
        self.in_flight == 0 && self.failures == 0
    }
}

/// The delay after `failures` failures of a key allowed `free` of them.
fn delay(failures: u32, free: u32) -> Duration {
    let beyond = failures.saturating_sub(free);
    FIRST_DELAY
        .saturating_mul(2u32.saturating_pow(beyond.min(20)))
        .min(MAX_DELAY)
}

#[derive(Default)]
struct State {
    pairs: HashMap<(String, Option<IpAddr>), Record>,
    addresses: HashMap<Option<IpAddr>, Record>,
}

struct Gate {
    permits: Arc<Semaphore>,
    waiting: usize,
}

/// Password-attempt throttle of one instance.
#[derive(Default)]
pub struct Throttle {
    state: Mutex<State>,
    gates: Mutex<HashMap<String, Gate>>,
}

/// A reserved attempt: say how it ended with [`Attempt::succeeded`] or [`Attempt::failed`].
/// Dropped without either (the client went away mid-hash) it counts as a failure, so
/// hanging up cannot be used to guess for free.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    account: String,
    address: Option<IpAddr>,
    settled: bool,
    _turn: OwnedSemaphorePermit,
}

/// How an attempt ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    /// Not evaluated after all (the database was unavailable): counts neither way.
    Abandoned,
}

impl Attempt<'_> {
    pub fn succeeded(mut self) {
        self.settle(Outcome::Succeeded);
    }

    pub fn failed(mut self) {
        self.settle(Outcome::Failed);
    }

    pub fn abandoned(mut self) {
        self.settle(Outcome::Abandoned);
    }

    fn settle(&mut self, outcome: Outcome) {
        if self.settled {
            return;
        }
        let failed = outcome == Outcome::Failed;
        self.settled = true;
        let now = Instant::now();
        let mut state = self.throttle.state.lock().expect("throttle lock");
        let key = (self.account.clone(), self.address);
        if let Some(pair) = state.pairs.get_mut(&key) {
            pair.in_flight = pair.in_flight.saturating_sub(1);
            if failed {
                pair.failures += 1;
                pair.last_failure = Some(now);
            } else if outcome == Outcome::Succeeded {
                // The owner got in: their address starts afresh for this account.
                pair.failures = 0;
                pair.last_failure = None;
            }
        }
        if let Some(address) = state.addresses.get_mut(&self.address) {
            address.in_flight = address.in_flight.saturating_sub(1);
            // A success does not clear the address: one valid account must not reset an
            // address that is guessing others.
            if failed {
                address.failures += 1;
                address.last_failure = Some(now);
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.settle(Outcome::Failed);
    }
}

impl Throttle {
    /// Reserves an attempt for `account` (its normalised email) from `address`, waiting for
    /// the account's turn if other attempts for it are being evaluated. `Err(wait)`: refused,
    /// try again after `wait` (for `Retry-After`).
    pub async fn reserve(
        &self,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<Attempt<'_>, Duration> {
        let turn = self.take_turn(account).await?;
        let now = Instant::now();
        let mut guard = self.state.lock().expect("throttle lock");
        let state = &mut *guard;
        if state.pairs.len() + state.addresses.len() > MAX_TRACKED {
            state.pairs.retain(|_, r| {
                r.forget_old(now);
                !r.idle()
            });
            state.addresses.retain(|_, r| {
                r.forget_old(now);
                !r.idle()
            });
        }
        let pair = state
            .pairs
            .entry((account.to_string(), address))
            .or_default();
        pair.forget_old(now);
        let by_address = state.addresses.entry(address).or_default();
        by_address.forget_old(now);
        pair.admits(PAIR_FREE, now)?;
        by_address.admits(ADDRESS_FREE, now)?;
        pair.in_flight += 1;
        by_address.in_flight += 1;
        Ok(Attempt {
            throttle: self,
            account: account.to_string(),
            address,
            settled: false,
            _turn: turn,
        })
    }

    /// Waits for one of the account's [`IN_FLIGHT_PER_ACCOUNT`] turns.
    async fn take_turn(&self, account: &str) -> Result<OwnedSemaphorePermit, Duration> {
        let permits = {
            let mut gates = self.gates.lock().expect("throttle lock");
            if gates.len() > MAX_TRACKED {
                gates.retain(|_, g| {
                    g.waiting > 0 || g.permits.available_permits() < IN_FLIGHT_PER_ACCOUNT
                });
            }
            let gate = gates.entry(account.to_string()).or_insert_with(|| Gate {
                permits: Arc::new(Semaphore::new(IN_FLIGHT_PER_ACCOUNT)),
                waiting: 0,
            });
            if let Ok(permit) = gate.permits.clone().try_acquire_owned() {
                return Ok(permit);
            }
            if gate.waiting >= WAITING_PER_ACCOUNT {
                return Err(FIRST_DELAY);
            }
            gate.waiting += 1;
            gate.permits.clone()
        };
        let outcome = tokio::time::timeout(TURN_WAIT, permits.acquire_owned()).await;
        if let Some(gate) = self.gates.lock().expect("throttle lock").get_mut(account) {
            gate.waiting = gate.waiting.saturating_sub(1);
        }
        match outcome {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(FIRST_DELAY),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[tokio::test]
    async fn free_failures_then_a_growing_delay_for_that_address_only() {
        let t = Throttle::default();
        let attacker = ip("203.0.113.7");
        for _ in 0..PAIR_FREE {
            t.reserve("bob@x", attacker).await.unwrap().failed();
        }
        let wait = t.reserve("bob@x", attacker).await.err().unwrap();
        assert!(wait <= FIRST_DELAY, "{wait:?}");
        // The owner, elsewhere, is not delayed by the attacker's failures.
        t.reserve("bob@x", ip("198.51.100.1"))
            .await
            .unwrap()
            .succeeded();
        // Nor is another account from the attacker's address (below the address limit).
        assert!(t.reserve("carol@x", attacker).await.is_ok());
    }

    #[tokio::test]
    async fn parallel_reservations_never_exceed_the_free_failures() {
        let t = Throttle::default();
        let mut held = Vec::new();
        let mut refused = 0;
        // Reservations are counted as they are made: the sixth is refused even though no
        // failure has been recorded yet. Turns are released by dropping, so hold none.
        for _ in 0..50 {
            match t.reserve("bob@x", None).await {
                Ok(attempt) => held.push(attempt),
                Err(_) => refused += 1,
            }
            if held.len() == IN_FLIGHT_PER_ACCOUNT {
                for a in held.drain(..) {
                    a.failed();
                }
            }
        }
        for a in held {
            a.failed();
        }
        assert_eq!(50 - refused, PAIR_FREE as usize);
    }

    #[tokio::test]
    async fn a_dropped_attempt_counts_as_a_failure() {
        let t = Throttle::default();
        for _ in 0..PAIR_FREE {
            drop(t.reserve("bob@x", None).await.unwrap());
        }
        assert!(t.reserve("bob@x", None).await.is_err());
    }

    #[tokio::test]
    async fn a_success_clears_the_owners_address_but_not_a_guessing_address() {
        let t = Throttle::default();
        let a = ip("203.0.113.9");
        for _ in 0..PAIR_FREE - 1 {
            t.reserve("bob@x", a).await.unwrap().failed();
        }
        t.reserve("bob@x", a).await.unwrap().succeeded();
        for _ in 0..PAIR_FREE {
            t.reserve("bob@x", a).await.unwrap().failed();
        }
        assert!(t.reserve("bob@x", a).await.is_err());
        // Across accounts, the address limit applies.
        let b = ip("203.0.113.10");
        for i in 0..ADDRESS_FREE {
            t.reserve(&format!("u{i}@x"), b).await.unwrap().failed();
        }
        assert!(t.reserve("fresh@x", b).await.is_err());
    }

    #[test]
    fn delays_grow_and_stop_at_the_ceiling() {
        assert_eq!(delay(5, 5), FIRST_DELAY);
        assert_eq!(delay(6, 5), FIRST_DELAY * 2);
        assert_eq!(delay(8, 5), FIRST_DELAY * 8);
        assert_eq!(delay(100, 5), MAX_DELAY);
    }

    #[tokio::test]
    async fn after_the_delay_one_attempt_at_a_time_is_evaluated() {
        let mut r = Record::default();
        let now = Instant::now();
        r.failures = PAIR_FREE;
        r.last_failure = Some(now);
        assert!(r.admits(PAIR_FREE, now).is_err());
        assert!(r.admits(PAIR_FREE, now + FIRST_DELAY).is_ok());
        r.in_flight = 1;
        assert!(r.admits(PAIR_FREE, now + FIRST_DELAY).is_err());
    }
}
