//! SCIM Groups (RFC 7643 §4.2) as workspace groups. `displayName` (unique case-insensitively)
//! and `externalId` live in columns; members live in `group_members` (source `scim`) and are
//! changed in bulk from the PATCH engine's member delta, never by rewriting a list, so
//! concurrent PATCHes (Entra sends them in parallel) never lose a member.

use std::collections::HashSet;

use serde_json::{json, Value};
use uuid::Uuid;

use super::resources::{
    list_response, meta, parse_id, required_string, validated_document, ListParams, ScimContext,
};
use crate::scim::error::ScimError;
use crate::scim::patch::{apply, parse_patch, MemberDelta};
use crate::scim::schema::{ResourceSchema, GROUP_URN};
use crate::{
    access::{Change, GroupInfo, MemberSource},
    storage::{
        scim::{ScimGroupMemberRow, ScimGroupRow, ScimQuery},
        AuditedChange, SideWrite,
    },
};

fn schema() -> &'static ResourceSchema {
    ResourceSchema::group()
}

/// The write of a Group's SCIM document and its search copy.
fn group_write(group_id: Uuid, doc: Value, expected_version: Option<i64>) -> SideWrite {
    let doc = stored_document(doc);
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

/// The stored document: what the client sent, without members, id and meta.
fn stored_document(mut doc: Value) -> Value {
    if let Some(object) = doc.as_object_mut() {
        for key in ["id", "meta", "members"] {
            object.remove(key);
        }
    }
    doc
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

impl ScimContext<'_> {
    fn group_location(&self, id: Uuid) -> String {
        format!("{}/Groups/{id}", self.base)
    }

    /// The full Group resource (members included only when given).
    pub fn render_group(
        &self,
        row: &ScimGroupRow,
        members: Option<&[ScimGroupMemberRow]>,
    ) -> Value {
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
        object.insert(
            "meta".into(),
            meta(
                "Group",
                self.group_location(row.id),
                row.created_at,
                row.updated_at,
                row.version,
            ),
        );
        doc
    }

    async fn group_row(&self, id: Uuid) -> Result<ScimGroupRow, ScimError> {
        self.state
            .store
            .scim_group(self.workspace.id, id)
            .await?
            .ok_or_else(|| ScimError::not_found(format!("Group {id} not found")))
    }

    async fn members_of(&self, ids: &[Uuid]) -> Result<Vec<ScimGroupMemberRow>, ScimError> {
        Ok(self
            .state
            .store
            .scim_members_of_groups(self.workspace.id, ids)
            .await?)
    }

    /// GET /Groups/{id}.
    pub async fn get_group(
        &self,
        id: &str,
        params: &ListParams,
    ) -> Result<(Value, i64), ScimError> {
        let id = parse_id(id, "Group")?;
        let row = self.group_row(id).await?;
        let members = if params.wants("members") {
            Some(self.members_of(&[id]).await?)
        } else {
            None
        };
        let doc = self.render_group(&row, members.as_deref());
        Ok((params.project(&doc, schema()), row.version))
    }

    /// GET /Groups and POST /Groups/.search.
    pub async fn list_groups(&self, params: &ListParams) -> Result<Value, ScimError> {
        let query = ScimQuery {
            filter: params.filter.as_ref(),
            sort: params.sort.as_ref().map(|(a, o)| (a, *o)),
            offset: params.start_index - 1,
            limit: params.count,
        };
        let (total, rows) = self
            .state
            .store
            .scim_list_groups(self.workspace.id, &query)
            .await?;
        let members = if params.wants("members") && !rows.is_empty() {
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            Some(self.members_of(&ids).await?)
        } else {
            None
        };
        let resources = rows
            .iter()
            .map(|row| params.project(&self.render_group(row, members.as_deref()), schema()))
            .collect();
        Ok(list_response(total, params.start_index, resources))
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
    pub async fn create_group(&self, body: &Value) -> Result<(Value, i64), ScimError> {
        let doc = validated_document(body, schema(), &["members"])?;
        let display_name = required_string(&doc, "displayName")?;
        let members = member_ids(body.get("members"))?;
        let group = GroupInfo {
            id: Uuid::now_v7(),
            display_name,
            external_id: doc
                .get("externalId")
                .and_then(Value::as_str)
                .map(str::to_string),
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
        self.state
            .access
            .commit_with(&self.workspace, changes, &self.change_context(), &[side])
            .await?;
        let row = self.group_row(group.id).await?;
        let members = self.members_of(&[group.id]).await?;
        Ok((self.render_group(&row, Some(&members)), row.version))
    }

    /// Writes a group's new document and member delta (PUT and PATCH end here).
    async fn write_group(
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
            external_id: doc
                .get("externalId")
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        let mut changes = vec![AuditedChange {
            change: Change::GroupUpserted { group },
            before: Some(
                json!({"display_name": before.display_name, "external_id": before.external_id}),
            ),
        }];
        changes.extend(self.member_changes(before.id, delta).await?);
        let side = group_write(before.id, doc, expected_version);
        self.state
            .access
            .commit_with(&self.workspace, changes, &self.change_context(), &[side])
            .await?;
        let row = self.group_row(before.id).await?;
        Ok((self.render_group(&row, None), row.version))
    }

    /// PUT /Groups/{id}: replaces the document and the member list.
    pub async fn replace_group(
        &self,
        id: &str,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let before = self.group_row(parse_id(id, "Group")?).await?;
        let doc = validated_document(body, schema(), &["members"])?;
        let delta = MemberDelta {
            replace_all: Some(member_ids(body.get("members"))?),
            ..MemberDelta::default()
        };
        let (_, version) = self
            .write_group(&before, doc, &delta, expected_version)
            .await?;
        let row = self.group_row(before.id).await?;
        let members = self.members_of(&[row.id]).await?;
        Ok((self.render_group(&row, Some(&members)), version))
    }

    /// PATCH /Groups/{id}: document changes and member changes, atomically.
    pub async fn patch_group(
        &self,
        id: &str,
        body: &Value,
        expected_version: Option<i64>,
    ) -> Result<(Value, i64), ScimError> {
        let before = self.group_row(parse_id(id, "Group")?).await?;
        let ops = parse_patch(body, schema())?;
        let mut doc = self.render_group(&before, None);
        if let Some(object) = doc.as_object_mut() {
            object.remove("meta");
        }
        let outcome = apply(&mut doc, &ops, schema())?;
        self.write_group(&before, doc, &outcome.members, expected_version)
            .await
    }

    /// DELETE /Groups/{id}.
    pub async fn delete_group(
        &self,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), ScimError> {
        let row = self.group_row(parse_id(id, "Group")?).await?;
        if expected_version.is_some_and(|v| v != row.version) {
            return Err(ScimError::new(
                412,
                None,
                "the group changed since the version you sent (If-Match)",
            ));
        }
        self.state
            .access
            .delete_group(&self.workspace, row.id, &self.change_context())
            .await?;
        Ok(())
    }
}
