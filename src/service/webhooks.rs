//! Webhooks: every change of a workspace, delivered at least once, in revision order, to each
//! of its webhooks. The change feed is the transactional outbox (written in the transaction
//! of the change itself), and a webhook's cursor only moves after the receiver answered 2xx,
//! so a restart resumes where delivery stopped and loses nothing. One instance at a time
//! holds a webhook's lease, which keeps deliveries in order when several instances run.
//!
//! Each POST carries up to [`BATCH`] events and a `Gatehouse-Signature: t=<unix>,v1=<hex>`
//! header: HMAC-SHA256 of `"<t>.<body>"` with the webhook's secret. Failures are retried with
//! exponential backoff ([`RETRY_BASE`] doubling up to [`RETRY_MAX`]); after [`MAX_ATTEMPTS`]
//! the batch goes to the dead-letter list and delivery moves on.
//!
//! Webhooks are isolated from each other: each delivers in its own task, and a retry is a
//! time in its [`Schedule`], not a sleep inside a shared round, so a slow or dead receiver
//! delays only its own deliveries. After [`BREAKER_THRESHOLD`] dead-lettered batches in a row
//! the webhook's circuit opens for [`BREAKER_PAUSE`] (changes wait in the feed meanwhile).
//! Receivers are reached through the outbound guard (public addresses only, no redirects),
//! and dead letters record a generic error (the detail is logged).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use super::keyed_tasks::KeyedTasks;
use crate::{
    domain::bridge::{DeadLetter, Webhook},
    net::outbound::{Outbound, Purpose},
    storage::{Store, StoreError},
};

/// Events per delivery.
pub const BATCH: i64 = 100;
/// Attempts before a batch is dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;
/// First retry delay; doubles each attempt.
pub const RETRY_BASE: Duration = Duration::from_millis(250);
/// Longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(30);
/// Time a receiver has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Dead-lettered batches in a row that open a webhook's circuit.
pub const BREAKER_THRESHOLD: u32 = 3;
/// How long an open circuit pauses a webhook.
pub const BREAKER_PAUSE: Duration = Duration::from_secs(5 * 60);
/// How long a lease lasts (renewed before every batch).
const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How often the dispatcher looks for undelivered changes.
const TICK: Duration = Duration::from_millis(200);
/// Batches one delivery task sends before it yields to the next tick.
const BATCHES_PER_TASK: usize = 20;

/// The signature header value for `body` at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn backoff(attempt: u32) -> Duration {
    RETRY_BASE
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(RETRY_MAX)
}

/// When a webhook may be tried next, and how its current batch has fared (per instance).
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Failed attempts of the batch being delivered.
    attempts: u32,
    /// Dead-lettered batches in a row.
    dead_in_a_row: u32,
    not_before: Option<Instant>,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try the same batch again after this long.
    Retry(Duration),
    /// Give up on the batch (`attempts` were made); the next batch starts after the pause,
    /// if any (an open circuit).
    DeadLetter {
        attempts: u32,
        pause: Option<Duration>,
    },
}

impl Schedule {
    pub fn ready(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|t| now >= t)
    }

    pub fn succeeded(&mut self) {
        *self = Self::default();
    }

    pub fn failed(&mut self, now: Instant) -> AfterFailure {
        self.attempts += 1;
        if self.attempts < MAX_ATTEMPTS {
            let wait = backoff(self.attempts - 1);
            self.not_before = Some(now + wait);
            return AfterFailure::Retry(wait);
        }
        let attempts = self.attempts;
        self.attempts = 0;
        self.dead_in_a_row += 1;
        let pause = (self.dead_in_a_row >= BREAKER_THRESHOLD).then_some(BREAKER_PAUSE);
        self.not_before = pause.map(|p| now + p);
        AfterFailure::DeadLetter { attempts, pause }
    }
}

/// Delivers webhooks for this process.
pub struct Dispatcher {
    store: Store,
    outbound: Outbound,
    /// This instance's lease name.
    owner: String,
    schedules: Mutex<HashMap<Uuid, Schedule>>,
}

impl Dispatcher {
    pub fn new(store: Store, outbound: Outbound) -> Arc<Self> {
        Arc::new(Self {
            store,
            outbound,
            owner: Uuid::new_v4().to_string(),
            schedules: Mutex::new(HashMap::new()),
        })
    }

    /// Delivers until the task is aborted (at shutdown). Each webhook's deliveries run in a
    /// task of their own, aborted with this one. Cancelling mid-delivery is safe: the cursor
    /// has not moved, so the batch is sent again (at least once).
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut running = KeyedTasks::default();
            loop {
                if let Err(err) = this.tick(&mut running).await {
                    tracing::warn!(error = %err, "webhook dispatch failed");
                }
                tokio::time::sleep(TICK).await;
            }
        })
    }

    /// Starts a delivery task for every webhook that is behind, not already being delivered
    /// by this instance, and not waiting for a retry or an open circuit.
    async fn tick(self: &Arc<Self>, running: &mut KeyedTasks<Uuid>) -> Result<(), StoreError> {
        running.reap();
        let now = Instant::now();
        for webhook in self.store.webhooks_behind().await? {
            if running.is_running(&webhook.id) {
                continue;
            }
            let ready = self
                .schedules
                .lock()
                .expect("schedule lock")
                .get(&webhook.id)
                .is_none_or(|s| s.ready(now));
            if !ready {
                continue;
            }
            let this = self.clone();
            let id = webhook.id;
            running.start(id, async move {
                if let Err(err) = this.deliver(webhook).await {
                    tracing::warn!(webhook.id = %id, error = %err, "webhook delivery stopped");
                }
            });
        }
        Ok(())
    }

    fn schedule<R>(&self, id: Uuid, f: impl FnOnce(&mut Schedule) -> R) -> R {
        f(self
            .schedules
            .lock()
            .expect("schedule lock")
            .entry(id)
            .or_default())
    }

    /// Delivers batches of one webhook until it is caught up, an attempt fails (the retry is
    /// scheduled), or [`BATCHES_PER_TASK`] were sent.
    async fn deliver(&self, webhook: Webhook) -> Result<(), StoreError> {
        let mut cursor = webhook.cursor_revision;
        for _ in 0..BATCHES_PER_TASK {
            if !self
                .store
                .lease_webhook(webhook.id, &self.owner, LEASE)
                .await?
            {
                return Ok(()); // another instance delivers it
            }
            let events = self
                .store
                .changes_after(webhook.workspace_id, cursor, BATCH)
                .await?;
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                return Ok(());
            };
            let (from, to) = (first.revision, last.revision);
            let body = json!({
                "webhook_id": webhook.id,
                "workspace_id": webhook.workspace_id,
                "events": events,
            })
            .to_string();
            match self.post(&webhook, from, to, &body).await {
                Ok(()) => {
                    self.schedule(webhook.id, Schedule::succeeded);
                    self.store.advance_webhook(webhook.id, to).await?;
                }
                Err(error) => match self.schedule(webhook.id, |s| s.failed(Instant::now())) {
                    AfterFailure::Retry(wait) => {
                        tracing::info!(webhook.id = %webhook.id, from, to, error = %error, retry_in_ms = wait.as_millis() as u64, "webhook delivery failed; retry scheduled");
                        // Keep the lease through the wait, so no other instance takes over.
                        let hold = LEASE + chrono::Duration::from_std(wait).unwrap_or(LEASE);
                        self.store
                            .lease_webhook(webhook.id, &self.owner, hold)
                            .await?;
                        return Ok(());
                    }
                    AfterFailure::DeadLetter { attempts, pause } => {
                        tracing::warn!(webhook.id = %webhook.id, from, to, error = %error, circuit_open = pause.is_some(), "webhook batch dead-lettered");
                        self.store
                            .dead_letter(&DeadLetter {
                                id: Uuid::now_v7(),
                                webhook_id: webhook.id,
                                from_revision: from,
                                to_revision: to,
                                attempts: attempts as i32,
                                last_error: crate::net::outbound::OutboundError::failed("")
                                    .public_message(Purpose::Webhook),
                                failed_at: Utc::now(),
                            })
                            .await?;
                        if pause.is_some() {
                            return Ok(());
                        }
                    }
                },
            }
            cursor = to;
        }
        Ok(())
    }

    /// One POST, signed the Standard Webhooks way (and with the old header for one release);
    /// the error is the detail for the log.
    async fn post(&self, webhook: &Webhook, from: i64, to: i64, body: &str) -> Result<(), String> {
        let now = Utc::now();
        let message_id = super::webhook_signature::message_id(webhook.id, from, to);
        let signatures = super::webhook_signature::headers(
            &webhook.signing_secrets(now),
            &message_id,
            now.timestamp(),
            body,
        );
        let mut request = self
            .outbound
            .request(
                reqwest::Method::POST,
                &webhook.url,
                Purpose::Webhook,
                DELIVERY_TIMEOUT,
            )
            .map_err(|e| e.detail)?
            .header("content-type", "application/json");
        for (name, value) in signatures {
            request = request.header(name, value);
        }
        let request = request
            .header("Gatehouse-Webhook", webhook.id.to_string())
            .body(body.to_string());
        self.outbound
            .send(request)
            .await
            .map(|_| ())
            .map_err(|e| e.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_over_timestamp_and_body() {
        let sig = signature("secret", 1_700_000_000, "{}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, signature("other", 1_700_000_000, "{}"));
    }

    #[test]
    fn retries_are_scheduled_then_the_batch_is_dead_lettered_and_the_circuit_opens() {
        let mut s = Schedule::default();
        let now = Instant::now();
        assert!(s.ready(now));
        for attempt in 0..MAX_ATTEMPTS - 1 {
            assert_eq!(s.failed(now), AfterFailure::Retry(backoff(attempt)));
            assert!(!s.ready(now));
            assert!(s.ready(now + backoff(attempt)));
        }
        let dead = s.failed(now);
        assert_eq!(
            dead,
            AfterFailure::DeadLetter {
                attempts: MAX_ATTEMPTS,
                pause: None
            }
        );
        assert!(s.ready(now), "the next batch starts at once");
        for _ in 1..BREAKER_THRESHOLD {
            for _ in 0..MAX_ATTEMPTS - 1 {
                s.failed(now);
            }
            let last = s.failed(now);
            assert!(matches!(last, AfterFailure::DeadLetter { .. }));
        }
        assert!(!s.ready(now + BREAKER_PAUSE / 2), "the circuit is open");
        assert!(s.ready(now + BREAKER_PAUSE));
        s.succeeded();
        assert!(s.ready(now));
        assert_eq!(
            s.failed(now),
            AfterFailure::Retry(RETRY_BASE),
            "a success closes it"
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff(0), RETRY_BASE);
        assert_eq!(backoff(1), RETRY_BASE * 2);
        assert_eq!(backoff(20), RETRY_MAX);
    }
}
