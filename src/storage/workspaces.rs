//! Workspaces: create, find, list. A workspace's verified domains live in
//! `workspace_domains` (see `domains.rs`) and are read with it.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    audit::append_audit,
    domains::{insert_claim, mark_verified},
    in_transaction, with_pool, Store, StoreError,
};
use crate::{
    access::Product,
    domain::{
        domains::VerifiedBy, Actor, NewAuditEntry, NewWorkspace, Workspace, WorkspaceSettings,
    },
};

pub(crate) const WORKSPACE_COLUMNS: &str =
    "id, slug, name, products, settings, revision, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    pub(crate) id: Uuid,
    slug: String,
    name: String,
    products: Json<Vec<Product>>,
    settings: Json<WorkspaceSettings>,
    revision: i64,
    created_at: DateTime<Utc>,
}

impl WorkspaceRow {
    /// The workspace, with the domains it verified.
    pub(crate) fn with_domains(self, domains: Vec<String>) -> Workspace {
        Workspace {
            id: self.id,
            slug: self.slug,
            name: self.name,
            products: self.products.0,
            domains,
            settings: self.settings.0,
            revision: self.revision,
            created_at: self.created_at,
        }
    }
}

impl Store {
    /// Creates a workspace and audits it; a taken slug is a `Conflict`. Its domains are
    /// verified on the operator's word (this is the command line's call, never a tenant's);
    /// a domain another workspace verified is a `Conflict`.
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
            (id, slug, name, products, settings, revision, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7)";
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
            for domain in &workspace.domains {
                let _ = insert_claim!(tx, workspace.id, domain.as_str(), workspace.created_at);
                let _ = mark_verified!(tx, workspace.id, domain.as_str(), VerifiedBy::Operator, workspace.created_at);
            }
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
        let workspace = match row {
            Some(row) => Some(self.with_verified_domains(row).await?),
            None => None,
        };
        if let Some(w) = &workspace {
            self.caches.workspaces.put(slug.to_string(), w.clone());
        }
        Ok(workspace)
    }

    async fn with_verified_domains(&self, row: WorkspaceRow) -> Result<Workspace, StoreError> {
        let domains = self.verified_domains(row.id).await?;
        Ok(row.with_domains(domains))
    }

    /// The workspace with this id.
    pub async fn workspace_by_id(&self, id: Uuid) -> Result<Option<Workspace>, StoreError> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1");
        let row: Option<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        match row {
            Some(row) => Ok(Some(self.with_verified_domains(row).await?)),
            None => Ok(None),
        }
    }

    /// The workspace with this slug read from the database (its current revision), bypassing
    /// the cache.
    pub async fn workspace_fresh(&self, slug: &str) -> Result<Option<Workspace>, StoreError> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE slug = $1");
        let row: Option<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?
        });
        match row {
            Some(row) => Ok(Some(self.with_verified_domains(row).await?)),
            None => Ok(None),
        }
    }

    /// Every workspace, by slug.
    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY slug");
        let rows: Vec<WorkspaceRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        let mut domains = self.verified_domains_by_workspace().await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let verified = domains.remove(&row.id).unwrap_or_default();
                row.with_domains(verified)
            })
            .collect())
    }
}

impl Store {
    /// Replaces a workspace's settings, audited. (Domains change through `domains.rs`: a
    /// tenant claims them, DNS or the operator verifies them.)
    pub async fn update_workspace(
        &self,
        before: &Workspace,
        settings: &WorkspaceSettings,
        actor: &Actor,
        request_id: Option<&str>,
    ) -> Result<Workspace, StoreError> {
        let after = Workspace {
            settings: settings.clone(),
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
            sqlx::query("UPDATE workspaces SET settings = $2 WHERE id = $1")
                .bind(before.id)
                .bind(Json(settings))
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
