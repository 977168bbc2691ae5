//! Moving one workspace between databases: read it whole into a [`WorkspaceExport`], and
//! recreate it from one. Import is one transaction that writes the access model through the
//! same [`write_changes!`] path as every commit (so the change feed and the audit log
//! describe the imported state from revision 1 on), then the columns beside the model
//! (provenance, SCIM documents, SSO exemption) that no `Change` carries.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    access::{
        audit_names, end_sessions, ensure_account, kind_str, parse_source, refuse_if_last_owner,
        source_str, subject_parts, write_change, write_changes, GrantRow, GroupMemberRow,
        ResourceRow,
    },
    audit::append_audit,
    domains::{insert_claim, mark_verified},
    in_transaction,
    member_emails::{doc_email_keys, replace_member_emails},
    user_versions::touch_users,
    workspaces::{WorkspaceRow, WORKSPACE_COLUMNS},
    AuditedChange, ChangeContext, Store, StoreError,
};
use crate::{
    access::{Change, GroupInfo, Member, MemberKind, MemberSource, Scope},
    domain::case_fold::fold_case,
    domain::query::DocumentKind,
    domain::{
        domains::VerifiedBy,
        transfer::{
            ExportedGroup, ExportedGroupMember, ExportedMember, ExportedWorkspace, ImportTrust,
            WorkspaceExport, EXPORT_FORMAT, NOT_EXPORTED,
        },
        NewAuditEntry, Workspace,
    },
};

#[derive(sqlx::FromRow)]
struct MemberExportRow {
    id: Uuid,
    email: String,
    kind: String,
    active: bool,
    provenance: String,
    user_name: Option<String>,
    external_id: Option<String>,
    scim_doc: Option<Json<serde_json::Value>>,
    sso_exempt: bool,
    awaiting_consent: bool,
}

#[derive(sqlx::FromRow)]
struct GroupExportRow {
    id: Uuid,
    display_name: String,
    external_id: Option<String>,
    scim_doc: Option<Json<serde_json::Value>>,
}

fn parse_kind(kind: &str) -> Result<MemberKind, StoreError> {
    match kind {
        "owner" => Ok(MemberKind::Owner),
        "member" => Ok(MemberKind::Member),
        other => Err(StoreError::Invalid(format!(
            "unknown membership kind {other}"
        ))),
    }
}

impl Store {
    /// Reads a workspace's access model, SCIM views and settings, consistent at one revision.
    pub async fn export_workspace(
        &self,
        workspace_id: Uuid,
    ) -> Result<WorkspaceExport, StoreError> {
        let workspace_sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1");
        let member_sql = "SELECT id, email, kind, active, provenance, user_name, external_id, \
            scim_doc, sso_exempt, account_id IS NULL AS awaiting_consent FROM memberships \
            WHERE workspace_id = $1";
        let group_sql =
            "SELECT id, display_name, external_id, scim_doc FROM groups WHERE workspace_id = $1";
        let link_sql =
            "SELECT group_id, membership_id, source FROM group_members WHERE workspace_id = $1";
        let resource_sql = "SELECT resource_type, resource_id, name, parent_type, parent_id \
            FROM resources WHERE workspace_id = $1";
        let grant_sql = "SELECT id, subject_type, subject_id, role, resource_type, resource_id, \
            origin FROM grants WHERE workspace_id = $1";
        let (workspace, members, groups, links, resources, grants) = in_transaction!(self, tx => {
            if self.backend_name() == "postgres" {
                // One snapshot for all the reads below (SQLite's IMMEDIATE transaction already
                // keeps writers out).
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let workspace: WorkspaceRow = sqlx::query_as(&workspace_sql)
                .bind(workspace_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("workspace {workspace_id}")))?;
            let domains: Vec<(String,)> = sqlx::query_as(
                "SELECT domain FROM workspace_domains WHERE workspace_id = $1 \
                 AND verified_at IS NOT NULL ORDER BY domain",
            )
            .bind(workspace_id)
            .fetch_all(&mut *tx)
            .await?;
            let workspace = workspace.with_domains(domains.into_iter().map(|(d,)| d).collect());
            let members: Vec<MemberExportRow> = sqlx::query_as(member_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let groups: Vec<GroupExportRow> = sqlx::query_as(group_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let links: Vec<GroupMemberRow> = sqlx::query_as(link_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let resources: Vec<ResourceRow> = sqlx::query_as(resource_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            let grants: Vec<GrantRow> = sqlx::query_as(grant_sql).bind(workspace_id).fetch_all(&mut *tx).await?;
            Ok::<_, StoreError>((workspace, members, groups, links, resources, grants))
        })?;

        let mut members = members
            .into_iter()
            .map(|m| {
                Ok(ExportedMember {
                    id: m.id,
                    email: m.email,
                    kind: parse_kind(&m.kind)?,
                    active: m.active,
                    provenance: m.provenance,
                    user_name: m.user_name,
                    external_id: m.external_id,
                    scim_doc: m.scim_doc.map(|d| d.0),
                    sso_exempt: m.sso_exempt,
                    awaiting_consent: m.awaiting_consent,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        members.sort_by_key(|m| m.id);

        let mut links_by_group: HashMap<Uuid, Vec<ExportedGroupMember>> = HashMap::new();
        for link in links {
            links_by_group
                .entry(link.group_id)
                .or_default()
                .push(ExportedGroupMember {
                    membership_id: link.membership_id,
                    source: parse_source(&link.source)?,
                });
        }
        let mut groups: Vec<ExportedGroup> = groups
            .into_iter()
            .map(|g| {
                let mut members = links_by_group.remove(&g.id).unwrap_or_default();
                members.sort_by_key(|l| l.membership_id);
                ExportedGroup {
                    id: g.id,
                    display_name: g.display_name,
                    external_id: g.external_id,
                    scim_doc: g.scim_doc.map(|d| d.0),
                    members,
                }
            })
            .collect();
        groups.sort_by_key(|g| g.id);

        let mut resources: Vec<_> = resources
            .into_iter()
            .map(ResourceRow::into_resource)
            .collect();
        // Parents (sources) before the destinations that name them.
        resources.sort_by(|a, b| {
            (a.parent.is_some(), &a.resource_type, &a.id).cmp(&(
                b.parent.is_some(),
                &b.resource_type,
                &b.id,
            ))
        });
        let mut grants = grants
            .into_iter()
            .map(GrantRow::into_grant)
            .collect::<Result<Vec<_>, _>>()?;
        grants.sort_by_key(|g| g.id);

        Ok(WorkspaceExport {
            format: EXPORT_FORMAT,
            exported_at: Utc::now(),
            source_revision: workspace.revision,
            not_exported: NOT_EXPORTED.iter().map(|s| s.to_string()).collect(),
            workspace: ExportedWorkspace {
                id: workspace.id,
                slug: workspace.slug,
                name: workspace.name,
                products: workspace.products,
                domains: workspace.domains,
                settings: workspace.settings,
            },
            members,
            groups,
            resources,
            grants,
        })
    }

    /// Creates the exported workspace and everything in it in one transaction, keeping every
    /// id (workspace, memberships, groups, grants). Refused whole when the slug, or any id of
    /// the document, exists anywhere in this database, or when one of its domains is verified
    /// by another workspace: a document can only add a workspace, never reach into one.
    /// What the document's domains and members become depends on `trust` ([`ImportTrust`]).
    /// The caller validates the document first (see `service::transfer`); constraint
    /// violations still roll everything back.
    pub async fn import_workspace(
        &self,
        doc: &WorkspaceExport,
        trust: ImportTrust,
        ctx: &ChangeContext,
        search: crate::domain::query::SearchDocument,
    ) -> Result<Workspace, StoreError> {
        let now = Utc::now();
        let w = &doc.workspace;
        let mut workspace = Workspace {
            id: w.id,
            slug: w.slug.clone(),
            name: w.name.clone(),
            products: w.products.clone(),
            domains: match trust {
                ImportTrust::OwnExport => w.domains.clone(),
                ImportTrust::Untrusted => Vec::new(),
            },
            settings: w.settings.clone(),
            revision: 0,
            created_at: now,
        };
        let audit = NewAuditEntry {
            workspace_id: Some(workspace.id),
            actor: ctx.actor.clone(),
            action: "workspace.import".into(),
            target: format!("workspace:{}", workspace.slug),
            before: None,
            after: Some(serde_json::json!({
                "workspace": &workspace,
                "format": doc.format,
                "exported_at": doc.exported_at,
                "source_revision": doc.source_revision,
                "members": doc.members.len(),
                "groups": doc.groups.len(),
                "resources": doc.resources.len(),
                "grants": doc.grants.len(),
            })),
            request_id: ctx.request_id.clone(),
        };
        const INSERT_WORKSPACE: &str = "INSERT INTO workspaces \
            (id, slug, name, products, settings, revision, created_at) \
            VALUES ($1, $2, $3, $4, $5, 0, $6)";
        const MEMBER_COLUMNS: &str = "UPDATE memberships SET provenance = $2, user_name = $3, \
            user_name_key = $4, external_id = $5, scim_doc = $6, sso_exempt = $7, \
            scim_search = $8 WHERE id = $1 AND workspace_id = $9";
        const GROUP_DOC: &str =
            "UPDATE groups SET scim_doc = $2, scim_search = $3 WHERE id = $1 AND workspace_id = $4";
        let member_ids: Vec<Uuid> = doc.members.iter().map(|m| m.id).collect();
        let group_ids: Vec<Uuid> = doc.groups.iter().map(|g| g.id).collect();
        let grant_ids: Vec<Uuid> = doc.grants.iter().map(|g| g.id).collect();
        let revision = in_transaction!(self, tx => {
            let taken: Option<(String,)> =
                sqlx::query_as("SELECT slug FROM workspaces WHERE slug = $1 OR id = $2")
                    .bind(&workspace.slug)
                    .bind(workspace.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((slug,)) = taken {
                return Err(StoreError::Conflict(if slug == workspace.slug {
                    format!("a workspace with slug {slug:?} already exists")
                } else {
                    format!(
                        "workspace id {} already exists here (as {slug:?}): was this export imported before?",
                        workspace.id
                    )
                }));
            }
            for (table, what, ids) in [
                ("memberships", "member", &member_ids),
                ("groups", "group", &group_ids),
                ("grants", "grant", &grant_ids),
            ] {
                for chunk in ids.chunks(1_000) {
                    let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                    let sql = format!("SELECT id FROM {table} WHERE id IN ({list}) LIMIT 1");
                    let mut query = sqlx::query_as::<_, (Uuid,)>(&sql);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    if let Some((id,)) = query.fetch_optional(&mut *tx).await? {
                        return Err(StoreError::Conflict(format!(
                            "{what} id {id} exists already in this database: an import only \
                             adds a new workspace, with ids of its own"
                        )));
                    }
                }
            }
            sqlx::query(INSERT_WORKSPACE)
                .bind(workspace.id)
                .bind(&workspace.slug)
                .bind(&workspace.name)
                .bind(Json(&workspace.products))
                .bind(Json(&workspace.settings))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::on_unique_violation(
                        e,
                        format!("a workspace with slug {:?} already exists", workspace.slug),
                    )
                })?;
            append_audit!(&mut *tx, &audit)?;
            // The operator's own export: its domains were verified where it came from, and
            // the operator vouches for them here. Any other document only claims them.
            for domain in &doc.workspace.domains {
                let _ = insert_claim!(tx, workspace.id, domain.as_str(), now);
                if trust == ImportTrust::OwnExport {
                    let _ = mark_verified!(tx, workspace.id, domain.as_str(), VerifiedBy::Operator, now);
                }
            }
            // Members of the operator's own export are linked as they were; those of any other
            // document wait for their people (decided without looking at who has an account).
            let awaiting: HashSet<Uuid> = doc
                .members
                .iter()
                .filter(|m| m.awaiting_consent || trust == ImportTrust::Untrusted)
                .map(|m| m.id)
                .collect();

            let changes = import_changes(doc, &awaiting);
            let revision = write_changes!(tx, workspace.id, 0, &changes, ctx, now);

            for m in &doc.members {
                sqlx::query(MEMBER_COLUMNS)
                    .bind(m.id)
                    .bind(&m.provenance)
                    .bind(m.user_name.as_deref())
                    .bind(m.user_name.as_deref().map(fold_case))
                    .bind(m.external_id.as_deref())
                    .bind(m.scim_doc.as_ref().map(Json))
                    .bind(m.sso_exempt)
                    .bind(m.scim_doc.as_ref().map(|d| Json(search(DocumentKind::User, d))))
                    .bind(workspace.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        StoreError::on_unique_violation(
                            e,
                            format!("userName {:?} appears twice", m.user_name),
                        )
                    })?;
                if let Some(scim_doc) = &m.scim_doc {
                    let emails = doc_email_keys(scim_doc);
                    replace_member_emails!(tx, workspace.id, m.id, &emails);
                }
            }
            for g in doc.groups.iter().filter(|g| g.scim_doc.is_some()) {
                sqlx::query(GROUP_DOC)
                    .bind(g.id)
                    .bind(g.scim_doc.as_ref().map(Json))
                    .bind(g.scim_doc.as_ref().map(|d| Json(search(DocumentKind::Group, d))))
                    .bind(workspace.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE workspaces SET revision = $2 WHERE id = $1")
                .bind(workspace.id)
                .bind(revision)
                .execute(&mut *tx)
                .await?;
            Ok::<_, StoreError>(revision)
        })?;
        self.caches.workspaces.clear();
        workspace.revision = revision;
        Ok(workspace)
    }
}

/// The access-model changes that build the exported state from nothing, in an order every
/// reference is satisfied in: products (already in the workspace row, repeated so the feed
/// alone rebuilds the state), resources (sources before destinations), members, groups,
/// group links (one change per group and source), grants.
fn import_changes(doc: &WorkspaceExport, awaiting: &HashSet<Uuid>) -> Vec<AuditedChange> {
    let mut changes: Vec<AuditedChange> = vec![Change::ProductsSet {
        products: doc.workspace.products.clone(),
    }
    .into()];
    let (roots, children): (Vec<_>, Vec<_>) =
        doc.resources.iter().partition(|r| r.parent.is_none());
    for resource in roots.into_iter().chain(children) {
        changes.push(
            Change::ResourceUpserted {
                resource: resource.clone(),
            }
            .into(),
        );
    }
    for m in &doc.members {
        let member = Member {
            id: m.id,
            email: m.email.trim().to_string(),
            kind: m.kind,
            active: m.active,
            awaiting_consent: awaiting.contains(&m.id),
        };
        changes.push(Change::MemberUpserted { member }.into());
    }
    for g in &doc.groups {
        let group = GroupInfo {
            id: g.id,
            display_name: g.display_name.clone(),
            external_id: g.external_id.clone(),
        };
        changes.push(Change::GroupUpserted { group }.into());
    }
    for g in &doc.groups {
        for source in [MemberSource::Scim, MemberSource::Saml, MemberSource::Manual] {
            let membership_ids: Vec<Uuid> = g
                .members
                .iter()
                .filter(|l| l.source == source)
                .map(|l| l.membership_id)
                .collect();
            if !membership_ids.is_empty() {
                changes.push(
                    Change::GroupMembersAdded {
                        group_id: g.id,
                        membership_ids,
                        source,
                    }
                    .into(),
                );
            }
        }
    }
    for grant in &doc.grants {
        changes.push(
            Change::GrantAdded {
                grant: grant.clone(),
            }
            .into(),
        );
    }
    changes
}
