//! SCIM Groups (RFC 7643 §4.2) as workspace groups. `displayName` (unique case-insensitively)
//! and `externalId` live in columns; members live in `group_members` (source `scim`) and are
//! changed in bulk from the PATCH engine's member delta, never by rewriting a list, so
//! concurrent PATCHes (Entra sends them in parallel) never lose a member.

use std::collections::HashSet;

use serde_json::{json, Value};
use uuid::Uuid;

use super::kind::{Groups, ScimKind, Stamp};
use super::resources::{
    optional_string, required_string, stored_document, validated_document, ListParams, ScimContext,
};
use crate::scim::error::ScimError;
use crate::scim::patch::MemberDelta;
use crate::scim::schema::{ResourceSchema, GROUP_URN};
use crate::{
    access::{Change, GroupInfo, MemberSource},
    storage::{
        scim::{ScimGroupMemberRow, ScimGroupRow, ScimQuery},
        AuditedChange, SideWrite, StoreError,
    },
};

/// The write of a Group's SCIM document and its search copy.
fn group_write(group_id: Uuid, doc: Value, expected_version: Option<i64>) -> SideWrite {
    let doc = stored_document(doc, &["members"]);
    SideWrite::ScimGroup {
        group_id,
        search: crate::scim::schema::search_document(
            crate::domain::query::DocumentKind::Group,
            &doc,
        ),
        doc,
        expected_version,
    }
}

/// Member ids of a `members` value list (`[{"value": id}, …]`).
fn member_ids(value: Option<&Value>) -> Result<Vec<String>, ScimError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(ScimError::invalid_value("\"members\" must be an array"));
    };
    items
        .iter()
        .map(|item| {
            item.get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| ScimError::invalid_value("every member needs a \"value\""))
        })
        .collect()
}

impl ScimKind for Groups {
    const NAME: &'static str = "Group";
    const ENDPOINT: &'static str = "Groups";
    const RELATED: &'static str = "members";
    type Row = ScimGroupRow;
    type Related = ScimGroupMemberRow;

    fn schema() -> &'static ResourceSchema {
        ResourceSchema::group()
    }

    fn stamp(row: &ScimGroupRow) -> Stamp {
        Stamp::new(row.id, row.version, row.created_at, row.updated_at)
    }

    async fn find(ctx: &ScimContext, id: Uuid) -> Result<Option<ScimGroupRow>, StoreError> {
        ctx.state.store.scim_group(ctx.workspace.id, id).await
    }

    async fn search(
        ctx: &ScimContext,
        query: &ScimQuery<'_>,
    ) -> Result<(i64, Vec<ScimGroupRow>), StoreError> {
        ctx.state
            .store
            .scim_list_groups(ctx.workspace.id, query)
            .await
    }

    async fn related(
        ctx: &ScimContext,
        ids: &[Uuid],
    ) -> Result<Vec<ScimGroupMemberRow>, ScimError> {
        ctx.members_of(ids).await
    }

    fn document(
        ctx: &ScimContext,
        row: &ScimGroupRow,
        members: Option<&[ScimGroupMemberRow]>,
    ) -> Value {
        ctx.group_document(row, members)
    }

    async fn create(ctx: &ScimContext, body: &Value) -> Result<(Value, i64), ScimError> {
        ctx.create_group(body).await
    }

    async fn write_replaced(
        ctx: &ScimContext,
        before: &ScimGroupRow,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        ctx.replace_group(before, body, expected_version).await
    }

    async fn write_patched(
        ctx: &ScimContext,
        before: &ScimGroupRow,
        doc: Value,
        members: &MemberDelta,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        ctx.write_group(before, doc, members, expected_version)
            .await
    }

    async fn remove(ctx: &ScimContext, row: &ScimGroupRow) -> Result<(), ScimError> {
        ctx.state
            .access
            .delete_group(&ctx.workspace, row.id, &ctx.change_context())
            .await?;
        Ok(())
    }

    /// Group PATCH answers 204 (members can be many; Okta and Entra expect no body) unless
    /// the client asks for attributes, then 200 with the projected group (RFC 7644 §3.5.2).
    async fn patch_answer(
        ctx: &ScimContext,
        id: &str,
        params: &ListParams,
        _written: Value,
        _version: i64,
    ) -> Result<Option<(Value, i64)>, ScimError> {
        if params.attributes.is_none() && params.excluded.is_none() {
            return Ok(None);
        }
        Groups::get(ctx, id, params).await.map(Some)
    }
}

impl ScimContext {
    /// A row's Group resource without `meta` (members included only when given).
    fn group_document(&self, row: &ScimGroupRow, members: Option<&[ScimGroupMemberRow]>) -> Value {
        let mut doc = row
            .scim_doc
            .as_ref()
            .map(|d| d.0.clone())
            .unwrap_or_else(|| json!({}));
        let object = doc
            .as_object_mut()
            .expect("stored SCIM documents are objects");
        object.insert("schemas".into(), json!([GROUP_URN]));
        object.insert("id".into(), json!(row.id));
        object.insert("displayName".into(), json!(row.display_name));
        match &row.external_id {
            Some(e) => object.insert("externalId".into(), json!(e)),
            None => object.remove("externalId"),
        };
        if let Some(members) = members {
            let list: Vec<Value> = members
                .iter()
                .filter(|m| m.group_id == row.id)
                .map(|m| {
                    // `display` is left out: it is read-only and clients compare members
                    // exactly against what they sent.
                    json!({
                        "value": m.membership_id,
                        "$ref": format!("{}/Users/{}", self.base, m.membership_id),
                        "type": "User",
                    })
                })
                .collect();
            object.insert("members".into(), Value::Array(list));
        }
        doc
    }

    async fn members_of(&self, ids: &[Uuid]) -> Result<Vec<ScimGroupMemberRow>, ScimError> {
        Ok(self
            .state
            .store
            .scim_members_of_groups(self.workspace.id, ids)
            .await?)
    }

    /// Membership ids of the workspace among `ids`; any other id is `invalidValue`.
    async fn known_members(&self, ids: &[String]) -> Result<Vec<Uuid>, ScimError> {
        let mut parsed = Vec::with_capacity(ids.len());
        let mut seen = HashSet::with_capacity(ids.len());
        for id in ids {
            let uuid = Uuid::parse_str(id)
                .map_err(|_| ScimError::invalid_value(format!("member {id:?} is not a User id")))?;
            if seen.insert(uuid) {
                parsed.push(uuid);
            }
        }
        let found: HashSet<Uuid> = self
            .state
            .store
            .existing_memberships(self.workspace.id, &parsed)
            .await?
            .into_iter()
            .collect();
        if let Some(missing) = parsed.iter().find(|id| !found.contains(id)) {
            return Err(ScimError::invalid_value(format!(
                "member {missing} is not a User of this workspace"
            )));
        }
        Ok(parsed)
    }

    /// The access-model changes a member delta makes to a group.
    async fn member_changes(
        &self,
        group_id: Uuid,
        delta: &MemberDelta,
    ) -> Result<Vec<AuditedChange>, ScimError> {
        let mut changes = Vec::new();
        let (add, remove) = match &delta.replace_all {
            Some(all) => {
                let wanted: HashSet<Uuid> = self.known_members(all).await?.into_iter().collect();
                let current: HashSet<Uuid> = self
                    .members_of(&[group_id])
                    .await?
                    .into_iter()
                    .map(|m| m.membership_id)
                    .collect();
                (
                    wanted.difference(&current).copied().collect::<Vec<_>>(),
                    current.difference(&wanted).copied().collect::<Vec<_>>(),
                )
            }
            None => {
                let add = self.known_members(&delta.add).await?;
                // Removing someone who is not a member (or not a user) changes nothing.
                let remove = delta
                    .remove
                    .iter()
                    .filter_map(|id| Uuid::parse_str(id).ok())
                    .collect::<Vec<_>>();
                (add, remove)
            }
        };
        if !remove.is_empty() {
            changes.push(
                Change::GroupMembersRemoved {
                    group_id,
                    membership_ids: remove,
                }
                .into(),
            );
        }
        if !add.is_empty() {
            changes.push(
                Change::GroupMembersAdded {
                    group_id,
                    membership_ids: add,
                    source: MemberSource::Scim,
                }
                .into(),
            );
        }
        Ok(changes)
    }

    /// POST /Groups.
    pub(super) async fn create_group(&self, body: &Value) -> Result<(Value, i64), ScimError> {
        let doc = validated_document(body, Groups::schema(), &["members"])?;
        let display_name = required_string(&doc, "displayName")?;
        let members = member_ids(body.get("members"))?;
        let group = GroupInfo {
            id: Uuid::now_v7(),
            display_name,
            external_id: optional_string(&doc, "externalId"),
        };
        let mut changes = vec![Change::GroupUpserted {
            group: group.clone(),
        }
        .into()];
        let delta = MemberDelta {
            add: members,
            ..MemberDelta::default()
        };
        changes.extend(self.member_changes(group.id, &delta).await?);
        let side = group_write(group.id, doc, None);
        self.commit(changes, &[side]).await?;
        let row = Groups::row(self, group.id).await?;
        let members = self.members_of(&[group.id]).await?;
        Ok((Groups::render(self, &row, Some(&members)), row.version))
    }

    /// Writes a group's new document and member delta (PUT and PATCH end here).
    pub(super) async fn write_group(
        &self,
        before: &ScimGroupRow,
        doc: Value,
        delta: &MemberDelta,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let display_name = required_string(&doc, "displayName")?;
        let group = GroupInfo {
            id: before.id,
            display_name,
            external_id: optional_string(&doc, "externalId"),
        };
        let mut changes = vec![AuditedChange {
            change: Change::GroupUpserted { group },
            before: Some(
                json!({"display_name": before.display_name, "external_id": before.external_id}),
            ),
        }];
        changes.extend(self.member_changes(before.id, delta).await?);
        let side = group_write(before.id, doc, expected_version);
        self.commit(changes, &[side]).await?;
        let row = Groups::row(self, before.id).await?;
        Ok((Groups::render(self, &row, None), row.version))
    }

    /// PUT of an existing Group: replaces the document and the member list.
    async fn replace_group(
        &self,
        before: &ScimGroupRow,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let doc = validated_document(body, Groups::schema(), &["members"])?;
        let delta = MemberDelta {
            replace_all: Some(member_ids(body.get("members"))?),
            ..MemberDelta::default()
        };
        let (_, version) = self
            .write_group(before, doc, &delta, expected_version)
            .await?;
        let row = Groups::row(self, before.id).await?;
        let members = self.members_of(&[row.id]).await?;
        Ok((Groups::render(self, &row, Some(&members)), version))
    }
}
