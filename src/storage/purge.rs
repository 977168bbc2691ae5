//! Removing rows nobody will read again: pending SAML requests past their expiry, sessions
//! that ended (expired, idle too long or revoked), and replay-cache entries whose assertion can
//! no longer be valid. Each statement deletes at most one batch, so a large backlog never
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
}

impl PurgeTarget {
    pub const ALL: [PurgeTarget; 3] = [Self::SamlRequests, Self::Sessions, Self::ReplayCache];

    pub fn table(self) -> &'static str {
        match self {
            Self::SamlRequests => "saml_requests",
            Self::Sessions => "sessions",
            Self::ReplayCache => "saml_replay_cache",
        }
    }
}

impl Store {
    /// Deletes up to `batch` rows of `target` that are dead at `now` (`idle` is the session
    /// idle timeout); answers how many went.
    pub async fn purge_expired(
        &self,
        target: PurgeTarget,
        now: DateTime<Utc>,
        idle: Duration,
        batch: i64,
    ) -> Result<u64, StoreError> {
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
