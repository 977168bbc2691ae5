//! Sign-in state: IdP connections, pending AuthnRequests (single use), the assertion replay
//! cache (in the database, so every instance refuses a replay), and sessions (only a digest
//! of the session token is stored).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::domain::{
    sso::{AttributeMapping, IdpCertificate, Session, SessionMethod, SsoConnection},
    Actor, NewAuditEntry,
};

const CONNECTION_COLUMNS: &str = "id, workspace_id, idp_entity_id, sso_url, certificates, \
    metadata_xml, metadata_url, metadata_valid_until, refreshed_at, refresh_error, \
    allow_idp_initiated, allow_sha1, attribute_mapping, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    id: Uuid,
    workspace_id: Uuid,
    idp_entity_id: String,
    sso_url: String,
    certificates: Json<Vec<IdpCertificate>>,
    metadata_xml: String,
    metadata_url: Option<String>,
    metadata_valid_until: Option<DateTime<Utc>>,
    refreshed_at: Option<DateTime<Utc>>,
    refresh_error: Option<String>,
    allow_idp_initiated: bool,
    allow_sha1: bool,
    attribute_mapping: Json<AttributeMapping>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ConnectionRow> for SsoConnection {
    fn from(r: ConnectionRow) -> Self {
        SsoConnection {
            id: r.id,
            workspace_id: r.workspace_id,
            idp_entity_id: r.idp_entity_id,
            sso_url: r.sso_url,
            certificates: r.certificates.0,
            metadata_xml: r.metadata_xml,
            metadata_url: r.metadata_url,
            metadata_valid_until: r.metadata_valid_until,
            refreshed_at: r.refreshed_at,
            refresh_error: r.refresh_error,
            allow_idp_initiated: r.allow_idp_initiated,
            allow_sha1: r.allow_sha1,
            attribute_mapping: r.attribute_mapping.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What a successful metadata refresh read.
pub struct RefreshedMetadata<'a> {
    pub certificates: &'a [IdpCertificate],
    pub sso_url: &'a str,
    pub xml: &'a str,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A pending SP-initiated login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingLogin {
    pub id: String,
    pub workspace_id: Uuid,
    pub connection_id: Uuid,
    pub return_to: String,
}

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
    /// Stores a new connection (or replaces the one with the same IdP entity id) and audits it.
    pub async fn save_sso_connection(
        &self,
        c: &SsoConnection,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<SsoConnection, StoreError> {
        let audit = NewAuditEntry::new(
            c.workspace_id,
            actor,
            "sso.connection.save",
            format!("sso:{}", c.idp_entity_id),
            request_id,
        )
        .after(serde_json::to_value(c).ok());
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO sso_connections (id, workspace_id, idp_entity_id, sso_url, certificates, \
                 metadata_xml, metadata_url, metadata_valid_until, refreshed_at, refresh_error, \
                 allow_idp_initiated, allow_sha1, attribute_mapping, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
                 ON CONFLICT (workspace_id, idp_entity_id) DO UPDATE SET sso_url = $4, \
                 certificates = $5, metadata_xml = $6, metadata_url = $7, metadata_valid_until = $8, \
                 refreshed_at = $9, refresh_error = $10, allow_idp_initiated = $11, allow_sha1 = $12, \
                 attribute_mapping = $13, updated_at = $14",
            )
            .bind(c.id)
            .bind(c.workspace_id)
            .bind(&c.idp_entity_id)
            .bind(&c.sso_url)
            .bind(Json(&c.certificates))
            .bind(&c.metadata_xml)
            .bind(c.metadata_url.as_deref())
            .bind(c.metadata_valid_until)
            .bind(c.refreshed_at)
            .bind(c.refresh_error.as_deref())
            .bind(c.allow_idp_initiated)
            .bind(c.allow_sha1)
            .bind(Json(&c.attribute_mapping))
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, &audit)?;
        });
        self.sso_connection_by_entity(c.workspace_id, &c.idp_entity_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("saved connection".into()))
    }

    /// Records the outcome of a metadata refresh.
    pub async fn record_sso_refresh(
        &self,
        id: Uuid,
        result: Result<RefreshedMetadata<'_>, &str>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        with_pool!(self, pool => {
            match result {
                Ok(RefreshedMetadata { certificates, sso_url, xml, valid_until }) => {
                    sqlx::query(
                        "UPDATE sso_connections SET certificates = $2, sso_url = $3, metadata_xml = $4, \
                         metadata_valid_until = $5, refreshed_at = $6, refresh_error = NULL, updated_at = $6 \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(Json(certificates))
                    .bind(sso_url)
                    .bind(xml)
                    .bind(valid_until)
                    .bind(now)
                    .execute(pool)
                    .await?;
                }
                Err(error) => {
                    sqlx::query("UPDATE sso_connections SET refresh_error = $2 WHERE id = $1")
                        .bind(id)
                        .bind(error)
                        .execute(pool)
                        .await?;
                }
            }
        });
        Ok(())
    }

    /// The workspace's connections, oldest first.
    pub async fn sso_connections(
        &self,
        workspace_id: Uuid,
    ) -> Result<Vec<SsoConnection>, StoreError> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM sso_connections WHERE workspace_id = $1 ORDER BY created_at");
        let rows: Vec<ConnectionRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(SsoConnection::from).collect())
    }

    /// Every connection with a metadata URL (for the refresher).
    pub async fn sso_connections_with_url(&self) -> Result<Vec<SsoConnection>, StoreError> {
        let sql = format!(
            "SELECT {CONNECTION_COLUMNS} FROM sso_connections WHERE metadata_url IS NOT NULL"
        );
        let rows: Vec<ConnectionRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(SsoConnection::from).collect())
    }

    /// The connection of a workspace for an IdP entity id.
    pub async fn sso_connection_by_entity(
        &self,
        workspace_id: Uuid,
        entity_id: &str,
    ) -> Result<Option<SsoConnection>, StoreError> {
        let sql = format!(
            "SELECT {CONNECTION_COLUMNS} FROM sso_connections WHERE workspace_id = $1 AND idp_entity_id = $2"
        );
        let row: Option<ConnectionRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).bind(entity_id).fetch_optional(pool).await?
        });
        Ok(row.map(SsoConnection::from))
    }

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
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&login.id)
            .bind(login.workspace_id)
            .bind(login.connection_id)
            .bind(relay_state)
            .bind(&login.return_to)
            .bind(Utc::now())
            .bind(expires_at)
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
                "SELECT id, workspace_id, connection_id, return_to FROM saml_requests \
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

    /// The return path remembered under a RelayState (opaque, server-side).
    pub async fn return_to_for_relay_state(
        &self,
        relay_state: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT return_to FROM saml_requests WHERE relay_state = $1")
                .bind(relay_state)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(r,)| r))
    }

    /// Records an assertion id; false when it was seen before (a replay). Expired entries
    /// are swept on the way.
    pub async fn remember_assertion(
        &self,
        connection_id: Uuid,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        in_transaction!(self, tx => {
            sqlx::query("DELETE FROM saml_replay_cache WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO saml_replay_cache (connection_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (connection_id, assertion_id) DO NOTHING",
            )
            .bind(connection_id)
            .bind(assertion_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok::<_, StoreError>(inserted == 1)
        })
    }

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

    /// Sets whether a member is exempt from Require SSO, audited.
    pub async fn set_sso_exempt(
        &self,
        workspace_id: Uuid,
        membership_id: Uuid,
        exempt: bool,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let audit = NewAuditEntry::new(
            workspace_id,
            actor,
            "member.sso_exempt",
            format!("member:{membership_id}"),
            request_id,
        )
        .after(Some(serde_json::json!({ "sso_exempt": exempt })));
        in_transaction!(self, tx => {
            sqlx::query("UPDATE memberships SET sso_exempt = $3 WHERE id = $1 AND workspace_id = $2")
                .bind(membership_id)
                .bind(workspace_id)
                .bind(exempt)
                .execute(&mut *tx)
                .await?;
            append_audit!(&mut *tx, &audit)?;
        });
        Ok(())
    }

    /// Whether a member is exempt from Require SSO.
    pub async fn sso_exempt(
        &self,
        workspace_id: Uuid,
        membership_id: Uuid,
    ) -> Result<bool, StoreError> {
        let row: Option<(bool,)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT sso_exempt FROM memberships WHERE id = $1 AND workspace_id = $2")
                .bind(membership_id)
                .bind(workspace_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some_and(|(e,)| e))
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

    /// Slugs of workspaces that verified `domain` and have an SSO connection (a verified
    /// domain belongs to one workspace, so at most one).
    pub async fn sso_workspaces_for_domain(&self, domain: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT DISTINCT w.slug FROM workspace_domains d \
                 JOIN workspaces w ON w.id = d.workspace_id \
                 JOIN sso_connections c ON c.workspace_id = w.id \
                 WHERE d.domain = $1 AND d.verified_at IS NOT NULL ORDER BY w.slug",
            )
            .bind(domain.trim().trim_end_matches('.').to_ascii_lowercase())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(slug,)| slug).collect())
    }
}
