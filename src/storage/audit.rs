//! Reading and appending audit rows. Appends happen inside the transaction of the change
//! they describe, through [`append_audit!`], so a change and its audit row land together.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{with_pool, Store, StoreError};
use crate::domain::{Actor, AuditEntry};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (workspace_id, at, actor, action, target, before, after, request_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Appends one [`crate::domain::NewAuditEntry`] using the given executor (a transaction).
macro_rules! append_audit {
    ($exec:expr, $entry:expr) => {{
        let entry: &$crate::domain::NewAuditEntry = $entry;
        sqlx::query($crate::storage::audit::INSERT_AUDIT)
            .bind(entry.workspace_id)
            .bind(chrono::Utc::now())
            .bind(sqlx::types::Json(&entry.actor))
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(entry.before.as_ref().map(sqlx::types::Json))
            .bind(entry.after.as_ref().map(sqlx::types::Json))
            .bind(entry.request_id.as_deref())
            .execute($exec)
            .await
    }};
}
pub(crate) use append_audit;

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    workspace_id: Option<Uuid>,
    at: DateTime<Utc>,
    actor: Json<Actor>,
    action: String,
    target: String,
    before: Option<Json<serde_json::Value>>,
    after: Option<Json<serde_json::Value>>,
    request_id: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            workspace_id: r.workspace_id,
            at: r.at,
            actor: r.actor.0,
            action: r.action,
            target: r.target,
            before: r.before.map(|j| without_account_ids(j.0)),
            after: r.after.map(|j| without_account_ids(j.0)),
            request_id: r.request_id,
        }
    }
}

impl Store {
    /// Audit entries of a workspace with an id above `after`, oldest first, at most `limit`.
    pub async fn audit_entries(
        &self,
        workspace_id: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT id, workspace_id, at, actor, action, target, before, after, \
            request_id FROM audit_log WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3";
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            sqlx::query_as(SQL).bind(workspace_id).bind(after).bind(limit).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}

impl Store {
    /// Audit entries of a workspace whose target, before or after mention `needle` (an id),
    /// oldest first, at most `limit`.
    pub async fn audit_mentioning(
        &self,
        workspace_id: Uuid,
        needle: &str,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT id, workspace_id, at, actor, action, target, before, after, \
            request_id FROM audit_log WHERE workspace_id = $1 AND (target LIKE $2 \
            OR CAST(after AS TEXT) LIKE $2 OR CAST(before AS TEXT) LIKE $2) ORDER BY id LIMIT $3";
        let pattern = format!("%{needle}%");
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            sqlx::query_as(SQL).bind(workspace_id).bind(&pattern).bind(limit).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}

/// Rows written before memberships stopped carrying the person's global account id still
/// hold it in their before/after states; tenants read audit rows, so it is removed on the way
/// out (the row itself stays untouched: the log is append-only).
fn without_account_ids(mut value: serde_json::Value) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("account_id");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

impl Store {
    /// Audit entries of a workspace with an id below `before` (all when `None`), newest
    /// first, at most `limit` (the console's audit page filters them).
    pub async fn audit_newest(
        &self,
        workspace_id: Uuid,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT id, workspace_id, at, actor, action, target, before, after, \
            request_id FROM audit_log WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            sqlx::query_as(SQL)
                .bind(workspace_id)
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
