//! The access model's tables. Writes go through [`Store::commit_changes`]: the access model's
//! own [`Change`] values are the mutations, so what is written, what the change feed carries
//! and what every instance's in-memory index replays are the same thing.
//!
//! `commit_changes` hands the change set to the workspace's group commit (see
//! [`super::group_commit`]): one writer at a time per workspace locks the workspace row
//! (PostgreSQL row lock; SQLite's IMMEDIATE transaction) and writes every change set queued
//! meanwhile in that one transaction, so revisions commit in order: a reader of
//! `access_changes` never sees revision N+1 before N.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    audit::append_audit,
    group_commit::Pending,
    in_transaction,
    side_writes::{write_side, SideWrite},
    user_versions::touch_users,
    with_pool, Store, StoreError,
};
use crate::{
    access::{
        catalog, Change, Grant, GrantOrigin, GroupInfo, Member, MemberKind, MemberSource, Product,
        Resource, ResourceRef, Scope, Snapshot, Subject,
    },
    domain::{Actor, NewAuditEntry},
};

/// One entry of a workspace's ordered change feed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeEvent {
    pub revision: i64,
    /// Unique per event, so consumers can drop duplicates.
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// Who is making a change and why; copied into every audit row.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub actor: Actor,
    pub request_id: Option<String>,
    /// How new memberships came to be: `api`, `cli`, `scim`, `sso`, `invite`, `legacy`.
    pub provenance: &'static str,
}

/// A change with the state it replaces (for the audit row's `before`).
#[derive(Debug, Clone)]
pub struct AuditedChange {
    pub change: Change,
    pub before: Option<serde_json::Value>,
}

impl From<Change> for AuditedChange {
    fn from(change: Change) -> Self {
        Self {
            change,
            before: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Uuid,
    email: String,
    kind: String,
    active: bool,
    awaiting_consent: bool,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    display_name: String,
    external_id: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct GroupMemberRow {
    pub(super) group_id: Uuid,
    pub(super) membership_id: Uuid,
    pub(super) source: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct ResourceRow {
    resource_type: String,
    resource_id: String,
    name: String,
    parent_type: Option<String>,
    parent_id: Option<String>,
}

impl ResourceRow {
    pub(super) fn into_resource(self) -> Resource {
        Resource {
            resource_type: self.resource_type,
            id: self.resource_id,
            name: self.name,
            parent: match (self.parent_type, self.parent_id) {
                (Some(resource_type), Some(id)) => Some(ResourceRef { resource_type, id }),
                _ => None,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct GrantRow {
    id: Uuid,
    subject_type: String,
    subject_id: Uuid,
    role: String,
    resource_type: Option<String>,
    resource_id: Option<String>,
    origin: Json<GrantOrigin>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    revision: i64,
    event_id: Uuid,
    at: DateTime<Utc>,
    change: Json<Change>,
}

pub(super) fn kind_str(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Owner => "owner",
        MemberKind::Member => "member",
    }
}

pub(super) fn source_str(source: MemberSource) -> &'static str {
    match source {
        MemberSource::Scim => "scim",
        MemberSource::Saml => "saml",
        MemberSource::Manual => "manual",
    }
}

pub(super) fn subject_parts(subject: Subject) -> (&'static str, Uuid) {
    match subject {
        Subject::User(id) => ("user", id),
        Subject::Group(id) => ("group", id),
    }
}

impl MemberRow {
    fn into_member(self) -> Result<Member, StoreError> {
        let kind = match self.kind.as_str() {
            "owner" => MemberKind::Owner,
            "member" => MemberKind::Member,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown membership kind {other}"
                )))
            }
        };
        Ok(Member {
            id: self.id,
            email: self.email,
            kind,
            active: self.active,
            awaiting_consent: self.awaiting_consent,
        })
    }
}

impl GrantRow {
    pub(super) fn into_grant(self) -> Result<Grant, StoreError> {
        let subject = match self.subject_type.as_str() {
            "user" => Subject::User(self.subject_id),
            "group" => Subject::Group(self.subject_id),
            other => return Err(StoreError::Invalid(format!("unknown subject type {other}"))),
        };
        let scope = match (self.resource_type, self.resource_id) {
            (Some(resource_type), Some(id)) => Scope::Instance(ResourceRef { resource_type, id }),
            _ => Scope::All,
        };
        Ok(Grant {
            id: self.id,
            subject,
            role: self.role,
            scope,
            origin: self.origin.0,
        })
    }
}

pub(super) fn parse_source(s: &str) -> Result<MemberSource, StoreError> {
    match s {
        "scim" => Ok(MemberSource::Scim),
        "saml" => Ok(MemberSource::Saml),
        "manual" => Ok(MemberSource::Manual),
        other => Err(StoreError::Invalid(format!(
            "unknown group member source {other}"
        ))),
    }
}

/// The audit action and target of a change.
pub(super) fn audit_names(change: &Change) -> (&'static str, String) {
    match change {
        Change::ProductsSet { .. } => ("workspace.products", "workspace".into()),
        Change::MemberUpserted { member } => ("member.upsert", format!("member:{}", member.id)),
        Change::MemberRemoved { membership_id } => {
            ("member.delete", format!("member:{membership_id}"))
        }
        Change::GroupUpserted { group } => ("group.upsert", format!("group:{}", group.id)),
        Change::GroupRemoved { group_id } => ("group.delete", format!("group:{group_id}")),
        Change::GroupMembersAdded { group_id, .. } => {
            ("group.members.add", format!("group:{group_id}"))
        }
        Change::GroupMembersRemoved { group_id, .. } => {
            ("group.members.remove", format!("group:{group_id}"))
        }
        Change::ResourceUpserted { resource } => (
            "resource.upsert",
            format!("resource:{}:{}", resource.resource_type, resource.id),
        ),
        Change::ResourceRemoved { resource } => (
            "resource.delete",
            format!("resource:{}:{}", resource.resource_type, resource.id),
        ),
        Change::GrantAdded { grant } => ("grant.create", format!("grant:{}", grant.id)),
        Change::GrantRemoved { grant_id } => ("grant.delete", format!("grant:{grant_id}")),
        Change::CertificateExpiring { connection_id, .. } => (
            "sso.certificate_expiring",
            format!("sso_connection:{connection_id}"),
        ),
    }
}

/// The id of the account with this email (`key`: lower-cased), created if absent; inside the
/// caller's transaction. New accounts get random (v4) ids, which tell nobody when they were
/// made. With `$vouch` (the operator, or the workspace that verified the email's domain, is
/// linking it) the account becomes vouched for; one that only an invitation link's holder had
/// made loses that holder: its password is cleared and its sessions end.
macro_rules! ensure_account {
    ($tx:expr, $email:expr, $key:expr, $vouch:expr, $now:expr) => {{
        let vouch: bool = $vouch;
        sqlx::query(
            "INSERT INTO accounts (id, email, email_key, vouched, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_key) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind($email)
        .bind($key)
        .bind(vouch)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        let (id,): (Uuid,) = sqlx::query_as("SELECT id FROM accounts WHERE email_key = $1")
            .bind($key)
            .fetch_one(&mut *$tx)
            .await?;
        if vouch {
            let taken_over = sqlx::query(
                "UPDATE accounts SET vouched = true, password_hash = NULL \
                 WHERE id = $1 AND NOT vouched",
            )
            .bind(id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if taken_over == 1 {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            }
        }
        Some(id)
    }};
}

/// Runs the SQL of one change inside the caller's transaction.
macro_rules! write_change {
    ($tx:expr, $workspace_id:expr, $change:expr, $ctx:expr, $now:expr) => {{
        let ws: Uuid = $workspace_id;
        let now: DateTime<Utc> = $now;
        match $change {
            Change::ProductsSet { products } => {
                sqlx::query("UPDATE workspaces SET products = $2 WHERE id = $1")
                    .bind(ws)
                    .bind(Json(products))
                    .execute(&mut *$tx)
                    .await?;
            }
            Change::MemberUpserted { member } => {
                let current: Option<(String, bool, bool)> = sqlx::query_as(
                    "SELECT kind, active, account_id IS NULL FROM memberships \
                     WHERE id = $1 AND workspace_id = $2",
                )
                .bind(member.id)
                .bind(ws)
                .fetch_optional(&mut *$tx)
                .await?;
                let stays_active_owner = member.confers_access() && member.kind == MemberKind::Owner;
                if matches!(&current, Some((kind, true, false)) if kind == "owner") && !stays_active_owner {
                    refuse_if_last_owner!($tx, ws, member.id);
                }
                if !member.active {
                    // A deactivated membership's SSO sessions into this workspace end at once.
                    end_sessions!($tx, ws, member.id, now);
                }
                // Identity keys (the membership's and the account's email) are lower-cased, as
                // the index looks them up; SCIM's email uniqueness folds (member_emails).
                let email_key = member.email.trim().to_lowercase();
                // A membership the person (or the domain's workspace, or the operator) vouched
                // for names its account: the one with this email, created if the person has
                // none yet. One awaiting the person names none. A linked membership keeps its
                // account whatever the workspace renames it to.
                let unlinked = current.as_ref().is_none_or(|(_, _, unlinked)| *unlinked);
                let account: Option<Uuid> = if member.awaiting_consent || !unlinked {
                    None
                } else {
                    // Who links decides whether the address is vouched for: the operator, or
                    // the workspace holding the email's verified domain (a person accepting
                    // vouches for nothing).
                    let domain = $crate::domain::workspace::email_domain(&member.email).unwrap_or_default();
                    let authority: Option<(i32,)> = sqlx::query_as(
                        "SELECT 1 FROM workspace_domains WHERE workspace_id = $1 AND domain = $2 \
                         AND verified_at IS NOT NULL",
                    )
                    .bind(ws)
                    .bind(&domain)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    let vouch = authority.is_some()
                        || matches!($ctx.actor, $crate::domain::Actor::Cli);
                    ensure_account!($tx, &member.email, &email_key, vouch, now)
                };
                if current.is_some() {
                    sqlx::query(
                        "UPDATE memberships SET kind = $3, active = $4, email = $5, email_key = $6, \
                         account_id = CASE WHEN $7 THEN NULL ELSE COALESCE(account_id, $8) END, \
                         updated_at = $9 WHERE id = $1 AND workspace_id = $2",
                    )
                    .bind(member.id)
                    .bind(ws)
                    .bind(kind_str(member.kind))
                    .bind(member.active)
                    .bind(&member.email)
                    .bind(&email_key)
                    .bind(member.awaiting_consent)
                    .bind(account)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .map_err(|e| {
                        StoreError::duplicate_if_unique(
                            e,
                            format!("{} is already a member of this workspace", member.email),
                        )
                    })?;
                } else {
                    sqlx::query(
                        // Until an IdP names it otherwise, a member's SCIM userName is its
                        // email, so SCIM clients find members made elsewhere by userName.
                        "INSERT INTO memberships (id, workspace_id, account_id, email, email_key, \
                         kind, active, provenance, created_at, updated_at, user_name, user_name_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $4, $5)",
                    )
                    .bind(member.id)
                    .bind(ws)
                    .bind(account)
                    .bind(&member.email)
                    .bind(&email_key)
                    .bind(kind_str(member.kind))
                    .bind(member.active)
                    .bind($ctx.provenance)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await
                    .map_err(|e| {
                        StoreError::duplicate_if_unique(
                            e,
                            format!("{} is already a member of this workspace", member.email),
                        )
                    })?;
                    // Shown as the User's email until a SCIM document says otherwise.
                    let shown = $crate::domain::case_fold::fold_case(&member.email);
                    $crate::storage::member_emails::insert_member_email!($tx, ws, member.id, &shown);
                }
            }
            Change::MemberRemoved { membership_id } => {
                let current: Option<(String, bool)> = sqlx::query_as(
                    "SELECT kind, active AND account_id IS NOT NULL FROM memberships \
                     WHERE id = $1 AND workspace_id = $2",
                )
                .bind(membership_id)
                .bind(ws)
                .fetch_optional(&mut *$tx)
                .await?;
                if matches!(&current, Some((kind, true)) if kind == "owner") {
                    refuse_if_last_owner!($tx, ws, *membership_id);
                }
                end_sessions!($tx, ws, *membership_id, now);
                sqlx::query("DELETE FROM grants WHERE workspace_id = $1 AND subject_type = 'user' AND subject_id = $2")
                    .bind(ws)
                    .bind(membership_id)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM group_members WHERE membership_id = $1 AND workspace_id = $2")
                    .bind(membership_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM member_emails WHERE membership_id = $1 AND workspace_id = $2")
                    .bind(membership_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM memberships WHERE id = $1 AND workspace_id = $2")
                    .bind(membership_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
            }
            Change::GroupUpserted { group } => {
                let key = $crate::domain::case_fold::fold_case(&group.display_name);
                let renamed_from_other_than: Option<&str> = Some(&group.display_name);
                touch_users!($tx, ws, now, members_of group.id, renamed_from_other_than renamed_from_other_than);
                // A group id of another workspace is never updated: the WHERE makes the
                // upsert touch no row, which is refused below.
                let written = sqlx::query(
                    "INSERT INTO groups (id, workspace_id, display_name, display_name_key, \
                     external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     ON CONFLICT (id) DO UPDATE SET display_name = $3, display_name_key = $4, \
                     external_id = $5, updated_at = $6 WHERE groups.workspace_id = $2",
                )
                .bind(group.id)
                .bind(ws)
                .bind(&group.display_name)
                .bind(&key)
                .bind(group.external_id.as_deref())
                .bind(now)
                .execute(&mut *$tx)
                .await
                .map_err(|e| {
                    StoreError::duplicate_if_unique(
                        e,
                        format!("a group named {:?} already exists", group.display_name),
                    )
                })?
                .rows_affected();
                if written != 1 {
                    return Err(StoreError::Conflict(format!(
                        "group id {} is taken",
                        group.id
                    )));
                }
            }
            Change::GroupRemoved { group_id } => {
                let deleted: Option<&str> = None;
                touch_users!($tx, ws, now, members_of *group_id, renamed_from_other_than deleted);
                sqlx::query("DELETE FROM grants WHERE workspace_id = $1 AND subject_type = 'group' AND subject_id = $2")
                    .bind(ws)
                    .bind(group_id)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND workspace_id = $2")
                    .bind(group_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM groups WHERE id = $1 AND workspace_id = $2")
                    .bind(group_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
            }
            Change::GroupMembersAdded { group_id, membership_ids, source } => {
                // Multi-row inserts: a 10,000-member PATCH is ten statements, not 10,000.
                for chunk in membership_ids.chunks(1_000) {
                    touch_users!($tx, ws, now, joining *group_id, chunk);
                    let values = (0..chunk.len())
                        .map(|i| format!("(${}, $1, $2, $3, $4)", i + 5))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "INSERT INTO group_members (membership_id, group_id, workspace_id, source, added_at) \
                         VALUES {values} ON CONFLICT (group_id, membership_id) DO UPDATE SET source = excluded.source"
                    );
                    let mut query = sqlx::query(&sql)
                        .bind(group_id)
                        .bind(ws)
                        .bind(source_str(*source))
                        .bind(now);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.execute(&mut *$tx).await.map_err(|e| {
                        StoreError::on_reference_violation(
                            e,
                            "a group and its members must belong to this workspace",
                        )
                    })?;
                }
            }
            Change::GroupMembersRemoved { group_id, membership_ids } => {
                for chunk in membership_ids.chunks(1_000) {
                    touch_users!($tx, ws, now, leaving *group_id, chunk);
                    let list = (0..chunk.len())
                        .map(|i| format!("${}", i + 3))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "DELETE FROM group_members WHERE group_id = $1 AND workspace_id = $2 \
                         AND membership_id IN ({list})"
                    );
                    let mut query = sqlx::query(&sql).bind(group_id).bind(ws);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.execute(&mut *$tx).await?;
                }
            }
            Change::ResourceUpserted { resource } => {
                let (parent_type, parent_id) = match &resource.parent {
                    Some(p) => (Some(p.resource_type.as_str()), Some(p.id.as_str())),
                    None => (None, None),
                };
                sqlx::query(
                    "INSERT INTO resources (workspace_id, resource_type, resource_id, name, \
                     parent_type, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (workspace_id, resource_type, resource_id) \
                     DO UPDATE SET name = $4, parent_type = $5, parent_id = $6",
                )
                .bind(ws)
                .bind(&resource.resource_type)
                .bind(&resource.id)
                .bind(&resource.name)
                .bind(parent_type)
                .bind(parent_id)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            }
            Change::ResourceRemoved { resource } => {
                sqlx::query("DELETE FROM grants WHERE workspace_id = $1 AND resource_type = $2 AND resource_id = $3")
                    .bind(ws)
                    .bind(&resource.resource_type)
                    .bind(&resource.id)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("DELETE FROM resources WHERE workspace_id = $1 AND resource_type = $2 AND resource_id = $3")
                    .bind(ws)
                    .bind(&resource.resource_type)
                    .bind(&resource.id)
                    .execute(&mut *$tx)
                    .await?;
            }
            Change::GrantAdded { grant } => {
                let (subject_type, subject_id) = subject_parts(grant.subject);
                let (scope_type, rtype, rid) = match &grant.scope {
                    Scope::All => ("all", None, None),
                    Scope::Instance(r) => ("instance", Some(r.resource_type.as_str()), Some(r.id.as_str())),
                };
                sqlx::query(
                    "INSERT INTO grants (id, workspace_id, subject_type, subject_id, role, \
                     scope_type, resource_type, resource_id, origin, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(grant.id)
                .bind(ws)
                .bind(subject_type)
                .bind(subject_id)
                .bind(&grant.role)
                .bind(scope_type)
                .bind(rtype)
                .bind(rid)
                .bind(Json(&grant.origin))
                .bind(now)
                .execute(&mut *$tx)
                .await
                .map_err(|e| match StoreError::on_unique_violation(e, "this subject already holds that role on that scope") {
                    StoreError::Database(e) => StoreError::on_reference_violation(
                        e,
                        "a grant's subject and resource must belong to this workspace",
                    ),
                    other => other,
                })?;
            }
            Change::GrantRemoved { grant_id } => {
                sqlx::query("DELETE FROM grants WHERE id = $1 AND workspace_id = $2")
                    .bind(grant_id)
                    .bind(ws)
                    .execute(&mut *$tx)
                    .await?;
            }
            // Only the feed row and the audit row (written by the caller).
            Change::CertificateExpiring { .. } => {}
        }
    }};
}

/// Writes `changes` (`&[AuditedChange]`) in order inside the caller's transaction: the rows
/// of each change, its change-feed row at the next revision after `$start`, and its audit
/// row. Evaluates to the last revision written; the caller stores it in `workspaces`.
macro_rules! write_changes {
    ($tx:expr, $workspace_id:expr, $start:expr, $changes:expr, $ctx:expr, $now:expr) => {{
        let ws: Uuid = $workspace_id;
        let now: DateTime<Utc> = $now;
        let ctx: &ChangeContext = $ctx;
        let mut revision: i64 = $start;
        for audited in $changes {
            let audited: &AuditedChange = audited;
            let change = &audited.change;
            write_change!($tx, ws, change, ctx, now);
            revision += 1;
            sqlx::query(
                "INSERT INTO access_changes (workspace_id, revision, event_id, at, change) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ws)
            .bind(revision)
            .bind(Uuid::new_v4())
            .bind(now)
            .bind(Json(change))
            .execute(&mut *$tx)
            .await?;
            let (action, target) = audit_names(change);
            let entry =
                NewAuditEntry::new(ws, &ctx.actor, action, target, ctx.request_id.as_deref())
                    .before(audited.before.clone())
                    .after(serde_json::to_value(change).ok());
            append_audit!(&mut *$tx, &entry)?;
        }
        revision
    }};
}

/// Ends the sessions the person behind a membership signed in to its workspace with (SSO
/// sessions of that workspace; a password session is the person's own and stays).
macro_rules! end_sessions {
    ($tx:expr, $ws:expr, $membership:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE sessions SET revoked_at = $3 WHERE workspace_id = $2 AND revoked_at IS NULL \
             AND account_id = (SELECT account_id FROM memberships WHERE id = $1 AND workspace_id = $2)",
        )
        .bind($membership)
        .bind($ws)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Fails with a conflict when `membership` is the workspace's only active owner.
macro_rules! refuse_if_last_owner {
    ($tx:expr, $ws:expr, $membership:expr) => {{
        let (others,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND kind = 'owner' \
             AND active AND account_id IS NOT NULL AND id <> $2",
        )
        .bind($ws)
        .bind($membership)
        .fetch_one(&mut *$tx)
        .await?;
        if others == 0 {
            return Err(StoreError::Conflict(
                "the last active owner of a workspace cannot be removed, deactivated or demoted; \
                 make another member an owner first"
                    .into(),
            ));
        }
    }};
}

pub(super) use {end_sessions, ensure_account, refuse_if_last_owner, write_change, write_changes};

impl Store {
    /// Writes `changes` in order as one transaction, bumping the workspace revision once per
    /// change and appending the change feed and audit rows. Returns the new revision.
    pub async fn commit_changes(
        &self,
        workspace_id: Uuid,
        changes: &[AuditedChange],
        ctx: &ChangeContext,
    ) -> Result<i64, StoreError> {
        self.commit_changes_with(workspace_id, changes, ctx, &[])
            .await
    }

    /// [`Store::commit_changes`] plus writes that belong to the same transaction but are not
    /// access-model changes (claiming an invitation, a SCIM document); see [`SideWrite`].
    pub async fn commit_changes_with(
        &self,
        workspace_id: Uuid,
        changes: &[AuditedChange],
        ctx: &ChangeContext,
        side_writes: &[SideWrite],
    ) -> Result<i64, StoreError> {
        let revision = self
            .group_commit(workspace_id, changes, ctx, side_writes)
            .await;
        // Cached workspaces keep their settings; only a products change makes them stale
        // (revision readers use `workspace_fresh`).
        if changes
            .iter()
            .any(|c| matches!(c.change, Change::ProductsSet { .. }))
        {
            self.caches.workspaces.clear();
        }
        revision
    }

    /// One transaction for the batch: the workspace row locked once, each change set at the
    /// revisions after the previous one's. Answers one result per change set; `Err` when the
    /// transaction as a whole failed (then nothing of the batch was written).
    pub(super) async fn write_batch(
        &self,
        workspace_id: Uuid,
        batch: &[Pending],
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        // A change set alone needs no savepoint: its failure rolls back the transaction.
        let savepoints = batch.len() > 1;
        in_transaction!(self, tx => {
            let (start,): (i64,) = sqlx::query_as(
                "UPDATE workspaces SET revision = revision WHERE id = $1 RETURNING revision",
            )
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workspace {workspace_id}")))?;
            let mut revision = start;
            let mut results = Vec::with_capacity(batch.len());
            for pending in batch {
                if savepoints {
                    sqlx::query("SAVEPOINT change_set").execute(&mut *tx).await?;
                }
                let now = Utc::now();
                let written: Result<i64, StoreError> = async {
                    let ws = workspace_id;
                    for side in pending.side_writes.iter().filter(|s| s.precedes_changes()) {
                        write_side!(tx, ws, side, now);
                    }
                    let last = write_changes!(tx, ws, revision, &pending.changes, &pending.ctx, now);
                    for side in pending.side_writes.iter().filter(|s| !s.precedes_changes()) {
                        write_side!(tx, ws, side, now);
                    }
                    Ok(last)
                }
                .await;
                match written {
                    Ok(last) => {
                        if savepoints {
                            sqlx::query("RELEASE SAVEPOINT change_set").execute(&mut *tx).await?;
                        }
                        revision = last;
                        results.push(Ok(last));
                    }
                    Err(err) if savepoints => {
                        sqlx::query("ROLLBACK TO SAVEPOINT change_set").execute(&mut *tx).await?;
                        sqlx::query("RELEASE SAVEPOINT change_set").execute(&mut *tx).await?;
                        results.push(Err(err));
                    }
                    Err(err) => return Err(err),
                }
            }
            if revision != start {
                sqlx::query("UPDATE workspaces SET revision = $2 WHERE id = $1")
                    .bind(workspace_id)
                    .bind(revision)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, StoreError>(results)
        })
    }

    /// Everything the access model needs of one workspace, consistent at one revision.
    pub async fn load_snapshot(&self, workspace_id: Uuid) -> Result<Snapshot, StoreError> {
        let member_sql = "SELECT id, email, kind, active, account_id IS NULL AS awaiting_consent \
            FROM memberships WHERE workspace_id = $1";
        let group_sql = "SELECT id, display_name, external_id FROM groups WHERE workspace_id = $1";
        let link_sql =
            "SELECT group_id, membership_id, source FROM group_members WHERE workspace_id = $1";
        let resource_sql = "SELECT resource_type, resource_id, name, parent_type, parent_id \
            FROM resources WHERE workspace_id = $1";
        let grant_sql = "SELECT id, subject_type, subject_id, role, resource_type, resource_id, \
            origin FROM grants WHERE workspace_id = $1";
        let (revision, products, members, groups, links, resources, grants) = in_transaction!(self, tx => {
            if self.backend_name() == "postgres" {
                // One snapshot for all the reads below.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let (revision, products): (i64, Json<Vec<Product>>) =
                sqlx::query_as("SELECT revision, products FROM workspaces WHERE id = $1")
                    .bind(workspace_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("workspace {workspace_id}")))?;
            let members: Vec<MemberRow> = sqlx::query_as(member_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let groups: Vec<GroupRow> = sqlx::query_as(group_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let links: Vec<GroupMemberRow> = sqlx::query_as(link_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let resources: Vec<ResourceRow> = sqlx::query_as(resource_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let grants: Vec<GrantRow> = sqlx::query_as(grant_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            Ok::<_, StoreError>((revision, products, members, groups, links, resources, grants))
        })?;
        Ok(Snapshot {
            revision,
            products: products.0,
            members: members
                .into_iter()
                .map(MemberRow::into_member)
                .collect::<Result<_, _>>()?,
            groups: groups
                .into_iter()
                .map(|g| GroupInfo {
                    id: g.id,
                    display_name: g.display_name,
                    external_id: g.external_id,
                })
                .collect(),
            group_members: links
                .into_iter()
                .map(|l| Ok((l.group_id, l.membership_id, parse_source(&l.source)?)))
                .collect::<Result<_, StoreError>>()?,
            resources: resources
                .into_iter()
                .map(ResourceRow::into_resource)
                .collect(),
            grants: grants
                .into_iter()
                .map(GrantRow::into_grant)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Change-feed events of a workspace after `revision`, in order, at most `limit`.
    pub async fn changes_after(
        &self,
        workspace_id: Uuid,
        revision: i64,
        limit: i64,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        const SQL: &str = "SELECT revision, event_id, at, change FROM access_changes \
            WHERE workspace_id = $1 AND revision > $2 ORDER BY revision LIMIT $3";
        let rows: Vec<ChangeRow> = with_pool!(self, pool => {
            sqlx::query_as(SQL).bind(workspace_id).bind(revision).bind(limit).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| ChangeEvent {
                revision: r.revision,
                event_id: r.event_id,
                at: r.at,
                change: r.change.0,
            })
            .collect())
    }

    /// The current revision of every workspace (instances poll this to notice each other's
    /// writes).
    pub async fn workspace_revisions(&self) -> Result<Vec<(Uuid, i64)>, StoreError> {
        let rows: Vec<(Uuid, i64)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, revision FROM workspaces").fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Writes the built-in role catalog into `role_catalog` (for SQL readers' joins).
    pub(crate) async fn sync_role_catalog(&self) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            sqlx::query("DELETE FROM role_catalog").execute(&mut *tx).await?;
            for role in catalog::roles() {
                sqlx::query("INSERT INTO role_catalog (role, name, product) VALUES ($1, $2, $3)")
                    .bind(role.key)
                    .bind(role.name)
                    .bind(role.product.map(|p| p.as_str()))
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, StoreError>(())
        })
    }
}
