//! `/v1/workspaces/{slug}/members`: the workspace's memberships. A member is named by
//! membership id or email, never by the person's global account.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    paging::{created, page, PageQuery},
    views::{ErrorEnvelope, MemberView, MemberWritten, Revision},
};
use crate::{
    access::{Email, MemberKind},
    web::{ApiError, AppState, Caller},
};

/// A person to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(example = "alice@example.com")]
    pub email: String,
    /// `member` (default) or `owner`.
    #[serde(default = "member_kind")]
    #[schema(value_type = Option<String>, example = "member")]
    pub kind: MemberKind,
}

pub(super) fn member_kind() -> MemberKind {
    MemberKind::Member
}

/// A page of members, by email.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub members: Vec<MemberView>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn member_key(m: &MemberView) -> String {
    format!("{}\u{0}{}", m.email.to_lowercase(), m.id)
}

/// Lists members by email.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/members", tag = "members",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = MemberPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (mut members, revision) = state
        .access
        .read(&caller.workspace, None, |ix| {
            let members: Vec<MemberView> = ix.members().map(MemberView::from).collect();
            (members, ix.revision())
        })
        .await?;
    members.sort_by_key(member_key);
    let (members, next_cursor) = page(members, member_key, &paging)?;
    Ok(HttpResponse::Ok().json(MemberPage {
        members,
        revision,
        next_cursor,
    }))
}

/// Adds a person by email. Outside the workspace's verified domains the membership waits for
/// the person to accept it (`awaiting_consent`).
#[utoipa::path(post, path = "/v1/workspaces/{slug}/members", tag = "members",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewMember,
    responses((status = 201, body = MemberWritten, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn add(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email)?;
    let (member, revision) = state
        .access
        .add_member(
            &caller.workspace,
            &email,
            body.kind,
            &caller.change_context(),
        )
        .await?;
    let location = format!(
        "/v1/workspaces/{}/members/{}",
        caller.workspace.slug, member.id
    );
    Ok(created(
        location,
        &MemberWritten::new(MemberView::from(&member), revision),
    ))
}

/// One member, by membership id or email.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/members/{member}", tag = "members",
    params(("slug" = String, Path, description = "workspace slug"),
        ("member" = String, Path, description = "membership id or email")),
    responses((status = 200, body = MemberView), (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let member = state.access.member(&caller.workspace, &key).await?;
    Ok(HttpResponse::Ok().json(MemberView::from(&member)))
}

/// What a member update may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[schema(value_type = Option<String>, example = "owner")]
    pub kind: Option<MemberKind>,
    pub active: Option<bool>,
    /// Exempt from the workspace's Require-SSO setting.
    pub sso_exempt: Option<bool>,
}

/// Changes a member's kind, active flag or SSO exemption (one transaction).
#[utoipa::path(patch, path = "/v1/workspaces/{slug}/members/{member}", tag = "members",
    params(("slug" = String, Path, description = "workspace slug"),
        ("member" = String, Path, description = "membership id or email")),
    request_body = MemberPatch,
    responses((status = 200, body = MemberWritten), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let (member, revision) = state
        .access
        .update_member(
            &caller.workspace,
            &key,
            body.kind,
            body.active,
            body.sso_exempt,
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(MemberWritten::new(MemberView::from(&member), revision)))
}

/// Removes a membership (the account survives) with its group links and direct grants.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/members/{member}", tag = "members",
    params(("slug" = String, Path, description = "workspace slug"),
        ("member" = String, Path, description = "membership id or email")),
    responses((status = 200, body = Revision), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope)))]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let revision = state
        .access
        .remove_member(&caller.workspace, &key, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}
