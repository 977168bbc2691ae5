//! Pending SP-initiated AuthnRequests (single use, bound to the browser that started them,
//! their RelayState scoped to the workspace) and the assertion replay cache (in the database,
//! so every instance refuses a replay). Expired rows go with the purge task (`purge.rs`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{in_transaction, with_pool, Store, StoreError};

/// A pending SP-initiated login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLogin {
    pub id: String,
    pub workspace_id: Uuid,
    pub connection_id: Uuid,
    pub return_to: String,
    /// Digest of the browser-binding cookie the login was started with (the ACS requires the
    /// same browser to bring the answer back).
    pub browser_digest: Option<String>,
}

impl Store {
    /// Remembers an AuthnRequest until it is answered or expires.
    pub async fn save_pending_login(
        &self,
        login: &PendingLogin,
        relay_state: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO saml_requests (id, workspace_id, connection_id, relay_state, return_to, \
                 created_at, expires_at, browser_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&login.id)
            .bind(login.workspace_id)
            .bind(login.connection_id)
            .bind(relay_state)
            .bind(&login.return_to)
            .bind(Utc::now())
            .bind(expires_at)
            .bind(login.browser_digest.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The open (unused, unexpired) AuthnRequest with this id in the workspace.
    pub async fn pending_login(
        &self,
        workspace_id: Uuid,
        id: &str,
    ) -> Result<Option<PendingLogin>, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, workspace_id, connection_id, return_to, browser_digest FROM saml_requests \
                 WHERE id = $1 AND workspace_id = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Marks the AuthnRequest used; false if someone already used it (single use).
    pub async fn consume_pending_login(&self, id: &str) -> Result<bool, StoreError> {
        let changed = with_pool!(self, pool => {
            sqlx::query("UPDATE saml_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                .bind(id)
                .bind(Utc::now())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Takes the return path remembered under a RelayState of this workspace's open
    /// AuthnRequests (an IdP that answers IdP-initiated but echoes our RelayState). Single
    /// use: the request is marked used, so neither it nor its RelayState works again.
    pub async fn take_relay_state(
        &self,
        workspace_id: Uuid,
        relay_state: &str,
    ) -> Result<Option<String>, StoreError> {
        let now = Utc::now();
        in_transaction!(self, tx => {
            let row: Option<(String, String)> = sqlx::query_as(
                "SELECT id, return_to FROM saml_requests WHERE relay_state = $1 AND workspace_id = $2 \
                 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(relay_state)
            .bind(workspace_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, return_to)) = row else {
                return Ok(None);
            };
            let taken = sqlx::query("UPDATE saml_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            Ok::<_, StoreError>((taken == 1).then_some(return_to))
        })
    }

    /// Records an assertion id; false when it was seen before (a replay). Expired entries
    /// are removed by the purge task ([`Store::purge_expired`]), not on this hot path.
    pub async fn remember_assertion(
        &self,
        connection_id: Uuid,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO saml_replay_cache (connection_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (connection_id, assertion_id) DO NOTHING",
            )
            .bind(connection_id)
            .bind(assertion_id)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }
}
