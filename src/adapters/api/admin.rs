//! The admin API of the access model: resources, members, groups, grants and the change feed.
//! Every write answers with the workspace revision it produced, usable as
//! `at_least_revision` on the access API.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{
    GrantOrigin, MemberKey, MemberKind, MemberSource, Resource, ResourceRef, Scope, Subject,
};
use crate::web::{ApiError, AppState, Caller};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/workspaces/{slug}/resources",
        web::post().to(register_resource),
    )
    .route(
        "/workspaces/{slug}/resources",
        web::get().to(list_resources),
    )
    .route(
        "/workspaces/{slug}/resources/{type}/{id}",
        web::get().to(get_resource),
    )
    .route(
        "/workspaces/{slug}/resources/{type}/{id}",
        web::delete().to(delete_resource),
    )
    .route("/workspaces/{slug}/members", web::get().to(list_members))
    .route("/workspaces/{slug}/members", web::post().to(add_member))
    .route(
        "/workspaces/{slug}/members/{member}",
        web::get().to(get_member),
    )
    .route(
        "/workspaces/{slug}/members/{member}",
        web::patch().to(update_member),
    )
    .route(
        "/workspaces/{slug}/members/{member}",
        web::delete().to(remove_member),
    )
    .route("/workspaces/{slug}/groups", web::get().to(list_groups))
    .route("/workspaces/{slug}/groups", web::post().to(create_group))
    .route("/workspaces/{slug}/groups/{id}", web::get().to(get_group))
    .route(
        "/workspaces/{slug}/groups/{id}",
        web::delete().to(delete_group),
    )
    .route(
        "/workspaces/{slug}/groups/{id}/members",
        web::get().to(group_members),
    )
    .route(
        "/workspaces/{slug}/groups/{id}/members",
        web::post().to(add_group_member),
    )
    .route(
        "/workspaces/{slug}/groups/{id}/members/{member}",
        web::delete().to(remove_group_member),
    )
    .route("/workspaces/{slug}/grants", web::post().to(create_grant))
    .route("/workspaces/{slug}/grants", web::get().to(list_grants))
    .route(
        "/workspaces/{slug}/grants/{id}",
        web::delete().to(delete_grant),
    )
    .route("/workspaces/{slug}/changes", web::get().to(changes));
}

// ---- resources -----------------------------------------------------------------------------

async fn register_resource(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<Resource>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let resource = body.into_inner();
    let revision = state
        .access
        .register_resource(workspace, resource.clone(), &caller.change_context())
        .await?;
    Ok(HttpResponse::Created().json(json!({ "resource": resource, "revision": revision })))
}

#[derive(Deserialize)]
struct ResourceFilter {
    #[serde(rename = "type")]
    resource_type: Option<String>,
}

async fn list_resources(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ResourceFilter>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let wanted = query.into_inner().resource_type;
    let body = state
        .access
        .read(workspace, None, |ix| {
            let mut resources: Vec<&Resource> = ix
                .resources()
                .filter(|r| wanted.as_ref().is_none_or(|t| &r.resource_type == t))
                .collect();
            resources.sort_by(|a, b| (&a.resource_type, &a.id).cmp(&(&b.resource_type, &b.id)));
            json!({ "resources": resources, "revision": ix.revision() })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn get_resource(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, resource_type, id) = path.into_inner();
    let workspace = &caller.workspace;
    let wanted = ResourceRef::new(resource_type, id);
    let resource = state
        .access
        .read(workspace, None, |ix| ix.resource(&wanted).cloned())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} {:?}", wanted.resource_type, wanted.id)))?;
    Ok(HttpResponse::Ok().json(resource))
}

async fn delete_resource(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, resource_type, id) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .remove_resource(
            workspace,
            ResourceRef::new(resource_type, id),
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

// ---- members -------------------------------------------------------------------------------

async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = state
        .access
        .read(workspace, None, |ix| {
            let mut members: Vec<_> = ix.members().cloned().collect();
            members.sort_by_key(|m| m.email.to_lowercase());
            json!({ "members": members, "revision": ix.revision() })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMember {
    email: String,
    #[serde(default = "member_kind")]
    kind: MemberKind,
}

fn member_kind() -> MemberKind {
    MemberKind::Member
}

async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let (member, revision) = state
        .access
        .add_member(workspace, &body.email, body.kind, &caller.change_context())
        .await?;
    Ok(HttpResponse::Created().json(json!({ "member": member, "revision": revision })))
}

async fn get_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let workspace = &caller.workspace;
    let member = state.access.member(workspace, &key).await?;
    Ok(HttpResponse::Ok().json(member))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberPatch {
    kind: Option<MemberKind>,
    active: Option<bool>,
    /// Exempt from the workspace's Require-SSO setting.
    sso_exempt: Option<bool>,
}

async fn update_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    let (member, revision) = state
        .access
        .update_member(workspace, &key, body.kind, body.active, &ctx)
        .await?;
    if let Some(exempt) = body.sso_exempt {
        state
            .store
            .set_sso_exempt(
                workspace.id,
                member.id,
                exempt,
                &ctx.actor,
                ctx.request_id.as_deref(),
            )
            .await?;
    }
    Ok(HttpResponse::Ok().json(json!({ "member": member, "revision": revision })))
}

async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .remove_member(workspace, &key, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

// ---- groups --------------------------------------------------------------------------------

async fn list_groups(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = state
        .access
        .read(workspace, None, |ix| {
            let mut groups: Vec<_> = ix.groups().cloned().collect();
            groups.sort_by(|a, b| {
                a.display_name
                    .to_lowercase()
                    .cmp(&b.display_name.to_lowercase())
            });
            json!({ "groups": groups, "revision": ix.revision() })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    display_name: String,
    external_id: Option<String>,
}

async fn create_group(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewGroup>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    let (group, revision) = state
        .access
        .create_group(
            workspace,
            &body.display_name,
            body.external_id,
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Created().json(json!({ "group": group, "revision": revision })))
}

async fn get_group(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let group = state.access.group(workspace, id).await?;
    Ok(HttpResponse::Ok().json(group))
}

async fn delete_group(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .delete_group(workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

async fn group_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    state.access.group(workspace, id).await?;
    let body = state
        .access
        .read(workspace, None, |ix| {
            let members: Vec<_> = ix
                .group_members(id)
                .into_iter()
                .filter_map(|(m, source)| {
                    ix.find_member(&MemberKey::Membership(m))
                        .map(|member| json!({ "member": member, "source": source }))
                })
                .collect();
            json!({ "members": members, "revision": ix.revision() })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupMemberArg {
    /// Membership id, account id or email.
    member: String,
}

async fn add_group_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<GroupMemberArg>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .add_group_member(
            workspace,
            id,
            &body.member,
            MemberSource::Manual,
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

async fn remove_group_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id, member) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .remove_group_member(workspace, id, &member, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

// ---- grants --------------------------------------------------------------------------------

/// A grant's subject as callers name it: a user by membership id, account id or email.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum SubjectArg {
    User { id: String },
    Group { id: Uuid },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGrant {
    subject: SubjectArg,
    role: String,
    scope: Scope,
}

async fn resolve_subject(
    state: &AppState,
    workspace: &crate::domain::Workspace,
    subject: SubjectArg,
) -> Result<Subject, ApiError> {
    Ok(match subject {
        SubjectArg::User { id } => Subject::User(state.access.member(workspace, &id).await?.id),
        SubjectArg::Group { id } => Subject::Group(state.access.group(workspace, id).await?.id),
    })
}

async fn create_grant(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewGrant>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    let subject = resolve_subject(&state, workspace, body.subject).await?;
    let (grant, revision) = state
        .access
        .add_grant(
            workspace,
            subject,
            &body.role,
            body.scope,
            GrantOrigin::Manual,
            &caller.change_context(),
        )
        .await?;
    Ok(HttpResponse::Created()
        .json(json!({ "grant": grant, "id": grant.id, "revision": revision })))
}

#[derive(Deserialize)]
struct GrantFilter {
    /// `user:<membership id|account id|email>` or `group:<id>`.
    subject: Option<String>,
}

async fn list_grants(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<GrantFilter>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let subject = match query.into_inner().subject {
        None => None,
        Some(s) => {
            let arg = match s.split_once(':') {
                Some(("user", id)) => SubjectArg::User { id: id.to_string() },
                Some(("group", id)) => SubjectArg::Group {
                    id: id
                        .parse()
                        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not a group id")))?,
                },
                _ => {
                    return Err(ApiError::BadRequest(
                        "subject must be user:<id or email> or group:<id>".into(),
                    ))
                }
            };
            Some(resolve_subject(&state, workspace, arg).await?)
        }
    };
    let body = state
        .access
        .read(workspace, None, |ix| {
            let grants: Vec<_> = match subject {
                Some(s) => ix.grants_of(s).into_iter().cloned().collect(),
                None => {
                    let mut all: Vec<_> = ix.grants().cloned().collect();
                    all.sort_by_key(|g| g.id);
                    all
                }
            };
            json!({ "grants": grants, "revision": ix.revision() })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn delete_grant(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let revision = state
        .access
        .remove_grant(workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revision": revision })))
}

// ---- change feed ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after_revision: i64,
    limit: Option<i64>,
}

async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(500).clamp(1, 5_000);
    let events = state
        .store
        .changes_after(caller.workspace.id, query.after_revision, limit)
        .await?;
    let next = events
        .last()
        .map(|e| e.revision)
        .unwrap_or(query.after_revision);
    Ok(HttpResponse::Ok().json(json!({ "changes": events, "next_after_revision": next })))
}

// ---- invitations ---------------------------------------------------------------------------

pub fn invite_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{slug}/invites", web::post().to(create_invite))
        .route("/workspaces/{slug}/invites", web::get().to(list_invites))
        .route(
            "/workspaces/{slug}/invites/accept",
            web::post().to(accept_invite),
        )
        .route(
            "/workspaces/{slug}/invites/{id}",
            web::delete().to(revoke_invite),
        );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    email: String,
    #[serde(default = "member_kind")]
    kind: MemberKind,
    #[serde(default)]
    grants: Vec<crate::storage::InviteGrant>,
    /// The inviting member; only owners may invite.
    invited_by: String,
    expires_in_days: Option<i64>,
}

async fn create_invite(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewInvite>,
) -> Result<HttpResponse, ApiError> {
    use secrecy::ExposeSecret;
    let workspace = &caller.workspace;
    let body = body.into_inner();
    let request = crate::service::invites::InviteRequest {
        invited_by: body.invited_by,
        email: body.email,
        kind: body.kind,
        grants: body.grants,
        expires_in_days: body.expires_in_days,
    };
    let (invite, code) = state
        .access
        .create_invite(workspace, request, &caller.change_context())
        .await?;
    Ok(HttpResponse::Created().json(json!({ "invite": invite, "code": code.expose_secret() })))
}

async fn list_invites(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let invites = state.store.list_invites(workspace.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "invites": invites })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptInvite {
    code: String,
    /// Refused: a workspace never sets a person's password (the invitee chooses it at
    /// `/invites/{code}`).
    password: Option<serde_json::Value>,
}

/// Accepts an invitation on the workspace's behalf: only for people of its verified domains
/// (the company owns those identities); anyone else accepts in a browser at `/invites/{code}`.
async fn accept_invite(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AcceptInvite>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    if body.password.is_some() {
        return Err(ApiError::BadRequest(
            "a workspace never sets a person's password: the invitee chooses one when accepting \
             in a browser at /invites/{code}"
                .into(),
        ));
    }
    let code = secrecy::SecretString::from(body.code);
    let acceptor = crate::service::invites::Acceptor::Workspace {
        workspace_id: workspace.id,
    };
    let (_, member, revision) = state
        .access
        .accept_invite(&code, acceptor, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "member": member, "revision": revision })))
}

async fn revoke_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    state
        .store
        .revoke_invite(workspace.id, id, &ctx.actor, ctx.request_id.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "revoked": true })))
}
