//! The access API other services code against: check, batch check, explain, list resources,
//! list subjects, a member's permissions. Every answer carries the workspace revision it was
//! evaluated at; `at_least_revision` makes an answer at least that fresh.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::views::ErrorEnvelope;
use crate::access::{MemberKey, ResourceList, ResourceRef, WorkspaceIndex};
use crate::web::{ApiError, AppState, Caller};

/// Largest `check-batch`.
pub const MAX_BATCH: usize = 1_000;
/// Default and largest page of `resources` / `subjects`.
const DEFAULT_PAGE: usize = 1_000;
const MAX_PAGE: usize = 10_000;

/// The resource of a question; `id` may be omitted for `<type>.create`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceArg {
    #[serde(rename = "type")]
    resource_type: String,
    #[serde(default)]
    id: String,
}

impl From<ResourceArg> for ResourceRef {
    fn from(r: ResourceArg) -> Self {
        ResourceRef::new(r.resource_type, r.id)
    }
}

/// Runs `read` on the caller's workspace index, at least at `at_least_revision`.
async fn with_index<R>(
    state: &AppState,
    caller: &Caller,
    at_least_revision: Option<i64>,
    read: impl FnOnce(&WorkspaceIndex) -> R,
) -> Result<R, ApiError> {
    Ok(state
        .access
        .cache
        .read(caller.workspace.id, at_least_revision, read)
        .await
        .map_err(crate::service::ServiceError::from)?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Membership id or email…
    user: Option<String>,
    /// …or the session token of a signed-in browser (the Require-SSO rule applies).
    session: Option<String>,
    action: String,
    resource: ResourceArg,
    at_least_revision: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    user: String,
    action: String,
    resource: ResourceArg,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    checks: Vec<BatchItem>,
    at_least_revision: Option<i64>,
}

/// A check or explain question, its asker resolved.
struct Question {
    asker: Asker,
    action: String,
    resource: ResourceRef,
    at_least_revision: Option<i64>,
}

impl Question {
    async fn of(state: &AppState, caller: &Caller, body: CheckRequest) -> Result<Self, ApiError> {
        let asker = asker(state, caller, body.user.as_deref(), body.session.as_deref()).await?;
        Ok(Question {
            asker,
            action: body.action,
            resource: ResourceRef::from(body.resource),
            at_least_revision: body.at_least_revision,
        })
    }
}

/// Who a check is about, and whether Require SSO bars their session from the workspace.
struct Asker {
    key: MemberKey,
    sso_required: bool,
}

/// Resolves `user` or `session` (exactly one) for the caller's workspace.
async fn asker(
    state: &AppState,
    caller: &Caller,
    user: Option<&str>,
    session: Option<&str>,
) -> Result<Asker, ApiError> {
    match (user, session) {
        (Some(user), None) => Ok(Asker {
            key: MemberKey::parse(user),
            sso_required: false,
        }),
        (None, Some(token)) => {
            // Only a session of this workspace's own members is anybody; looking it up never
            // extends it.
            let workspace_id = caller.workspace.id;
            let found = crate::web::sessions::session_member(state, token, workspace_id).await?;
            let Some(session) = found else {
                return Ok(Asker {
                    key: MemberKey::Membership(uuid::Uuid::nil()),
                    sso_required: false,
                });
            };
            let sso_session = session.method == crate::domain::sso::SessionMethod::Sso
                && session.workspace_id == Some(workspace_id);
            let mut sso_required = false;
            if !sso_session {
                let workspace = &caller.workspace;
                if workspace.settings.require_sso {
                    sso_required = !state
                        .store
                        .sso_exempt(workspace_id, session.membership_id)
                        .await?;
                }
            }
            Ok(Asker {
                key: MemberKey::Membership(session.membership_id),
                sso_required,
            })
        }
        _ => Err(ApiError::BadRequest(
            "name exactly one of \"user\" and \"session\"".into(),
        )),
    }
}

/// May this member (or signed-in session) do this action on this resource?
#[utoipa::path(post, path = "/v1/workspaces/{slug}/access/check", tag = "access",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = CheckRequest,
    responses((status = 200, description = "`{allowed, revision}`", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn check(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = Question::of(&state, &caller, body.into_inner()).await?;
    let (allowed, revision) = with_index(&state, &caller, q.at_least_revision, |ix| {
        let allowed = !q.asker.sso_required
            && ix
                .find_member(&q.asker.key)
                .is_some_and(|m| ix.check(m.id, &q.action, &q.resource));
        (allowed, ix.revision())
    })
    .await?;
    crate::web::metrics::count_checks(1);
    Ok(HttpResponse::Ok().json(json!({ "allowed": allowed, "revision": revision })))
}

/// Many checks at one revision.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/access/check-batch", tag = "access",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = BatchRequest,
    responses((status = 200, description = "`{results: [bool], revision}` (at most 1,000 checks)", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn check_batch(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.checks.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "a batch holds at most {MAX_BATCH} checks, got {}",
            body.checks.len()
        )));
    }
    let checks: Vec<(MemberKey, String, ResourceRef)> = body
        .checks
        .into_iter()
        .map(|c| (MemberKey::parse(&c.user), c.action, c.resource.into()))
        .collect();
    let (results, revision) = with_index(&state, &caller, body.at_least_revision, |ix| {
        let results: Vec<serde_json::Value> = checks
            .iter()
            .map(|(key, action, resource)| {
                let allowed = ix
                    .find_member(key)
                    .is_some_and(|m| ix.check(m.id, action, resource));
                json!({ "allowed": allowed })
            })
            .collect();
        (results, ix.revision())
    })
    .await?;
    crate::web::metrics::count_checks(results.len() as u64);
    Ok(HttpResponse::Ok().json(json!({ "results": results, "revision": revision })))
}

/// A check and the grants behind its answer.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/access/explain", tag = "access",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = CheckRequest,
    responses((status = 200, description = "`{allowed, reason, via: [the grants and rules that decide], revision}`", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn explain(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = Question::of(&state, &caller, body.into_inner()).await?;
    let key = q.asker.key;
    let sso_required = q.asker.sso_required;
    let answer = with_index(&state, &caller, q.at_least_revision, |ix| {
        let explanation = match ix.find_member(&key) {
            Some(_) if sso_required => Ok(json!({
                "allowed": false,
                "reason": "sso_required",
                "detail": "this workspace requires single sign-on; the session signed in with a password",
                "via": [],
            })),
            Some(m) => serde_json::to_value(ix.explain(m.id, &q.action, &q.resource)),
            None => Ok(json!({"allowed": false, "reason": "not_a_member", "via": []})),
        };
        explanation.map(|mut e| {
            e["revision"] = json!(ix.revision());
            e
        })
    })
    .await?
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesRequest {
    user: String,
    action: String,
    resource_type: String,
    cursor: Option<String>,
    limit: Option<usize>,
    at_least_revision: Option<i64>,
}

/// One page of sorted ids after `cursor`, and the cursor of the next page.
fn page(
    ids: Vec<String>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> (Vec<String>, Option<String>) {
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let start = match cursor {
        Some(c) => ids.partition_point(|id| id.as_str() <= c),
        None => 0,
    };
    let end = (start + limit).min(ids.len());
    let next = (end < ids.len()).then(|| ids[end - 1].clone());
    (ids[start..end].to_vec(), next)
}

/// The instances of a type a member may act on (`all` when every current and future one).
#[utoipa::path(post, path = "/v1/workspaces/{slug}/access/resources", tag = "access",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = ResourcesRequest,
    responses((status = 200, description = "`{all, ids, next_cursor, revision}`: the instances the user may act on", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn resources(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<ResourcesRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let key = MemberKey::parse(&body.user);
    let (list, revision) = with_index(&state, &caller, body.at_least_revision, |ix| {
        let list = match ix.find_member(&key) {
            Some(m) => ix.list_resources(m.id, &body.action, &body.resource_type),
            None => ResourceList::Ids(Vec::new()),
        };
        (list, ix.revision())
    })
    .await?;
    let body_json = match list {
        ResourceList::All => {
            json!({ "all": true, "ids": [], "next_cursor": null, "revision": revision })
        }
        ResourceList::Ids(ids) => {
            let (ids, next) = page(ids, body.cursor.as_deref(), body.limit);
            json!({ "all": false, "ids": ids, "next_cursor": next, "revision": revision })
        }
    };
    Ok(HttpResponse::Ok().json(body_json))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectsRequest {
    action: String,
    resource: ResourceArg,
    cursor: Option<String>,
    limit: Option<usize>,
    at_least_revision: Option<i64>,
}

/// The members who may act on a resource.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/access/subjects", tag = "access",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = SubjectsRequest,
    responses((status = 200, description = "`{members, next_cursor, revision}`: the memberships that may act on the resource", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn subjects(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<SubjectsRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let resource = ResourceRef::from(body.resource);
    let (ids, revision) = with_index(&state, &caller, body.at_least_revision, |ix| {
        let ids: Vec<String> = ix
            .list_subjects(&body.action, &resource)
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        (ids, ix.revision())
    })
    .await?;
    let (ids, next) = page(ids, body.cursor.as_deref(), body.limit);
    Ok(HttpResponse::Ok().json(json!({
        "members": ids, "next_cursor": next, "revision": revision
    })))
}

/// Everything a member may do.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/users/{member}/permissions", tag = "access",
    params(("slug" = String, Path, description = "workspace slug"),
        ("member" = String, Path, description = "membership id or email")),
    responses((status = 200, description = "`{member, roles, revision}`", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn permissions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, member) = path.into_inner();
    let key = MemberKey::parse(&member);
    let answer = with_index(&state, &caller, None, |ix| {
        ix.find_member(&key).map(|m| {
            json!({
                "member": m,
                "roles": ix.permissions(m.id),
                "revision": ix.revision(),
            })
        })
    })
    .await?
    .ok_or_else(|| ApiError::NotFound("member".into()))?;
    Ok(HttpResponse::Ok().json(answer))
}

#[cfg(test)]
mod tests {
    use super::page;

    #[test]
    fn pages_are_complete_and_never_overlap() {
        let ids: Vec<String> = (0..25).map(|i| format!("id-{i:02}")).collect();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (chunk, next) = page(ids.clone(), cursor.as_deref(), Some(10));
            seen.extend(chunk);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ids);
    }
}
