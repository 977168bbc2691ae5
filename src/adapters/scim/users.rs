//! SCIM Users (RFC 7643 §4.1) as workspace memberships. The document is stored as sent;
//! `userName`, `externalId` and `active` live in columns (indexed, authoritative); `groups` is
//! computed. A User's email (primary, else work, else first, else an email-shaped userName)
//! names the account: one account per person, linked — never duplicated — across workspaces.

use serde_json::{json, Value};
use uuid::Uuid;

use super::kind::{ScimKind, Stamp, Users};
use super::resources::{
    optional_string, required_string, stored_document, validated_document, ListParams, ScimContext,
};
use crate::scim::error::ScimError;
use crate::scim::patch::MemberDelta;
use crate::scim::schema::{ResourceSchema, ENTERPRISE_USER_URN, USER_URN};
use crate::{
    access::{Change, Grant, GrantOrigin, Member, MemberKey, MemberKind, Scope, Subject},
    storage::{
        scim::{ScimQuery, ScimUserGroupRow, ScimUserRow},
        AuditedChange, SideWrite, StoreError,
    },
};

/// Attributes never stored in the document: computed, write-only or out of band.
const NOT_STORED: [&str; 2] = ["groups", "password"];

/// The email that names the person behind a User.
fn email_of(doc: &Value, user_name: &str) -> Result<String, ScimError> {
    let emails: Vec<&Value> = doc
        .get("emails")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let value = |e: &&Value| e.get("value").and_then(Value::as_str).map(str::to_string);
    let chosen = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .and_then(value)
        .or_else(|| {
            emails
                .iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("work"))
                .and_then(value)
        })
        .or_else(|| emails.first().and_then(value));
    match chosen {
        Some(email) => crate::access::Email::parse(&email)
            .map(crate::access::Email::into_string)
            .map_err(|e| ScimError::invalid_value(e.to_string())),
        // RFC 7643 makes emails optional: without one, the userName names the account (such
        // an account cannot sign in by SSO, which matches on email).
        None => Ok(user_name.to_string()),
    }
}

/// The write of a User's SCIM view: the stored document and its search copy.
fn user_write(
    membership_id: Uuid,
    user_name: String,
    external_id: Option<String>,
    doc: Value,
    expected_version: Option<i64>,
) -> SideWrite {
    let doc = stored_document(doc, &NOT_STORED);
    SideWrite::ScimUser {
        membership_id,
        user_name,
        external_id,
        search: crate::scim::schema::search_document(
            crate::domain::query::DocumentKind::User,
            &doc,
        ),
        doc,
        expected_version,
    }
}

impl ScimKind for Users {
    const NAME: &'static str = "User";
    const ENDPOINT: &'static str = "Users";
    const RELATED: &'static str = "groups";
    type Row = ScimUserRow;
    type Related = ScimUserGroupRow;

    fn schema() -> &'static ResourceSchema {
        ResourceSchema::user()
    }

    fn stamp(row: &ScimUserRow) -> Stamp {
        Stamp::new(row.id, row.version, row.created_at, row.updated_at)
    }

    async fn find(ctx: &ScimContext, id: Uuid) -> Result<Option<ScimUserRow>, StoreError> {
        ctx.state.store.scim_user(ctx.workspace.id, id).await
    }

    async fn search(
        ctx: &ScimContext,
        query: &ScimQuery<'_>,
    ) -> Result<(i64, Vec<ScimUserRow>), StoreError> {
        ctx.state
            .store
            .scim_list_users(ctx.workspace.id, query)
            .await
    }

    async fn related(ctx: &ScimContext, ids: &[Uuid]) -> Result<Vec<ScimUserGroupRow>, ScimError> {
        ctx.groups_of_users(ids).await
    }

    fn document(
        ctx: &ScimContext,
        row: &ScimUserRow,
        groups: Option<&[ScimUserGroupRow]>,
    ) -> Value {
        ctx.user_document(row, groups.unwrap_or_default())
    }

    async fn create(ctx: &ScimContext, body: &Value) -> Result<(Value, i64), ScimError> {
        ctx.create_user(body).await
    }

    async fn write_replaced(
        ctx: &ScimContext,
        before: &ScimUserRow,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let doc = validated_document(body, Users::schema(), &NOT_STORED)?;
        ctx.write_user(before, doc, expected_version).await
    }

    /// A User has no members: the delta is always empty.
    async fn write_patched(
        ctx: &ScimContext,
        before: &ScimUserRow,
        doc: Value,
        _members: &MemberDelta,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        ctx.write_user(before, doc, expected_version).await
    }

    async fn remove(ctx: &ScimContext, row: &ScimUserRow) -> Result<(), ScimError> {
        ctx.remove_user(row).await
    }

    /// User PATCH answers 200 with the written User, projected.
    async fn patch_answer(
        _ctx: &ScimContext,
        _id: &str,
        params: &ListParams,
        written: Value,
        version: i64,
    ) -> Result<Option<(Value, i64)>, ScimError> {
        Ok(Some((params.project(&written, Users::schema()), version)))
    }
}

impl ScimContext {
    /// A row's User resource without `meta`.
    fn user_document(&self, row: &ScimUserRow, groups: &[ScimUserGroupRow]) -> Value {
        let mut doc = match &row.scim_doc {
            Some(doc) => doc.0.clone(),
            // A membership made outside SCIM (admin API, invitation, SSO) still shows as a User.
            None => json!({
                "schemas": [USER_URN],
                "emails": [{ "value": row.email, "primary": true }],
            }),
        };
        let object = doc
            .as_object_mut()
            .expect("stored SCIM documents are objects");
        object.remove("password");
        let mut schemas: Vec<Value> = vec![json!(USER_URN)];
        if object.contains_key(ENTERPRISE_USER_URN) {
            schemas.push(json!(ENTERPRISE_USER_URN));
        }
        object.insert("schemas".into(), Value::Array(schemas));
        object.insert("id".into(), json!(row.id));
        object.insert(
            "userName".into(),
            json!(row.user_name.as_deref().unwrap_or(&row.email)),
        );
        match &row.external_id {
            Some(e) => object.insert("externalId".into(), json!(e)),
            None => object.remove("externalId"),
        };
        // `active` is shown when the IdP assigned it, and always when the member is inactive.
        if object.contains_key("active") || !row.active {
            object.insert("active".into(), json!(row.active));
        }
        let groups: Vec<Value> = groups
            .iter()
            .filter(|g| g.membership_id == row.id)
            .map(|g| {
                json!({
                    "value": g.group_id,
                    "$ref": format!("{}/Groups/{}", self.base, g.group_id),
                    "display": g.display_name,
                    "type": "direct",
                })
            })
            .collect();
        if groups.is_empty() {
            object.remove("groups");
        } else {
            object.insert("groups".into(), Value::Array(groups));
        }
        doc
    }

    /// The groups of these users, from this instance's access index (exact to the latest
    /// revision it has applied), so reading a User costs one query, not two.
    async fn groups_of_users(&self, ids: &[Uuid]) -> Result<Vec<ScimUserGroupRow>, ScimError> {
        Ok(self
            .state
            .access
            .read(&self.workspace, None, |ix| {
                let mut rows = Vec::new();
                for id in ids {
                    let mut groups = ix.member_groups(*id);
                    groups.sort_by_key(|(g, _)| g.display_name.to_lowercase());
                    rows.extend(groups.into_iter().map(|(g, _)| ScimUserGroupRow {
                        membership_id: *id,
                        group_id: g.id,
                        display_name: g.display_name.clone(),
                    }));
                }
                rows
            })
            .await?)
    }

    /// POST /Users: creates (or links) the membership and stores the document.
    pub(super) async fn create_user(&self, body: &Value) -> Result<(Value, i64), ScimError> {
        let doc = validated_document(body, Users::schema(), &NOT_STORED)?;
        let user_name = required_string(&doc, "userName")?;
        let email = email_of(&doc, &user_name)?;
        let active = doc.get("active").and_then(Value::as_bool).unwrap_or(true);
        let external_id = optional_string(&doc, "externalId");
        let access = &self.state.access;
        let existing = access
            .read(&self.workspace, None, |ix| {
                ix.find_member(&MemberKey::Email(email.clone())).cloned()
            })
            .await?;
        let member = match existing {
            Some(member) => {
                // Linked, never duplicated: a member made by an invitation or SSO gains its
                // SCIM view; a member already provisioned by SCIM is a conflict.
                let row = Users::row(self, member.id).await?;
                if row.scim_doc.is_some() {
                    return Err(ScimError::uniqueness(format!(
                        "a User with the email {email} already exists in this workspace"
                    )));
                }
                Member { active, ..member }
            }
            // Outside the workspace's verified domains the person decides (the User exists
            // as sent, but confers nothing until they accept).
            None => Member {
                id: Uuid::now_v7(),
                awaiting_consent: crate::service::needs_consent(
                    &self.workspace,
                    &email,
                    &self.change_context().actor,
                ),
                email,
                kind: MemberKind::Member,
                active,
            },
        };
        let roles = self.scim_role_changes(member.id, &doc).await?;
        let side = user_write(member.id, user_name, external_id, doc, None);
        let change = Change::MemberUpserted {
            member: member.clone(),
        };
        let mut changes = vec![change.into()];
        changes.extend(roles);
        self.commit(changes, &[side]).await?;
        let row = Users::row(self, member.id).await?;
        Ok((Users::render(self, &row, None), row.version))
    }

    /// Writes a new document for an existing User (PUT and PATCH end here).
    pub(super) async fn write_user(
        &self,
        before: &ScimUserRow,
        doc: Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let user_name = required_string(&doc, "userName")?;
        // An unassigned `active` (removed by PATCH, left out of PUT) means active, as on create.
        let active = doc.get("active").and_then(Value::as_bool).unwrap_or(true);
        let external_id = optional_string(&doc, "externalId");
        let member = self
            .state
            .access
            .read(&self.workspace, None, |ix| {
                ix.find_member(&MemberKey::Membership(before.id)).cloned()
            })
            .await?
            .ok_or_else(|| ScimError::not_found(format!("User {} not found", before.id)))?;
        // The email that names the membership follows the User: a rename frees the old value
        // in this workspace at once.
        let email = email_of(&doc, &user_name)?;
        let renamed = email.trim().to_lowercase() != member.email.trim().to_lowercase();
        // A membership made before the workspace verified the person's domain waited for
        // them; the domain's IdP now speaks for them.
        let after = Member {
            active,
            awaiting_consent: member.awaiting_consent && !self.workspace.is_authority_for(&email),
            email: email.clone(),
            ..member.clone()
        };
        // The account's own address (its sign-in identity everywhere) moves only when this
        // workspace is the authority for both the old and the new address; otherwise the
        // rename stays in this workspace's view.
        let moves_account = renamed
            && !member.awaiting_consent
            && self.workspace.is_authority_for(&member.email)
            && self.workspace.is_authority_for(&email);
        // Every write bumps the revision, so the change is in the feed and the audit log.
        let change = AuditedChange {
            change: Change::MemberUpserted { member: after },
            before: serde_json::to_value(&member).ok(),
        };
        let mut changes = vec![change];
        changes.extend(self.scim_role_changes(before.id, &doc).await?);
        let mut sides = vec![user_write(
            before.id,
            user_name,
            external_id,
            doc,
            expected_version,
        )];
        if moves_account {
            sides.push(SideWrite::RenameAccount {
                membership_id: before.id,
                email,
            });
        }
        self.commit(changes, &sides).await?;
        let row = Users::row(self, before.id).await?;
        let groups = self.groups_of_users(&[row.id]).await?;
        Ok((Users::render(self, &row, Some(&groups)), row.version))
    }

    /// With the workspace's `scim_roles` setting on, `roles[].value` naming catalog roles
    /// become grants (scope: all instances, origin `scim`), replaced as the IdP sends them
    /// (Entra app roles, Okta role attributes). Unknown values are `invalidValue`.
    async fn scim_role_changes(
        &self,
        membership_id: Uuid,
        doc: &Value,
    ) -> Result<Vec<AuditedChange>, ScimError> {
        if !self.workspace.settings.scim_roles {
            return Ok(Vec::new());
        }
        let wanted: std::collections::BTreeSet<String> = doc
            .get("roles")
            .and_then(Value::as_array)
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.get("value").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let allow_owner = self.workspace.settings.allow_idp_managed_owners;
        let changes = self
            .state
            .access
            .read(&self.workspace, None, |ix| {
                for role in &wanted {
                    ix.validate_grant(role, &Scope::All, allow_owner)
                        .map_err(|e| {
                            ScimError::invalid_value(format!(
                                "roles: {role:?} cannot be granted: {e}"
                            ))
                        })?;
                }
                let current: Vec<&Grant> = ix
                    .grants_of(Subject::User(membership_id))
                    .into_iter()
                    .filter(|g| g.origin == GrantOrigin::Scim)
                    .collect();
                let mut changes: Vec<AuditedChange> = current
                    .iter()
                    .filter(|g| !wanted.contains(&g.role) || g.scope != Scope::All)
                    .map(|g| AuditedChange {
                        change: Change::GrantRemoved { grant_id: g.id },
                        before: serde_json::to_value(g).ok(),
                    })
                    .collect();
                for role in wanted.iter().filter(|r| {
                    !current
                        .iter()
                        .any(|g| &g.role == *r && g.scope == Scope::All)
                }) {
                    changes.push(
                        Change::GrantAdded {
                            grant: Grant {
                                id: Uuid::now_v7(),
                                subject: Subject::User(membership_id),
                                role: role.clone(),
                                scope: Scope::All,
                                origin: GrantOrigin::Scim,
                            },
                        }
                        .into(),
                    );
                }
                Ok::<_, ScimError>(changes)
            })
            .await??;
        Ok(changes)
    }

    /// Removes the membership (the account survives).
    async fn remove_user(&self, row: &ScimUserRow) -> Result<(), ScimError> {
        self.state
            .access
            .remove_member(&self.workspace, &row.id.to_string(), &self.change_context())
            .await
            .map_err(|e| match e {
                crate::service::ServiceError::Store(crate::storage::StoreError::Conflict(msg)) => {
                    ScimError::conflict(msg)
                }
                other => other.into(),
            })?;
        Ok(())
    }
}
