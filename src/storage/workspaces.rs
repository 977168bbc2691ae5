//! Workspaces: create, find, list.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{audit::append_audit, in_transaction, with_pool, Store, StoreError};
use crate::{
    access::Product,
    domain::{Actor, NewAuditEntry, NewWorkspace, Workspace, WorkspaceSettings},
};

pub(crate) const WORKSPACE_COLUMNS: &str =
    "id, slug, name, products, domains, settings, revision, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    id: Uuid,
    slug: String,
    name: String,
    products: Json<Vec<Product>>,
    domains: Json<Vec<String>>,
    settings: Json<WorkspaceSettings>,
    revision: i64,
    created_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace {
            id: r.id,
            slug: r.slug,
            name: r.name,
            products: r.products.0,
            domains: r.domains.0,
            settings: r.settings.0,
            revision: r.revision,
            created_at: r.created_at,
        }
    }
}

impl Store {
    /// Creates a workspace and audits it; a taken slug is a `Conflict`.
    pub async fn create_workspace(
        &self,
        new: NewWorkspace,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<Workspace, StoreError> {
        let new = new.validate().map_err(StoreError::Invalid)?;
        let workspace = Workspace {
            id: Uuid::now_v7(),
            slug: new.slug,
            name: new.name,
            products: new.products,
            domains: new.domains,
            settings: WorkspaceSettings::default(),
            revision: 0,
            created_at: Utc::now(),
        };
        const SQL: &str = "INSERT INTO workspaces \
            (id, slug, name, products, domains, settings, revision, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let audit = NewAuditEntry::new(
            workspace.id,
            actor,
            "workspace.create",
            format!("workspace:{}", workspace.slug),
            request_id,
        )
        .after(Some(serde_json::to_value(&workspace).unwrap_or_default()));
        in_transaction!(self, tx => {
            sqlx::query(SQL)
                .bind(workspace.id)
                .bind(&workspace.slug)
                .bind(&workspace.name)
                .bind(Json(&workspace.products))
                .bind(Json(&workspace.domains))
                .bind(Json(&workspace.settings))
                .bind(workspace.revision)
                .bind(workspace.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::on_unique_violation(
                        e,
                        format!("a workspace with slug {:?} already exists", workspace.slug),
                    )
                })?;
            append_audit!(&mut *tx, &audit)?;
        });
        Ok(workspace)
    }

    /// The workspace with this slug, if any.
    pub async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>, StoreError> {
        if let Some(workspace) = self.caches.workspaces.get(&slug.to_string()) {
            return Ok(Some(workspace));
        }
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
        let row: Option<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?
        });
        let workspace = row.map(Workspace::from);
        if let Some(w) = &workspace {
            self.caches.workspaces.put(slug.to_string(), w.clone());
        }
        Ok(workspace)
    }

    /// The workspace with this slug read from the database (its current revision), bypassing
    /// the cache.
    pub async fn workspace_fresh(&self, slug: &str) -> Result<Option<Workspace>, StoreError> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
        let row: Option<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?
        });
        Ok(row.map(Workspace::from))
    }

    /// Every workspace, by slug.
    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY slug");
        let rows: Vec<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Workspace::from).collect())
    }
}

impl Store {
    /// Replaces a workspace's settings and verified domains, audited.
    pub async fn update_workspace(
        &self,
        before: &Workspace,
        settings: &WorkspaceSettings,
        domains: &[String],
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<Workspace, StoreError> {
        let after = Workspace {
            settings: settings.clone(),
            domains: domains.to_vec(),
            ..before.clone()
        };
        let audit = NewAuditEntry::new(
            before.id,
            actor,
            "workspace.update",
            format!("workspace:{}", before.slug),
            request_id,
        )
        .before(serde_json::to_value(before).ok())
        .after(serde_json::to_value(&after).ok());
        in_transaction!(self, tx => {
            sqlx::query("UPDATE workspaces SET settings = $2, domains = $3 WHERE id = $1")
                .bind(before.id)
                .bind(Json(settings))
                .bind(Json(domains))
                .execute(&mut *tx)
                .await?;
            append_audit!(&mut *tx, &audit)?;
        });
        self.caches.workspaces.clear();
        self.workspace_by_slug(&before.slug)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workspace {:?}", before.slug)))
    }
}
