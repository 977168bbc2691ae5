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

/// A membership waiting for the person to accept it, as shown to that person.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct PendingMembership {
    pub membership_id: Uuid,
    pub workspace_slug: String,
    pub workspace_name: String,
    pub kind: String,
}

/// What the access API learns of a forwarded session: the member it is in the caller's
/// workspace, and how it signed in.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMember {
    pub membership_id: Uuid,
    pub method: SessionMethod,
    /// The workspace an SSO session signed in to.
    pub workspace_id: Option<Uuid>,
}

impl Store {
    /// The workspaces an account belongs to (memberships it accepted): (workspace id, slug,
    /// kind, active).
    pub async fn account_workspaces(
        &self,
        account_id: Uuid,
    ) -> Result<Vec<(Uuid, String, String, bool)>, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT w.id, w.slug, m.kind, m.active FROM memberships m \
                 JOIN workspaces w ON w.id = m.workspace_id WHERE m.account_id = $1 ORDER BY w.slug",
            )
            .bind(account_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Memberships that wait for the person with this email to accept them.
    pub async fn pending_memberships(
        &self,
        email: &str,
    ) -> Result<Vec<PendingMembership>, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT m.id AS membership_id, w.slug AS workspace_slug, w.name AS workspace_name, \
                 m.kind FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
                 WHERE m.email_key = $1 AND m.account_id IS NULL ORDER BY w.slug",
            )
            .bind(email.trim().to_lowercase())
            .fetch_all(pool)
            .await?
        }))
    }

    /// The account behind a membership (none while it waits for the person).
    pub async fn membership_account(
        &self,
        workspace_id: Uuid,
        membership_id: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Option<Uuid>,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT account_id FROM memberships WHERE id = $1 AND workspace_id = $2")
                .bind(membership_id)
                .bind(workspace_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(a,)| a))
    }

    /// The member of `workspace_id` behind a live session (not revoked, not expired, not idle
    /// for longer than `idle`), for the access API. Read-only: asking about a session never
    /// extends it, and a session of someone who is no member of this workspace is nobody.
    pub async fn session_member(
        &self,
        token_digest: &str,
        workspace_id: Uuid,
        idle: chrono::Duration,
    ) -> Result<Option<SessionMember>, StoreError> {
        let now = Utc::now();
        let row: Option<(Uuid, String, Option<Uuid>, DateTime<Utc>)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT m.id, s.method, s.workspace_id, s.last_seen_at FROM sessions s \
                 JOIN memberships m ON m.account_id = s.account_id AND m.workspace_id = $2 \
                 WHERE s.token_digest = $1 AND s.revoked_at IS NULL AND s.expires_at > $3",
            )
            .bind(token_digest)
            .bind(workspace_id)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row
            .filter(|(_, _, _, last_seen)| now - *last_seen <= idle)
            .map(|(membership_id, method, workspace_id, _)| SessionMember {
                membership_id,
                method: if method == "sso" {
                    SessionMethod::Sso
                } else {
                    SessionMethod::Password
                },
                workspace_id,
            }))
    }

    /// Ends every session of an account (its password changed: whoever held the old one is
    /// signed out everywhere). Returns how many ended.
    pub async fn revoke_account_sessions(&self, account_id: Uuid) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL")
                .bind(account_id)
                .bind(Utc::now())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

impl Store {
    /// The membership of an account in a workspace, if it has one (accepted).
    pub async fn account_membership(
        &self,
        workspace_id: Uuid,
        account_id: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Uuid,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM memberships WHERE workspace_id = $1 AND account_id = $2")
                .bind(workspace_id)
                .bind(account_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(id,)| id))
    }
}
