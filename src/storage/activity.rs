//! The SCIM request log and sign-in log (`activity_log`): appended by the SCIM adapter and the
//! sign-in paths, read newest first by the owner console, purged after `activity_log_days`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{in_transaction, with_pool, Store, StoreError};
use crate::domain::activity::{bounded, Activity, ActivityKind, NewActivity};

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: i64,
    at: DateTime<Utc>,
    kind: String,
    method: Option<String>,
    path: Option<String>,
    status: Option<i32>,
    outcome: String,
    reason: Option<String>,
    detail: Option<String>,
    subject: Option<String>,
    request_id: Option<String>,
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: r.id,
            at: r.at,
            kind: r.kind,
            method: r.method,
            path: r.path,
            status: r.status,
            outcome: r.outcome,
            reason: r.reason,
            detail: r.detail,
            subject: r.subject,
            request_id: r.request_id,
        }
    }
}

impl Store {
    /// Appends one entry (texts bounded).
    pub async fn record_activity(&self, entry: &NewActivity) -> Result<(), StoreError> {
        const SQL: &str =
            "INSERT INTO activity_log (workspace_id, at, kind, method, path, status, \
            outcome, reason, detail, subject, request_id) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let outcome = if entry.refused { "refused" } else { "ok" };
        let postgres = self.backend_name() == "postgres";
        in_transaction!(self, tx => {
            if postgres {
                // A log row is worth no fsync of its own: the last few may be lost in a crash,
                // and sign-ins and SCIM writes do not wait on the disk for them.
                sqlx::query("SET LOCAL synchronous_commit TO OFF")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(SQL)
                .bind(entry.workspace_id)
                .bind(Utc::now())
                .bind(entry.kind.as_str())
                .bind(bounded(&entry.method))
                .bind(bounded(&entry.path))
                .bind(i32::from(entry.status))
                .bind(outcome)
                .bind(entry.reason.as_deref().map(bounded))
                .bind(entry.detail.as_deref().map(bounded))
                .bind(entry.subject.as_deref().map(bounded))
                .bind(entry.request_id.as_deref().map(bounded))
                .execute(&mut *tx)
                .await?;
            Ok::<_, StoreError>(())
        })
    }

    /// A workspace's entries of one log, newest first: at most `limit`, with an id below
    /// `before` when given; `refused_only` keeps the refusals.
    pub async fn recent_activity(
        &self,
        workspace_id: Uuid,
        kind: ActivityKind,
        refused_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Activity>, StoreError> {
        const SQL: &str = "SELECT id, at, kind, method, path, status, outcome, reason, detail, \
            subject, request_id FROM activity_log \
            WHERE workspace_id = $1 AND kind = $2 AND id < $3 AND (outcome = 'refused' OR $4 = 0) \
            ORDER BY id DESC LIMIT $5";
        let rows: Vec<ActivityRow> = with_pool!(self, pool => {
            sqlx::query_as(SQL)
                .bind(workspace_id)
                .bind(kind.as_str())
                .bind(before.unwrap_or(i64::MAX))
                .bind(i32::from(refused_only))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Activity::from).collect())
    }
}
