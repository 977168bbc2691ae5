//! Sign-in state: IdP connections and Require-SSO exemptions. Pending AuthnRequests and the
//! replay cache are in `saml_requests.rs`, sessions and password hashes in `sessions.rs`.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::domain::{
    sso::{AttributeMapping, IdpCertificate, SsoConnection},
    Actor, NewAuditEntry,
};

const CONNECTION_COLUMNS: &str = "id, workspace_id, idp_entity_id, sso_url, certificates, \
    metadata_xml, metadata_url, metadata_valid_until, refreshed_at, refresh_error, \
    allow_idp_initiated, allow_sha1, attribute_mapping, created_at, updated_at, \
    certificates_changed_at";

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
    certificates_changed_at: Option<DateTime<Utc>>,
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
            certificates_changed_at: r.certificates_changed_at,
        }
    }
}

pub use super::saml_requests::PendingLogin;

/// What a successful metadata refresh read.
pub struct RefreshedMetadata<'a> {
    pub certificates: &'a [IdpCertificate],
    pub sso_url: &'a str,
    pub xml: &'a str,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The certificates as a set (order in the metadata does not matter).
fn certificate_set(certs: &[IdpCertificate]) -> std::collections::BTreeSet<&str> {
    certs.iter().map(|c| c.der.as_str()).collect()
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

    /// Records the outcome of a metadata refresh. When the signing certificates changed, the
    /// connection's `certificates_changed_at` is set and an audit entry written, in the same
    /// transaction: a new trust anchor never arrives unnoticed.
    pub async fn record_sso_refresh(
        &self,
        connection: &SsoConnection,
        result: Result<RefreshedMetadata<'_>, &str>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let id = connection.id;
        match result {
            Ok(RefreshedMetadata {
                certificates,
                sso_url,
                xml,
                valid_until,
            }) => {
                let changed =
                    certificate_set(certificates) != certificate_set(&connection.certificates);
                let audit = changed.then(|| {
                    let summary = |certs: &[IdpCertificate]| -> serde_json::Value {
                        certs
                            .iter()
                            .map(|c| {
                                serde_json::json!({
                                    "sha256": crate::domain::token::digest(&c.der),
                                    "not_after": c.not_after,
                                })
                            })
                            .collect()
                    };
                    NewAuditEntry::new(
                        connection.workspace_id,
                        &Actor::System,
                        "sso.connection.certificates_changed",
                        format!("sso:{}", connection.idp_entity_id),
                        None,
                    )
                    .before(Some(summary(&connection.certificates)))
                    .after(Some(summary(certificates)))
                });
                in_transaction!(self, tx => {
                    sqlx::query(
                        "UPDATE sso_connections SET certificates = $2, sso_url = $3, metadata_xml = $4, \
                         metadata_valid_until = $5, refreshed_at = $6, refresh_error = NULL, updated_at = $6, \
                         certificates_changed_at = CASE WHEN $7 THEN $6 ELSE certificates_changed_at END \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(Json(certificates))
                    .bind(sso_url)
                    .bind(xml)
                    .bind(valid_until)
                    .bind(now)
                    .bind(changed)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(audit) = &audit {
                        append_audit!(&mut *tx, audit)?;
                    }
                });
            }
            Err(error) => {
                with_pool!(self, pool => {
                    sqlx::query("UPDATE sso_connections SET refresh_error = $2 WHERE id = $1")
                        .bind(id)
                        .bind(error)
                        .execute(pool)
                        .await?;
                });
            }
        }
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

impl Store {
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

impl Store {
    /// Every SSO connection (for the certificate watch).
    pub async fn all_sso_connections(&self) -> Result<Vec<SsoConnection>, StoreError> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM sso_connections ORDER BY created_at");
        let rows: Vec<ConnectionRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(SsoConnection::from).collect())
    }

    /// The thresholds already announced for a connection's certificate.
    pub async fn certificate_warnings(
        &self,
        connection_id: Uuid,
        not_after: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT CAST(threshold_days AS BIGINT) FROM certificate_warnings \
                 WHERE connection_id = $1 AND not_after = $2",
            )
            .bind(connection_id)
            .bind(not_after)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }
}
