//! `/v1/workspaces/{slug}/groups`: the workspace's groups (typed by hand or provisioned by
//! the identity provider) and who is in them.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    paging::{created, page, PageQuery},
    views::{ErrorEnvelope, GroupView, GroupWritten, MemberView, Revision},
};
use crate::{
    access::{MemberKey, MemberSource},
    web::{ApiError, AppState, Caller},
};

/// A page of groups, by display name.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub groups: Vec<GroupView>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn group_key(g: &GroupView) -> String {
    format!("{}\u{0}{}", g.display_name.to_lowercase(), g.id)
}

/// Lists groups by display name.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/groups", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = GroupPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (mut groups, revision) = state
        .access
        .read(&caller.workspace, None, |ix| {
            let groups: Vec<GroupView> = ix.groups().map(GroupView::from).collect();
            (groups, ix.revision())
        })
        .await?;
    groups.sort_by_key(group_key);
    let (groups, next_cursor) = page(groups, group_key, &paging)?;
    Ok(HttpResponse::Ok().json(GroupPage {
        groups,
        revision,
        next_cursor,
    }))
}

/// A group to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub display_name: String,
    /// The identity provider's id of the group.
    pub external_id: Option<String>,
}

/// Creates a group.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/groups", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewGroup,
    responses((status = 201, body = GroupWritten, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewGroup>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (group, revision) = state
        .access
        .create_group(
            &caller.workspace,
            &body.display_name,
            body.external_id,
            &caller.change_context(),
        )
        .await?;
    let location = format!(
        "/v1/workspaces/{}/groups/{}",
        caller.workspace.slug, group.id
    );
    Ok(created(
        location,
        &GroupWritten::new(GroupView::from(&group), revision),
    ))
}

/// One group.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/groups/{id}", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let group = state.access.group(&caller.workspace, id).await?;
    Ok(HttpResponse::Ok().json(GroupView::from(&group)))
}

/// Deletes a group with its member links and grants.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/groups/{id}", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path)),
    responses((status = 200, body = Revision), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let revision = state
        .access
        .delete_group(&caller.workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}

/// A member of a group and how they got there.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMemberView {
    pub member: MemberView,
    /// `manual`, `scim` or `rule`.
    #[schema(value_type = String)]
    pub source: MemberSource,
}

/// A page of a group's members, by email.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupMemberPage {
    pub members: Vec<GroupMemberView>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn group_member_key(m: &GroupMemberView) -> String {
    format!("{}\u{0}{}", m.member.email.to_lowercase(), m.member.id)
}

/// Lists a group's members by email.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/groups/{id}/members", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path),
        PageQuery),
    responses((status = 200, body = GroupMemberPage), (status = 404, body = ErrorEnvelope)))]
pub async fn members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    state.access.group(&caller.workspace, id).await?;
    let (mut members, revision) = state
        .access
        .read(&caller.workspace, None, |ix| {
            let members: Vec<GroupMemberView> = ix
                .group_members(id)
                .into_iter()
                .filter_map(|(m, source)| {
                    ix.find_member(&MemberKey::Membership(m))
                        .map(|member| GroupMemberView {
                            member: MemberView::from(member),
                            source,
                        })
                })
                .collect();
            (members, ix.revision())
        })
        .await?;
    members.sort_by_key(group_member_key);
    let (members, next_cursor) = page(members, group_member_key, &paging)?;
    Ok(HttpResponse::Ok().json(GroupMemberPage {
        members,
        revision,
        next_cursor,
    }))
}

/// The member to add to a group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMemberArg {
    /// Membership id or email.
    pub member: String,
}

/// Adds a member to a group.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/groups/{id}/members", tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path)),
    request_body = GroupMemberArg,
    responses((status = 200, body = Revision), (status = 404, body = ErrorEnvelope)))]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<GroupMemberArg>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let revision = state
        .access
        .add_group_member(
            &caller.workspace,
            id,
            &body.member,
            MemberSource::Manual,
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}

/// Removes a member from a group.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/groups/{id}/members/{member}",
    tag = "groups",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path),
        ("member" = String, Path, description = "membership id or email")),
    responses((status = 200, body = Revision), (status = 404, body = ErrorEnvelope)))]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id, member) = path.into_inner();
    let revision = state
        .access
        .remove_group_member(&caller.workspace, id, &member, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}
