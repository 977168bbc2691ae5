//! API tokens: issue (secret returned once, digest stored), list, revoke, rotate (the old
//! token expires after an overlap), authenticate.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::domain::{
    token::{digest, digest_matches},
    Actor, ApiToken, IssuedToken, NewAuditEntry, RotatedToken, TokenKind, TokenSecret,
};

/// How stale `last_used_at` may get before a request refreshes it; keeps authentication
/// from writing to the database on every request.
const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

const TOKEN_SELECT: &str = "SELECT t.id, t.workspace_id, w.slug AS workspace_slug, t.kind, \
    t.prefix, t.secret_digest, t.created_at, t.last_used_at, t.revoked_at, t.expires_at \
    FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id";

#[derive(Clone, sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: Uuid,
    workspace_id: Uuid,
    workspace_slug: String,
    kind: String,
    prefix: String,
    secret_digest: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: self.id,
            workspace_id: self.workspace_id,
            workspace_slug: self.workspace_slug,
            kind: self.kind.parse().map_err(StoreError::Invalid)?,
            prefix: self.prefix,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            expires_at: self.expires_at,
        })
    }
}

/// Why a presented bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// No token has this secret.
    Unknown,
    /// The token existed but was revoked.
    Revoked,
    /// The token was rotated and its overlap has ended.
    Expired,
    /// The token is of another kind (a SCIM token on the admin API, say).
    WrongKind,
}

impl Store {
    /// Issues a token for the workspace; the secret is in the result and nowhere else.
    pub async fn create_token(
        &self,
        workspace_slug: &str,
        kind: TokenKind,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<IssuedToken, StoreError> {
        let workspace = self
            .workspace_by_slug(workspace_slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workspace {workspace_slug:?}")))?;
        let secret = TokenSecret::generate(kind);
        let token = ApiToken {
            id: Uuid::now_v7(),
            workspace_id: workspace.id,
            workspace_slug: workspace.slug,
            kind,
            prefix: secret.prefix,
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
            expires_at: None,
        };
        let audit = NewAuditEntry::new(
            token.workspace_id,
            actor,
            "token.create",
            format!("token:{}", token.id),
            request_id,
        )
        .after(Some(serde_json::to_value(&token).unwrap_or_default()));
        const SQL: &str = "INSERT INTO api_tokens \
            (id, workspace_id, kind, prefix, secret_digest, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6)";
        in_transaction!(self, tx => {
            sqlx::query(SQL)
                .bind(token.id)
                .bind(token.workspace_id)
                .bind(kind.as_str())
                .bind(&token.prefix)
                .bind(&secret.digest)
                .bind(token.created_at)
                .execute(&mut *tx)
                .await?;
            append_audit!(&mut *tx, &audit)?;
        });
        Ok(IssuedToken {
            token,
            secret: secret.secret,
        })
    }

    /// Tokens of one workspace (or of all), newest first.
    pub async fn list_tokens(
        &self,
        workspace_slug: Option<&str>,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "{TOKEN_SELECT} WHERE ($1 IS NULL OR w.slug = $1) ORDER BY t.created_at DESC, t.id"
        );
        let rows: Vec<TokenRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_slug).fetch_all(pool).await?
        });
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    /// Revokes a token (idempotent: revoking a revoked token keeps its first revocation time).
    pub async fn revoke_token(
        &self,
        id: Uuid,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<ApiToken, StoreError> {
        let select = format!("{TOKEN_SELECT} WHERE t.id = $1");
        const UPDATE: &str =
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let row: TokenRow = in_transaction!(self, tx => {
            let before: TokenRow = sqlx::query_as(&select)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            if before.revoked_at.is_none() {
                sqlx::query(UPDATE).bind(id).bind(Utc::now()).execute(&mut *tx).await?;
                let audit = NewAuditEntry::new(before.workspace_id, actor, "token.revoke", format!("token:{id}"), request_id);
                append_audit!(&mut *tx, &audit)?;
            }
            sqlx::query_as(&select).bind(id).fetch_one(&mut *tx).await?
        });
        self.caches.tokens.clear();
        row.into_token()
    }

    /// Rotates a token: issues a new one of the same workspace and kind and makes the old one
    /// expire `overlap` from now (at once for zero), so clients can switch without downtime.
    /// A revoked or already expired token cannot be rotated; rotating a token again during
    /// its overlap issues another token and never pushes the old one's expiry later.
    pub async fn rotate_token(
        &self,
        id: Uuid,
        overlap: Duration,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<RotatedToken, StoreError> {
        if overlap < Duration::zero() {
            return Err(StoreError::Invalid("the overlap cannot be negative".into()));
        }
        let select = format!("{TOKEN_SELECT} WHERE t.id = $1");
        // A no-op update takes the row lock (PostgreSQL), so concurrent rotations queue.
        const LOCK: &str = "UPDATE api_tokens SET revoked_at = revoked_at WHERE id = $1";
        const EXPIRE: &str = "UPDATE api_tokens SET expires_at = $2 WHERE id = $1";
        const INSERT: &str = "INSERT INTO api_tokens \
            (id, workspace_id, kind, prefix, secret_digest, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6)";
        let now = Utc::now();
        let (issued, old): (IssuedToken, TokenRow) = in_transaction!(self, tx => {
            sqlx::query(LOCK).bind(id).execute(&mut *tx).await?;
            let before: TokenRow = sqlx::query_as(&select)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            let before = before.into_token()?;
            if before.revoked_at.is_some() {
                return Err(StoreError::Conflict(format!(
                    "token {id} is revoked and cannot be rotated; create a new token instead"
                )));
            }
            if before.is_expired_at(now) {
                return Err(StoreError::Conflict(format!(
                    "token {id} has expired and cannot be rotated; create a new token instead"
                )));
            }
            let expires_at = match before.expires_at {
                Some(at) if at < now + overlap => at,
                _ => now + overlap,
            };
            let secret = TokenSecret::generate(before.kind);
            let token = ApiToken {
                id: Uuid::now_v7(),
                workspace_id: before.workspace_id,
                workspace_slug: before.workspace_slug.clone(),
                kind: before.kind,
                prefix: secret.prefix,
                created_at: now,
                last_used_at: None,
                revoked_at: None,
                expires_at: None,
            };
            sqlx::query(INSERT)
                .bind(token.id)
                .bind(token.workspace_id)
                .bind(token.kind.as_str())
                .bind(&token.prefix)
                .bind(&secret.digest)
                .bind(token.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(EXPIRE).bind(id).bind(expires_at).execute(&mut *tx).await?;
            let audit = NewAuditEntry {
                workspace_id: Some(before.workspace_id),
                actor: actor.clone(),
                action: "token.rotate".into(),
                target: format!("token:{id}"),
                before: serde_json::to_value(&before).ok(),
                after: Some(serde_json::json!({
                    "expires_at": expires_at,
                    "overlap_seconds": overlap.num_seconds(),
                    "replaced_by": serde_json::to_value(&token).unwrap_or_default(),
                })),
                request_id: request_id.map(str::to_owned),
            };
            append_audit!(&mut *tx, &audit)?;
            let old: TokenRow = sqlx::query_as(&select).bind(id).fetch_one(&mut *tx).await?;
            (IssuedToken { token, secret: secret.secret }, old)
        });
        // Cached rows of the old token must not outlive the new expiry.
        self.caches.tokens.clear();
        Ok(RotatedToken {
            issued,
            old: old.into_token()?,
        })
    }

    /// Finds the live token with this secret and kind, and notes that it was used.
    pub async fn authenticate_token(
        &self,
        secret: &SecretString,
        kind: TokenKind,
    ) -> Result<Result<ApiToken, TokenRejection>, StoreError> {
        let sql = format!("{TOKEN_SELECT} WHERE t.secret_digest = $1");
        let presented_digest = digest(secret.expose_secret());
        let row: Option<TokenRow> = match self.caches.tokens.get(&presented_digest) {
            Some(row) => Some(row),
            None => {
                let row: Option<TokenRow> = with_pool!(self, pool => {
                    sqlx::query_as(&sql).bind(&presented_digest).fetch_optional(pool).await?
                });
                if let Some(row) = &row {
                    self.caches
                        .tokens
                        .put(presented_digest.clone(), row.clone());
                }
                row
            }
        };
        // The lookup is by digest; compare again in constant time so equality is never
        // decided by an early-exit string comparison.
        let Some(row) = row.filter(|r| digest_matches(secret, &r.secret_digest)) else {
            return Ok(Err(TokenRejection::Unknown));
        };
        let token = row.clone().into_token()?;
        if token.revoked_at.is_some() {
            return Ok(Err(TokenRejection::Revoked));
        }
        // Checked on every request, cached row or not: expiry is a moment, not a write.
        let now = Utc::now();
        if token.is_expired_at(now) {
            return Ok(Err(TokenRejection::Expired));
        }
        if token.kind != kind {
            return Ok(Err(TokenRejection::WrongKind));
        }
        if token
            .last_used_at
            .is_none_or(|at| now - at > LAST_USED_GRANULARITY)
        {
            const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
            with_pool!(self, pool => {
                sqlx::query(TOUCH).bind(token.id).bind(now).execute(pool).await?;
            });
            // Cache the touched row: otherwise every request until the entry expires would
            // see the old time and write the same row again.
            let touched = TokenRow {
                last_used_at: Some(now),
                ..row
            };
            self.caches.tokens.put(presented_digest, touched);
        }
        Ok(Ok(token))
    }
}
