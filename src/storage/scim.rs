//! Reading the SCIM views: Users (memberships with their SCIM document) and Groups (with
//! their members). Writes go through [`crate::storage::SideWrite`] inside access-model
//! commits. Lists are filtered, sorted and paged in SQL (see `scim_filter`), never in memory.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{with_pool, Store, StoreError};

/// A membership as SCIM sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimUserRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub kind: String,
    pub active: bool,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub scim_doc: Option<Json<serde_json::Value>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A group as SCIM sees it (members are read separately, and only when asked for).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimGroupRow {
    pub id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub scim_doc: Option<Json<serde_json::Value>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One member of a group, with what SCIM shows as its `display`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimGroupMemberRow {
    pub group_id: Uuid,
    pub membership_id: Uuid,
    pub display: String,
}

/// One group of a user (the computed, read-only `groups` attribute).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimUserGroupRow {
    pub membership_id: Uuid,
    pub group_id: Uuid,
    pub display_name: String,
}

pub(crate) const USER_COLUMNS: &str = "m.id, m.account_id, a.email, m.kind, m.active, \
    m.user_name, m.external_id, m.scim_doc, m.version, m.created_at, m.updated_at";
pub(crate) const USER_FROM: &str =
    "FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.workspace_id = $1";
pub(crate) const GROUP_COLUMNS: &str =
    "g.id, g.display_name, g.external_id, g.scim_doc, g.version, g.created_at, g.updated_at";
pub(crate) const GROUP_FROM: &str = "FROM groups g WHERE g.workspace_id = $1";

/// `$first, $first+1, …` for an `IN (…)` list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The SCIM User with this membership id.
    pub async fn scim_user(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ScimUserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} {USER_FROM} AND m.id = $2");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).bind(id).fetch_optional(pool).await?
        }))
    }

    /// The SCIM Group with this id.
    pub async fn scim_group(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ScimGroupRow>, StoreError> {
        let sql = format!("SELECT {GROUP_COLUMNS} {GROUP_FROM} AND g.id = $2");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(workspace_id).bind(id).fetch_optional(pool).await?
        }))
    }

    /// The groups of each of these memberships.
    pub async fn scim_groups_of_users(
        &self,
        workspace_id: Uuid,
        membership_ids: &[Uuid],
    ) -> Result<Vec<ScimUserGroupRow>, StoreError> {
        if membership_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT gm.membership_id, g.id AS group_id, g.display_name FROM group_members gm \
             JOIN groups g ON g.id = gm.group_id WHERE gm.workspace_id = $1 \
             AND gm.membership_id IN ({}) ORDER BY g.display_name_key",
            placeholders(2, membership_ids.len())
        );
        Ok(with_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(workspace_id);
            for id in membership_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        }))
    }

    /// The members of each of these groups.
    pub async fn scim_members_of_groups(
        &self,
        workspace_id: Uuid,
        group_ids: &[Uuid],
    ) -> Result<Vec<ScimGroupMemberRow>, StoreError> {
        if group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT gm.group_id, gm.membership_id, COALESCE(m.user_name, a.email) AS display \
             FROM group_members gm JOIN memberships m ON m.id = gm.membership_id \
             JOIN accounts a ON a.id = m.account_id WHERE gm.workspace_id = $1 \
             AND gm.group_id IN ({}) ORDER BY gm.added_at, gm.membership_id",
            placeholders(2, group_ids.len())
        );
        Ok(with_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(workspace_id);
            for id in group_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        }))
    }

    /// Which of these membership ids exist in the workspace (for group member validation).
    pub async fn existing_memberships(
        &self,
        workspace_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        // Chunked so a 10,000-member PATCH stays within every backend's parameter limit.
        for chunk in ids.chunks(5_000) {
            let sql = format!(
                "SELECT id FROM memberships WHERE workspace_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let rows: Vec<(Uuid,)> = with_pool!(self, pool => {
                let mut query = sqlx::query_as(&sql).bind(workspace_id);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await?
            });
            found.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(found)
    }
}
