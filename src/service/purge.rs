//! The purge task: every [`INTERVAL`], removes expired pending SAML requests, ended sessions
//! stale replay-cache rows and activity-log entries past their retention, [`BATCH`] rows per statement, until a batch comes back short.
//! Without it each unauthenticated `GET /saml/{slug}/login` would leave a row forever. Every
//! instance runs it; the deletes are idempotent, so several instances only share the work.

use std::time::Duration;

use chrono::Utc;

use crate::storage::{
    purge::{PurgeAges, PurgeTarget},
    Store, StoreError,
};

/// Rows per delete statement.
pub const BATCH: i64 = 1_000;
/// Time between purges.
pub const INTERVAL: Duration = Duration::from_secs(5 * 60);
/// At most this many batches per table and purge, so one purge cannot run for ever.
const MAX_BATCHES: u32 = 1_000;

/// Rows removed per table by one purge.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub saml_requests: u64,
    pub sessions: u64,
    pub replay_cache: u64,
    pub activity_log: u64,
}

/// One purge of every table, `batch` rows per statement.
pub async fn purge_once(store: &Store, ages: PurgeAges, batch: i64) -> Result<Purged, StoreError> {
    let mut purged = Purged::default();
    for target in PurgeTarget::ALL {
        let mut total = 0;
        for _ in 0..MAX_BATCHES {
            let deleted = store.purge_expired(target, Utc::now(), ages, batch).await?;
            total += deleted;
            if deleted < batch as u64 {
                break;
            }
            // Let other writers in between batches.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        match target {
            PurgeTarget::SamlRequests => purged.saml_requests = total,
            PurgeTarget::Sessions => purged.sessions = total,
            PurgeTarget::ReplayCache => purged.replay_cache = total,
            PurgeTarget::ActivityLog => purged.activity_log = total,
        }
    }
    Ok(purged)
}

/// Purges every [`INTERVAL`] until the process ends.
pub fn spawn_purger(store: Store, ages: PurgeAges) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match purge_once(&store, ages, BATCH).await {
                Ok(purged) => tracing::debug!(?purged, "expired rows purged"),
                Err(err) => tracing::warn!(error = %err, "purging expired rows failed"),
            }
        }
    })
}
