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

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::{
    domain::bridge::{DeadLetter, Webhook},
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
/// How long a lease lasts (renewed before every batch).
const LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How often the dispatcher looks for undelivered changes.
const TICK: Duration = Duration::from_millis(200);

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

/// Delivers webhooks for this process.
pub struct Dispatcher {
    store: Store,
    client: reqwest::Client,
    /// This instance's lease name.
    owner: String,
}

impl Dispatcher {
    pub fn new(store: Store) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Arc::new(Self {
            store,
            client,
            owner: Uuid::new_v4().to_string(),
        })
    }

    /// Delivers until the task is aborted (at shutdown). Cancelling mid-delivery is safe: the
    /// cursor has not moved, so the batch is sent again (at least once).
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(err) = this.round().await {
                    tracing::warn!(error = %err, "webhook round failed");
                }
                tokio::time::sleep(TICK).await;
            }
        })
    }

    /// One round: every webhook with undelivered changes that this instance can lease.
    pub async fn round(&self) -> Result<(), StoreError> {
        let webhooks = self.store.webhooks(None).await?;
        let mut work = Vec::new();
        for webhook in webhooks {
            if self
                .store
                .lease_webhook(webhook.id, &self.owner, LEASE)
                .await?
            {
                work.push(self.deliver(webhook));
            }
        }
        for outcome in futures_util::future::join_all(work).await {
            outcome?;
        }
        Ok(())
    }

    async fn deliver(&self, webhook: Webhook) -> Result<(), StoreError> {
        let mut cursor = webhook.cursor_revision;
        loop {
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
            let mut attempt = 0;
            let outcome = loop {
                match self.post(&webhook, from, to, &body).await {
                    Ok(()) => break Ok(()),
                    Err(error) if attempt + 1 >= MAX_ATTEMPTS => break Err(error),
                    Err(error) => {
                        tracing::info!(webhook.id = %webhook.id, attempt, error = %error, "webhook delivery failed; retrying");
                        let wait = backoff(attempt);
                        // Keep the lease through the wait, so no other instance takes over.
                        let hold = LEASE + chrono::Duration::from_std(wait).unwrap_or(LEASE);
                        self.store
                            .lease_webhook(webhook.id, &self.owner, hold)
                            .await?;
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                }
            };
            match outcome {
                Ok(()) => self.store.advance_webhook(webhook.id, to).await?,
                Err(error) => {
                    tracing::warn!(webhook.id = %webhook.id, from, to, error = %error, "webhook batch dead-lettered");
                    self.store
                        .dead_letter(&DeadLetter {
                            id: Uuid::now_v7(),
                            webhook_id: webhook.id,
                            from_revision: from,
                            to_revision: to,
                            attempts: (attempt + 1) as i32,
                            last_error: error,
                            failed_at: Utc::now(),
                        })
                        .await?
                }
            }
            cursor = to;
        }
    }

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
            .client
            .post(&webhook.url)
            .header("content-type", "application/json");
        for (name, value) in signatures {
            request = request.header(name, value);
        }
        let response = request
            .header("Gatehouse-Webhook", webhook.id.to_string())
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    e.to_string()
                }
            })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", response.status()))
        }
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
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff(0), RETRY_BASE);
        assert_eq!(backoff(1), RETRY_BASE * 2);
        assert_eq!(backoff(20), RETRY_MAX);
    }
}
