//! Mapping rules and webhooks. Webhook deliveries read the change feed (`access_changes`),
//! which is written in the same transaction as every access change: that table is the
//! transactional outbox, and a webhook's cursor says how far it has been delivered.

use chrono::{DateTime, Duration, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::{
    access::Scope,
    domain::{
        bridge::{DeadLetter, MappingRule, MatchKind, Webhook},
        Actor, NewAuditEntry,
    },
};

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    match_kind: String,
    pattern: String,
    role: String,
    scope: Json<Scope>,
    source: String,
    created_at: DateTime<Utc>,
}

impl RuleRow {
    fn into_rule(self) -> Result<MappingRule, StoreError> {
        Ok(MappingRule {
            id: self.id,
            match_kind: MatchKind::parse(&self.match_kind).ok_or_else(|| {
                StoreError::Invalid(format!("unknown match kind {}", self.match_kind))
            })?,
            pattern: self.pattern,
            role: self.role,
            scope: self.scope.0,
            source: self.source,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    workspace_id: Uuid,
    url: String,
    secret: String,
    cursor_revision: i64,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<DateTime<Utc>>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            workspace_id: r.workspace_id,
            url: r.url,
            secret: r.secret,
            cursor_revision: r.cursor_revision,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
            previous_secret: r.previous_secret,
            previous_secret_expires_at: r.previous_secret_expires_at,
        }
    }
}

const WEBHOOK_COLUMNS: &str = "id, workspace_id, url, secret, cursor_revision, created_at, \
     disabled_at, previous_secret, previous_secret_expires_at";

impl Store {
    /// The workspace's mapping rules, oldest first.
    pub async fn mapping_rules(&self, workspace_id: Uuid) -> Result<Vec<MappingRule>, StoreError> {
        let rows: Vec<RuleRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, match_kind, pattern, role, scope, source, created_at FROM mapping_rules \
                 WHERE workspace_id = $1 ORDER BY created_at, id",
            )
            .bind(workspace_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RuleRow::into_rule).collect()
    }

    /// Adds rules and removes rules (by id) in one transaction, audited.
    pub async fn change_mapping_rules(
        &self,
        workspace_id: Uuid,
        add: &[MappingRule],
        remove: &[Uuid],
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            for id in remove {
                sqlx::query("DELETE FROM mapping_rules WHERE id = $1 AND workspace_id = $2")
                    .bind(id)
                    .bind(workspace_id)
                    .execute(&mut *tx)
                    .await?;
                append_audit!(&mut *tx, &NewAuditEntry::new(workspace_id, actor, "mapping_rule.delete", format!("rule:{id}"), request_id))?;
            }
            for rule in add {
                sqlx::query(
                    "INSERT INTO mapping_rules (id, workspace_id, match_kind, pattern, role, scope, source, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(rule.id)
                .bind(workspace_id)
                .bind(rule.match_kind.as_str())
                .bind(&rule.pattern)
                .bind(&rule.role)
                .bind(Json(&rule.scope))
                .bind(&rule.source)
                .bind(rule.created_at)
                .execute(&mut *tx)
                .await?;
                append_audit!(&mut *tx, &NewAuditEntry::new(workspace_id, actor, "mapping_rule.create", format!("rule:{}", rule.id), request_id).after(serde_json::to_value(rule).ok()))?;
            }
        });
        Ok(())
    }

    /// Registers a webhook; deliveries start after the workspace's current revision.
    pub async fn create_webhook(
        &self,
        workspace_id: Uuid,
        url: &str,
        secret: &str,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<Webhook, StoreError> {
        let id = Uuid::now_v7();
        in_transaction!(self, tx => {
            let (revision,): (i64,) = sqlx::query_as("SELECT revision FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO webhooks (id, workspace_id, url, secret, cursor_revision, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(url)
            .bind(secret)
            .bind(revision)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, &NewAuditEntry::new(workspace_id, actor, "webhook.create", format!("webhook:{id}"), request_id).after(Some(serde_json::json!({"url": url}))))?;
        });
        self.webhook(id)
            .await?
            .ok_or_else(|| StoreError::NotFound("webhook".into()))
    }

    /// One webhook.
    pub async fn webhook(&self, id: Uuid) -> Result<Option<Webhook>, StoreError> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1");
        let row: Option<WebhookRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Webhook::from))
    }

    /// The webhooks of a workspace, or every enabled one (`None`).
    pub async fn webhooks(&self, workspace_id: Option<Uuid>) -> Result<Vec<Webhook>, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE ($1 IS NULL OR workspace_id = $1) \
             AND disabled_at IS NULL ORDER BY created_at"
        );
        let rows: Vec<WebhookRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// Enabled webhooks that have undelivered changes (what the dispatcher works on).
    pub async fn webhooks_behind(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<WebhookRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT w.id, w.workspace_id, w.url, w.secret, w.cursor_revision, w.created_at, w.disabled_at, \
                 w.previous_secret, w.previous_secret_expires_at \
                 FROM webhooks w JOIN workspaces ws ON ws.id = w.workspace_id \
                 WHERE w.disabled_at IS NULL AND w.cursor_revision < ws.revision ORDER BY w.created_at",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// (webhook id, changes not yet delivered) of every enabled webhook, for metrics: no
    /// secret is read.
    pub async fn webhook_backlogs(&self) -> Result<Vec<(Uuid, i64)>, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT w.id, ws.revision - w.cursor_revision FROM webhooks w \
                 JOIN workspaces ws ON ws.id = w.workspace_id WHERE w.disabled_at IS NULL ORDER BY w.created_at",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Replaces a webhook's secret; the old one keeps signing deliveries (beside the new one)
    /// for `overlap`, so the receiver can switch without refusing a delivery. Audited, without
    /// either secret.
    pub async fn rotate_webhook_secret(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        new_secret: &str,
        overlap: Duration,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<Webhook, StoreError> {
        let until = Utc::now() + overlap;
        in_transaction!(self, tx => {
            let changed = sqlx::query(
                "UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $3, \
                 secret = $4 WHERE id = $1 AND workspace_id = $2 AND disabled_at IS NULL",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(until)
            .bind(new_secret)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound(format!("webhook {id}")));
            }
            append_audit!(&mut *tx, &NewAuditEntry::new(workspace_id, actor, "webhook.rotate_secret", format!("webhook:{id}"), request_id).after(Some(serde_json::json!({"previous_secret_expires_at": until}))))?;
        });
        self.webhook(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))
    }

    /// Disables a webhook (it keeps its dead letters), audited.
    pub async fn disable_webhook(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            let changed = sqlx::query("UPDATE webhooks SET disabled_at = $3 WHERE id = $1 AND workspace_id = $2 AND disabled_at IS NULL")
                .bind(id)
                .bind(workspace_id)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound(format!("webhook {id}")));
            }
            append_audit!(&mut *tx, &NewAuditEntry::new(workspace_id, actor, "webhook.disable", format!("webhook:{id}"), request_id))?;
        });
        Ok(())
    }

    /// Takes (or renews) the delivery lease of a webhook for `owner`; false when another
    /// instance holds it. One deliverer per webhook keeps deliveries in revision order.
    pub async fn lease_webhook(
        &self,
        id: Uuid,
        owner: &str,
        for_how_long: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let changed = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhooks SET lease_owner = $2, lease_until = $3 WHERE id = $1 \
                 AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $2)",
            )
            .bind(id)
            .bind(owner)
            .bind(now + for_how_long)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Records that a webhook has delivered everything up to `revision`.
    pub async fn advance_webhook(&self, id: Uuid, revision: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE webhooks SET cursor_revision = $2 WHERE id = $1 AND cursor_revision < $2")
                .bind(id)
                .bind(revision)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Gives up on a batch: records a dead letter and moves the cursor past it.
    pub async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO webhook_dead_letters (id, webhook_id, from_revision, to_revision, attempts, last_error, failed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(letter.id)
            .bind(letter.webhook_id)
            .bind(letter.from_revision)
            .bind(letter.to_revision)
            .bind(letter.attempts)
            .bind(&letter.last_error)
            .bind(letter.failed_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE webhooks SET cursor_revision = $2 WHERE id = $1 AND cursor_revision < $2")
                .bind(letter.webhook_id)
                .bind(letter.to_revision)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// A webhook's dead letters, newest first.
    pub async fn dead_letters(&self, webhook_id: Uuid) -> Result<Vec<DeadLetter>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: Uuid,
            webhook_id: Uuid,
            from_revision: i64,
            to_revision: i64,
            attempts: i32,
            last_error: String,
            failed_at: DateTime<Utc>,
        }
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, webhook_id, from_revision, to_revision, attempts, last_error, failed_at \
                 FROM webhook_dead_letters WHERE webhook_id = $1 ORDER BY failed_at DESC",
            )
            .bind(webhook_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| DeadLetter {
                id: r.id,
                webhook_id: r.webhook_id,
                from_revision: r.from_revision,
                to_revision: r.to_revision,
                attempts: r.attempts,
                last_error: r.last_error,
                failed_at: r.failed_at,
            })
            .collect())
    }
}
