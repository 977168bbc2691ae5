//! `/v1/workspaces/{slug}/invites`: invitations to join the workspace. The code is shown once,
//! when the invitation is made; only its digest is stored.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    members::member_kind,
    paging::{created, page, PageQuery},
    views::{ErrorEnvelope, MemberView, MemberWritten},
};
use crate::{
    access::MemberKind,
    service::invites::{Acceptor, InviteRequest},
    storage::{Invite, InviteGrant},
    web::{ApiError, AppState, Caller},
};

/// An invitation (never its code).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviteView {
    pub id: Uuid,
    pub email: String,
    #[schema(value_type = String, example = "member")]
    pub kind: MemberKind,
    /// Roles the invitee receives on acceptance: `[{role, scope}]`.
    #[schema(value_type = Vec<Object>)]
    pub grants: Vec<InviteGrant>,
    /// Who invited: `{"type": "token"|"owner"|…, …}`.
    #[schema(value_type = Object)]
    pub created_by: crate::domain::Actor,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Invite> for InviteView {
    fn from(i: Invite) -> Self {
        InviteView {
            id: i.id,
            email: i.email,
            kind: i.kind,
            grants: i.grants,
            created_by: i.created_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
        }
    }
}

/// An invitation to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    pub email: String,
    /// `member` (default) or `owner`.
    #[serde(default = "member_kind")]
    #[schema(value_type = Option<String>, example = "member")]
    pub kind: MemberKind,
    /// Roles the invitee receives on acceptance: `[{role, scope}]`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub grants: Vec<InviteGrant>,
    /// The inviting member (membership id or email); only owners may invite.
    pub invited_by: String,
    /// Days until the invitation lapses.
    pub expires_in_days: Option<i64>,
}

/// A new invitation and its code (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteCreated {
    #[serde(flatten)]
    pub object: InviteView,
    /// The code the invitee accepts with at `/invites/{code}`.
    pub code: String,
    /// The same invitation (deprecated; kept one release).
    #[schema(deprecated)]
    pub invite: InviteView,
}

/// Invites a person by email.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/invites", tag = "invites",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewInvite,
    responses((status = 201, body = InviteCreated, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewInvite>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = InviteRequest {
        invited_by: body.invited_by,
        email: body.email,
        kind: body.kind,
        grants: body.grants,
        expires_in_days: body.expires_in_days,
    };
    let (invite, code) = state
        .access
        .create_invite(&caller.workspace, request, &caller.change_context())
        .await?;
    let view = InviteView::from(invite);
    let location = format!(
        "/v1/workspaces/{}/invites/{}",
        caller.workspace.slug, view.id
    );
    Ok(created(
        location,
        &InviteCreated {
            invite: view.clone(),
            object: view,
            code: code.expose_secret().to_string(),
        },
    ))
}

/// A page of invitations, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitePage {
    pub invites: Vec<InviteView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn invite_key(i: &InviteView) -> String {
    format!("{}\u{0}{}", i.created_at.to_rfc3339(), i.id)
}

/// Lists the workspace's invitations (open, accepted, revoked and lapsed).
#[utoipa::path(get, path = "/v1/workspaces/{slug}/invites", tag = "invites",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = InvitePage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut invites: Vec<InviteView> = state
        .store
        .list_invites(caller.workspace.id)
        .await?
        .into_iter()
        .map(InviteView::from)
        .collect();
    invites.sort_by_key(invite_key);
    let (invites, next_cursor) = page(invites, invite_key, &paging)?;
    Ok(HttpResponse::Ok().json(InvitePage {
        invites,
        next_cursor,
    }))
}

/// An invitation code to accept on the workspace's behalf.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub code: String,
    /// Refused: a workspace never sets a person's password (the invitee chooses it at
    /// `/invites/{code}`).
    #[schema(value_type = Option<Object>)]
    pub password: Option<serde_json::Value>,
}

/// Accepts an invitation on the workspace's behalf: only for people of its verified domains
/// (the company owns those identities); anyone else accepts in a browser at `/invites/{code}`.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/invites/accept", tag = "invites",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = AcceptInvite,
    responses((status = 200, body = MemberWritten), (status = 400, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AcceptInvite>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.password.is_some() {
        return Err(ApiError::BadRequest(
            "a workspace never sets a person's password: the invitee chooses one when accepting \
             in a browser at /invites/{code}"
                .into(),
        ));
    }
    let code = secrecy::SecretString::from(body.code);
    let acceptor = Acceptor::Workspace {
        workspace_id: caller.workspace.id,
    };
    let (_, member, revision) = state
        .access
        .accept_invite(&code, acceptor, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(MemberWritten::new(MemberView::from(&member), revision)))
}

/// What a revocation answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: bool,
}

/// Revokes an open invitation.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/invites/{id}", tag = "invites",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = Revoked), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let ctx = caller.change_context();
    state
        .store
        .revoke_invite(
            caller.workspace.id,
            id,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(Revoked { revoked: true }))
}
