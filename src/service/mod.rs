//! Use cases of the access model: the admin operations (resources, members, groups, grants)
//! and the questions other services ask. Each write validates against the workspace's index,
//! commits the access model's own [`Change`]s in one transaction, then replays them into this
//! instance's index before returning the new revision.

pub mod activity;
pub mod cache;
mod consent;
pub mod domains;
pub mod invites;
pub mod keyed_tasks;
pub mod legacy;
pub mod passwords;
pub mod purge;
pub mod rules;
pub mod signin;
pub mod sso;
pub mod throttle;
pub mod transfer;
pub mod webhook_signature;
pub mod webhooks;

use std::sync::Arc;

use uuid::Uuid;

pub use cache::{AccessCache, CacheError};

use crate::{
    access::{
        Change, Email, Grant, GrantError, GrantOrigin, GroupInfo, InvalidValue, Member, MemberKey,
        MemberKind, MemberSource, NewResource, ResourceRef, ResourceType, RoleKey, Scope, Subject,
        WorkspaceIndex,
    },
    domain::{Actor, Workspace},
    storage::{AuditedChange, ChangeContext, SideWrite, Store, StoreError},
};

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InvalidValue> for ServiceError {
    fn from(err: InvalidValue) -> Self {
        ServiceError::Invalid(err.0)
    }
}

/// The access model's operations over one store and this instance's cache.
#[derive(Clone)]
pub struct AccessService {
    pub store: Store,
    pub cache: Arc<AccessCache>,
}

/// Limits on caller-chosen strings (resource ids, names).
const MAX_NAME: usize = 256;

fn check_text(what: &str, value: &str) -> Result<(), ServiceError> {
    if value.trim().is_empty() || value.len() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "{what} must be 1 to {MAX_NAME} characters without control characters"
        )));
    }
    Ok(())
}

impl AccessService {
    pub fn new(store: Store) -> Self {
        let cache = AccessCache::new(store.clone());
        Self { store, cache }
    }

    /// Reads the workspace's index as it is on this instance (at least at `at_least_revision`).
    pub async fn read<R>(
        &self,
        workspace: &Workspace,
        at_least_revision: Option<i64>,
        read: impl FnOnce(&WorkspaceIndex) -> R,
    ) -> Result<R, ServiceError> {
        Ok(self
            .cache
            .read(workspace.id, at_least_revision, read)
            .await?)
    }

    /// Commits the changes, then brings this instance's index up to the new revision.
    pub async fn commit(
        &self,
        workspace: &Workspace,
        changes: Vec<AuditedChange>,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        self.commit_with(workspace, changes, ctx, &[]).await
    }

    /// [`AccessService::commit`] with extra writes in the same transaction (SCIM documents,
    /// invitation claims). When groups appeared, changed or went, mapping rules are applied
    /// right after, so a rule's grants follow its groups whoever made them.
    pub async fn commit_with(
        &self,
        workspace: &Workspace,
        changes: Vec<AuditedChange>,
        ctx: &ChangeContext,
        side_writes: &[SideWrite],
    ) -> Result<i64, ServiceError> {
        let groups_changed = changes.iter().any(|c| {
            matches!(
                c.change,
                Change::GroupUpserted { .. } | Change::GroupRemoved { .. }
            )
        });
        let revision = self
            .commit_inner(workspace, changes, ctx, side_writes)
            .await?;
        if groups_changed {
            self.reconcile_after_group_change(workspace, ctx).await?;
            return Ok(self.cache.catch_up(workspace.id).await?);
        }
        Ok(revision)
    }

    /// Commits without applying mapping rules (the rules engine itself commits through here).
    async fn commit_inner(
        &self,
        workspace: &Workspace,
        changes: Vec<AuditedChange>,
        ctx: &ChangeContext,
        side_writes: &[SideWrite],
    ) -> Result<i64, ServiceError> {
        if changes.is_empty() && side_writes.is_empty() {
            return Ok(self.cache.catch_up(workspace.id).await?);
        }
        let revision = self
            .store
            .commit_changes_with(workspace.id, &changes, ctx, side_writes)
            .await?;
        // Read-your-writes: the index holds this commit before the caller answers.
        self.cache.catch_up_to(workspace.id, revision).await?;
        Ok(revision)
    }

    /// The member named by a membership id, account id or email.
    pub async fn member(&self, workspace: &Workspace, key: &str) -> Result<Member, ServiceError> {
        let key = MemberKey::parse(key);
        self.read(workspace, None, |ix| ix.find_member(&key).cloned())
            .await?
            .ok_or_else(|| ServiceError::NotFound("member".into()))
    }

    // ---- resources -------------------------------------------------------------------------

    /// Registers (or renames) a resource instance.
    pub async fn register_resource(
        &self,
        workspace: &Workspace,
        resource: NewResource,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        let is_destination = resource.resource_type == ResourceType::DESTINATION;
        let resource = resource.into_resource();
        check_text("id", &resource.id)?;
        check_text("name", &resource.name)?;
        let (parent_ok, before) = self
            .read(workspace, None, |ix| {
                let parent_ok = match &resource.parent {
                    Some(p) => p.resource_type == "source" && ix.resource(p).is_some(),
                    None => true,
                };
                let before = ix
                    .resource(&resource.to_ref())
                    .and_then(|r| serde_json::to_value(r).ok());
                (parent_ok, before)
            })
            .await?;
        match (&resource.parent, is_destination) {
            (None, true) => {
                return Err(ServiceError::Invalid(
                    "a destination needs a parent source: {\"parent\": {\"type\": \"source\", \"id\": …}}".into(),
                ))
            }
            (Some(_), false) => {
                return Err(ServiceError::Invalid(
                    "only destinations have a parent".into(),
                ))
            }
            (Some(p), true) if !parent_ok => {
                return Err(ServiceError::Invalid(format!(
                    "parent source {:?} is not registered in this workspace",
                    p.id
                )))
            }
            _ => {}
        }
        let change = AuditedChange {
            change: Change::ResourceUpserted { resource },
            before,
        };
        self.commit(workspace, vec![change], ctx).await
    }

    /// Unregisters a resource, its instance grants and (for a source) its destinations.
    pub async fn remove_resource(
        &self,
        workspace: &Workspace,
        resource: ResourceRef,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        let changes = self
            .read(workspace, None, |ix| {
                let target = ix.resource(&resource)?;
                let mut doomed = vec![target.clone()];
                if resource.resource_type == "source" {
                    doomed.extend(
                        ix.resources()
                            .filter(|r| r.parent.as_ref() == Some(&resource))
                            .cloned(),
                    );
                }
                let mut changes = Vec::new();
                for r in &doomed {
                    let on_it = Scope::Instance(r.to_ref());
                    for grant in ix.grants().filter(|g| g.scope == on_it) {
                        changes.push(AuditedChange {
                            change: Change::GrantRemoved { grant_id: grant.id },
                            before: serde_json::to_value(grant).ok(),
                        });
                    }
                }
                // Children first, so a destination never outlives its source in the feed.
                for r in doomed.iter().rev() {
                    changes.push(AuditedChange {
                        change: Change::ResourceRemoved {
                            resource: r.to_ref(),
                        },
                        before: serde_json::to_value(r).ok(),
                    });
                }
                Some(changes)
            })
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("{} {:?}", resource.resource_type, resource.id))
            })?;
        self.commit(workspace, changes, ctx).await
    }

    // ---- members ---------------------------------------------------------------------------

    /// Adds a person (by email) to the workspace. Outside the workspace's verified domains
    /// the membership waits for the person to accept it (see [`needs_consent`]).
    pub async fn add_member(
        &self,
        workspace: &Workspace,
        email: &Email,
        kind: MemberKind,
        ctx: &ChangeContext,
    ) -> Result<(Member, i64), ServiceError> {
        let email = email.as_str().to_string();
        let existing = self
            .read(workspace, None, |ix| {
                ix.find_member(&MemberKey::Email(email.clone())).cloned()
            })
            .await?;
        if existing.is_some() {
            return Err(ServiceError::Conflict(format!(
                "{email} is already a member of this workspace"
            )));
        }
        let member = Member {
            id: Uuid::now_v7(),
            awaiting_consent: needs_consent(workspace, &email, &ctx.actor),
            email,
            kind,
            active: true,
        };
        let change = Change::MemberUpserted {
            member: member.clone(),
        };
        let revision = self.commit(workspace, vec![change.into()], ctx).await?;
        Ok((member, revision))
    }

    /// Changes a member's kind, active flag and Require-SSO exemption, in one transaction.
    pub async fn update_member(
        &self,
        workspace: &Workspace,
        key: &str,
        kind: Option<MemberKind>,
        active: Option<bool>,
        sso_exempt: Option<bool>,
        ctx: &ChangeContext,
    ) -> Result<(Member, i64), ServiceError> {
        let before = self.member(workspace, key).await?;
        let after = Member {
            kind: kind.unwrap_or(before.kind),
            active: active.unwrap_or(before.active),
            ..before.clone()
        };
        let changes = if after == before {
            Vec::new()
        } else {
            vec![AuditedChange {
                change: Change::MemberUpserted {
                    member: after.clone(),
                },
                before: serde_json::to_value(&before).ok(),
            }]
        };
        let side_writes: Vec<SideWrite> = sso_exempt
            .map(|exempt| SideWrite::SsoExempt {
                membership_id: before.id,
                exempt,
                audit: crate::domain::NewAuditEntry::new(
                    workspace.id,
                    &ctx.actor,
                    "member.sso_exempt",
                    format!("member:{}", before.id),
                    ctx.request_id.as_deref(),
                )
                .after(Some(serde_json::json!({ "sso_exempt": exempt }))),
            })
            .into_iter()
            .collect();
        let revision = self
            .commit_with(workspace, changes, ctx, &side_writes)
            .await?;
        Ok((after, revision))
    }

    /// Removes a membership (the account survives), with its group links and direct grants.
    pub async fn remove_member(
        &self,
        workspace: &Workspace,
        key: &str,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        let before = self.member(workspace, key).await?;
        let change = AuditedChange {
            change: Change::MemberRemoved {
                membership_id: before.id,
            },
            before: serde_json::to_value(&before).ok(),
        };
        self.commit(workspace, vec![change], ctx).await
    }

    // ---- groups ----------------------------------------------------------------------------

    /// Creates a group; display names are unique case-insensitively.
    pub async fn create_group(
        &self,
        workspace: &Workspace,
        display_name: &str,
        external_id: Option<String>,
        ctx: &ChangeContext,
    ) -> Result<(GroupInfo, i64), ServiceError> {
        check_text("displayName", display_name)?;
        let group = GroupInfo {
            id: Uuid::now_v7(),
            display_name: display_name.trim().to_string(),
            external_id,
        };
        let change = Change::GroupUpserted {
            group: group.clone(),
        };
        let revision = self.commit(workspace, vec![change.into()], ctx).await?;
        Ok((group, revision))
    }

    /// The group with this id.
    pub async fn group(&self, workspace: &Workspace, id: Uuid) -> Result<GroupInfo, ServiceError> {
        self.read(workspace, None, |ix| ix.group(id).cloned())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("group {id}")))
    }

    /// Deletes a group with its member links and grants.
    pub async fn delete_group(
        &self,
        workspace: &Workspace,
        id: Uuid,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        let before = self.group(workspace, id).await?;
        let change = AuditedChange {
            change: Change::GroupRemoved { group_id: id },
            before: serde_json::to_value(&before).ok(),
        };
        self.commit(workspace, vec![change], ctx).await
    }

    /// Puts a member in a group (recording where the link came from).
    pub async fn add_group_member(
        &self,
        workspace: &Workspace,
        group_id: Uuid,
        member: &str,
        source: MemberSource,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        self.group(workspace, group_id).await?;
        let member = self.member(workspace, member).await?;
        let change = Change::GroupMembersAdded {
            group_id,
            membership_ids: vec![member.id],
            source,
        };
        self.commit(workspace, vec![change.into()], ctx).await
    }

    /// Takes a member out of a group.
    pub async fn remove_group_member(
        &self,
        workspace: &Workspace,
        group_id: Uuid,
        member: &str,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        self.group(workspace, group_id).await?;
        let member = self.member(workspace, member).await?;
        let change = Change::GroupMembersRemoved {
            group_id,
            membership_ids: vec![member.id],
        };
        self.commit(workspace, vec![change.into()], ctx).await
    }

    // ---- grants ----------------------------------------------------------------------------

    /// Validates and adds a grant.
    pub async fn add_grant(
        &self,
        workspace: &Workspace,
        subject: Subject,
        role: RoleKey,
        scope: Scope,
        origin: GrantOrigin,
        ctx: &ChangeContext,
    ) -> Result<(Grant, i64), ServiceError> {
        let allow_owner = workspace.settings.allow_idp_managed_owners;
        self.read(workspace, None, |ix| {
            let subject_exists = match subject {
                Subject::User(id) => ix.find_member(&MemberKey::Membership(id)).is_some(),
                Subject::Group(id) => ix.group(id).is_some(),
            };
            if !subject_exists {
                return Err(ServiceError::NotFound("grant subject".into()));
            }
            Ok(ix.validate_grant(role.as_str(), &scope, allow_owner)?)
        })
        .await??;
        let grant = Grant {
            id: Uuid::now_v7(),
            subject,
            role: role.as_str().to_string(),
            scope,
            origin,
        };
        let change = Change::GrantAdded {
            grant: grant.clone(),
        };
        let revision = self.commit(workspace, vec![change.into()], ctx).await?;
        Ok((grant, revision))
    }

    /// Removes a grant.
    pub async fn remove_grant(
        &self,
        workspace: &Workspace,
        id: Uuid,
        ctx: &ChangeContext,
    ) -> Result<i64, ServiceError> {
        let before = self
            .read(workspace, None, |ix| ix.grant(id).cloned())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("grant {id}")))?;
        let change = AuditedChange {
            change: Change::GrantRemoved { grant_id: id },
            before: serde_json::to_value(&before).ok(),
        };
        self.commit(workspace, vec![change], ctx).await
    }
}

/// Applies pending migrations and the upgrades SQL cannot do (with SCIM's search copies of
/// stored documents): what `gatehouse migrate` and `serve` run.
pub async fn migrate(store: &Store) -> Result<(), StoreError> {
    store.migrate(crate::scim::schema::search_document).await
}

/// Whether a membership for `email` must wait for the person to accept it. A workspace links
/// a person's account without asking only for emails of the domains it verified (the company
/// owns those identities); the operator at the command line may always. Decided on the email
/// alone, never on whether the person has an account, so the answer tells a workspace nothing
/// about people elsewhere.
pub fn needs_consent(workspace: &Workspace, email: &str, actor: &Actor) -> bool {
    !matches!(actor, Actor::Cli) && !workspace.is_authority_for(email)
}
