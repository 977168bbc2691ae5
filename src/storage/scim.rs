//! Reading the SCIM views: Users (memberships with their SCIM document) and Groups (with
//! their members). Writes go through [`crate::storage::SideWrite`] inside access-model
//! commits. Lists are filtered, sorted and paged in SQL (see `scim_filter`), never in memory.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    scim_filter::{filter_sql, order_by, BindScim, Dialect, ScimTable, SortOrder},
    with_pool, Store, StoreError,
};
use crate::domain::query::{ResolvedAttr, TypedFilter};

/// A membership as SCIM sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimUserRow {
    pub id: Uuid,
    /// The workspace's name for the person.
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
#[derive(Debug, Clone)]
pub struct ScimUserGroupRow {
    pub membership_id: Uuid,
    pub group_id: Uuid,
    pub display_name: String,
}

pub(crate) const USER_COLUMNS: &str = "m.id, m.email, m.kind, m.active, \
    m.user_name, m.external_id, m.scim_doc, m.version, m.created_at, m.updated_at";
pub(crate) const USER_FROM: &str = "FROM memberships m WHERE m.workspace_id = $1";
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
            "SELECT gm.group_id, gm.membership_id, COALESCE(m.user_name, m.email) AS display \
             FROM group_members gm JOIN memberships m ON m.id = gm.membership_id \
             AND m.workspace_id = gm.workspace_id WHERE gm.workspace_id = $1 \
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

/// What a SCIM list asks for: filter, sort, and the page (0-based offset).
#[derive(Debug, Clone, Copy)]
pub struct ScimQuery<'a> {
    pub filter: Option<&'a TypedFilter>,
    pub sort: Option<(&'a ResolvedAttr, SortOrder)>,
    pub offset: i64,
    /// 0 asks only for the total.
    pub limit: i64,
}

/// The `WHERE` addition, `ORDER BY` and binds of a SCIM list, for one backend.
struct ListSql {
    filter: String,
    order: String,
    binds: Vec<super::scim_filter::SqlBind>,
    next_placeholder: usize,
}

fn list_sql(
    query: &ScimQuery<'_>,
    table: ScimTable,
    dialect: Dialect,
    id_column: &str,
) -> Result<ListSql, StoreError> {
    let invalid = |e: super::scim_filter::FilterSqlError| StoreError::InvalidFilter(e.to_string());
    let mut binds = Vec::new();
    let mut next = 2; // $1 is the workspace
    let filter = match query.filter {
        Some(f) => {
            let fragment = filter_sql(f, table, dialect, next).map_err(invalid)?;
            next += fragment.binds.len();
            binds.extend(fragment.binds);
            format!(" AND {}", fragment.sql)
        }
        None => String::new(),
    };
    let order = match query.sort {
        Some((attr, direction)) => {
            let fragment = order_by(attr, table, dialect, direction, next).map_err(invalid)?;
            next += fragment.binds.len();
            binds.extend(fragment.binds);
            format!("{}, {id_column}", fragment.sql)
        }
        None => id_column.to_string(),
    };
    Ok(ListSql {
        filter,
        order,
        binds,
        next_placeholder: next,
    })
}

impl Store {
    /// One page of SCIM Users matching the query, and how many match in all.
    pub async fn scim_list_users(
        &self,
        workspace_id: Uuid,
        query: &ScimQuery<'_>,
    ) -> Result<(i64, Vec<ScimUserRow>), StoreError> {
        self.scim_list(
            workspace_id,
            query,
            ScimTable::Users,
            USER_COLUMNS,
            USER_FROM,
            "m.id",
        )
        .await
    }

    /// One page of SCIM Groups matching the query, and how many match in all.
    pub async fn scim_list_groups(
        &self,
        workspace_id: Uuid,
        query: &ScimQuery<'_>,
    ) -> Result<(i64, Vec<ScimGroupRow>), StoreError> {
        self.scim_list(
            workspace_id,
            query,
            ScimTable::Groups,
            GROUP_COLUMNS,
            GROUP_FROM,
            "g.id",
        )
        .await
    }

    /// Counts the matches, then reads one page of them, filtered and sorted in SQL.
    async fn scim_list<R>(
        &self,
        workspace_id: Uuid,
        query: &ScimQuery<'_>,
        table: ScimTable,
        columns: &str,
        from: &str,
        id_column: &str,
    ) -> Result<(i64, Vec<R>), StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + Send
            + Unpin,
    {
        with_pool!(self, pool => {
            let sql = list_sql(query, table, Dialect::of_pool(pool), id_column)?;
            let count_sql = format!("SELECT COUNT(*) {from}{}", sql.filter);
            let mut rows: Vec<R> = Vec::new();
            if query.limit > 0 {
                let page_sql = format!(
                    "SELECT {columns} {from}{} ORDER BY {} LIMIT ${} OFFSET ${}",
                    sql.filter,
                    sql.order,
                    sql.next_placeholder,
                    sql.next_placeholder + 1
                );
                rows = sqlx::query_as(&page_sql)
                    .bind(workspace_id)
                    .bind_scim(sql.binds.clone())
                    .bind(query.limit)
                    .bind(query.offset)
                    .fetch_all(pool)
                    .await?;
                // A page that is not full (and not past the end) tells the total by itself:
                // the common `userName eq` lookup costs one query.
                if (rows.len() as i64) < query.limit && (query.offset == 0 || !rows.is_empty()) {
                    return Ok((query.offset + rows.len() as i64, rows));
                }
            }
            let (total,): (i64,) = sqlx::query_as(&count_sql)
                .bind(workspace_id)
                .bind_scim(sql.binds)
                .fetch_one(pool)
                .await?;
            Ok((total, rows))
        })
    }
}
