//! Sessions (only digests of the session token and its CSRF token are stored) and password
//! hashes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{with_pool, Store, StoreError};
use crate::domain::sso::{Session, SessionMethod};

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    account_id: Uuid,
    email: String,
    method: String,
    workspace_id: Option<Uuid>,
    csrf_digest: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Store {
    /// Starts a session; only the digests of its token and CSRF token are stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        id: Uuid,
        token_digest: &str,
        csrf_digest: &str,
        account_id: Uuid,
        method: SessionMethod,
        workspace_id: Option<Uuid>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id, token_digest, account_id, method, workspace_id, csrf_digest, \
                 created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
            )
            .bind(id)
            .bind(token_digest)
            .bind(account_id)
            .bind(method.as_str())
            .bind(workspace_id)
            .bind(csrf_digest)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The live session with this token digest (not revoked, not expired, not idle for longer
    /// than `idle`), touching `last_seen_at`; with the CSRF digest.
    pub async fn live_session(
        &self,
        token_digest: &str,
        idle: chrono::Duration,
    ) -> Result<Option<(Session, String)>, StoreError> {
        let now = Utc::now();
        let row: Option<SessionRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.id, s.account_id, a.email, s.method, s.workspace_id, s.csrf_digest, \
                 s.created_at, s.last_seen_at, s.expires_at FROM sessions s \
                 JOIN accounts a ON a.id = s.account_id \
                 WHERE s.token_digest = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
            )
            .bind(token_digest)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row.filter(|r| now - r.last_seen_at <= idle) else {
            return Ok(None);
        };
        if now - row.last_seen_at > chrono::Duration::seconds(30) {
            with_pool!(self, pool => {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
                    .bind(row.id)
                    .bind(now)
                    .execute(pool)
                    .await?;
            });
        }
        let method = if row.method == "sso" {
            SessionMethod::Sso
        } else {
            SessionMethod::Password
        };
        Ok(Some((
            Session {
                id: row.id,
                account_id: row.account_id,
                email: row.email,
                method,
                workspace_id: row.workspace_id,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                expires_at: row.expires_at,
            },
            row.csrf_digest,
        )))
    }

    /// Ends one session (logout).
    pub async fn revoke_session(&self, id: Uuid) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(Utc::now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The account with this email and its password hash, if any.
    pub async fn account_password(
        &self,
        email: &str,
    ) -> Result<Option<(Uuid, Option<String>)>, StoreError> {
        let row: Option<(Uuid, Option<String>)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, password_hash FROM accounts WHERE email_key = $1")
                .bind(email.trim().to_lowercase())
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }

    /// Sets an account's password hash.
    pub async fn set_password_hash(&self, account_id: Uuid, hash: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
                .bind(account_id)
                .bind(hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
