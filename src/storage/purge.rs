//! Removing rows nobody will read again: pending SAML requests past their expiry, sessions
//! that ended (expired, idle too long or revoked), replay-cache entries whose assertion can
//! no longer be valid, and activity-log entries older than the retention. Each statement deletes at most one batch, so a large backlog never
//! holds locks for long; the purge task (`service/purge.rs`) repeats until a batch comes back
//! short.

use chrono::{DateTime, Duration, Utc};

use super::{with_pool, Store, StoreError};

/// Which table a purge statement cleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeTarget {
    SamlRequests,
    Sessions,
    ReplayCache,
    ActivityLog,
}

/// How old rows may grow before they go.
#[derive(Debug, Clone, Copy)]
pub struct PurgeAges {
    /// The session idle timeout.
    pub session_idle: Duration,
    /// How long the SCIM request log and sign-in log keep an entry.
    pub activity_log: Duration,
}

impl PurgeTarget {
    pub const ALL: [PurgeTarget; 4] = [
        Self::SamlRequests,
        Self::Sessions,
        Self::ReplayCache,
        Self::ActivityLog,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Self::SamlRequests => "saml_requests",
            Self::Sessions => "sessions",
            Self::ReplayCache => "saml_replay_cache",
            Self::ActivityLog => "activity_log",
        }
    }
}

impl Store {
    /// Deletes up to `batch` rows of `target` that are dead at `now`; answers how many went.
    pub async fn purge_expired(
        &self,
        target: PurgeTarget,
        now: DateTime<Utc>,
        ages: PurgeAges,
        batch: i64,
    ) -> Result<u64, StoreError> {
        let idle = ages.session_idle;
        // Keys picked by a LIMITed subquery: the same SQL on both backends.
        let deleted = match target {
            PurgeTarget::Sessions => with_pool!(self, pool => {
                sqlx::query(
                    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
                     WHERE expires_at < $1 OR last_seen_at < $2 OR revoked_at IS NOT NULL LIMIT $3)",
                )
                .bind(now)
                .bind(now - idle)
                .bind(batch)
                .execute(pool)
                .await?
                .rows_affected()
            }),
            PurgeTarget::ActivityLog => with_pool!(self, pool => {
                sqlx::query(
                    "DELETE FROM activity_log WHERE id IN \
                     (SELECT id FROM activity_log WHERE at < $1 LIMIT $2)",
                )
                .bind(now - ages.activity_log)
                .bind(batch)
                .execute(pool)
                .await?
                .rows_affected()
            }),
            PurgeTarget::SamlRequests | PurgeTarget::ReplayCache => {
                let sql = if target == PurgeTarget::SamlRequests {
                    "DELETE FROM saml_requests WHERE id IN \
                     (SELECT id FROM saml_requests WHERE expires_at < $1 LIMIT $2)"
                } else {
                    "DELETE FROM saml_replay_cache WHERE (connection_id, assertion_id) IN \
                     (SELECT connection_id, assertion_id FROM saml_replay_cache WHERE expires_at < $1 LIMIT $2)"
                };
                with_pool!(self, pool => {
                    sqlx::query(sql).bind(now).bind(batch).execute(pool).await?.rows_affected()
                })
            }
        };
        Ok(deleted)
    }
}
