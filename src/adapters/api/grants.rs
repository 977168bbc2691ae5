//! `/v1/workspaces/{slug}/grants`: roles given to members and groups, on every current and
//! future instance or on one.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    paging::{created, page, PageQuery},
    views::{ErrorEnvelope, GrantView, GrantWritten, Revision},
};
use crate::{
    access::{GrantOrigin, RoleKey, Scope, Subject},
    domain::Workspace,
    web::{ApiError, AppState, Caller},
};

/// A grant's subject as callers name it: a user by membership id or email, a group by id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SubjectArg {
    User { id: String },
    Group { id: Uuid },
}

impl SubjectArg {
    /// `user:<membership id or email>` or `group:<id>` (the list filter's spelling).
    fn parse(raw: &str) -> Result<SubjectArg, ApiError> {
        match raw.split_once(':') {
            Some(("user", id)) => Ok(SubjectArg::User { id: id.to_string() }),
            Some(("group", id)) => Ok(SubjectArg::Group {
                id: id
                    .parse()
                    .map_err(|_| ApiError::BadRequest(format!("{id:?} is not a group id")))?,
            }),
            _ => Err(ApiError::BadRequest(
                "subject must be user:<id or email> or group:<id>".into(),
            )),
        }
    }

    async fn resolve(self, state: &AppState, workspace: &Workspace) -> Result<Subject, ApiError> {
        Ok(match self {
            SubjectArg::User { id } => Subject::User(state.access.member(workspace, &id).await?.id),
            SubjectArg::Group { id } => Subject::Group(state.access.group(workspace, id).await?.id),
        })
    }
}

/// A grant to give.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub subject: SubjectArg,
    /// A role key of the catalog, e.g. `source.admin`.
    #[schema(example = "source.admin")]
    pub role: String,
    /// `{"type": "all"}` or `{"type": "instance", "resource": {"type", "id"}}`.
    #[schema(value_type = Object)]
    pub scope: Scope,
}

/// Gives a role (validated against the catalog, the enabled products and the registered
/// resources).
#[utoipa::path(post, path = "/v1/workspaces/{slug}/grants", tag = "grants",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewGrant,
    responses((status = 201, body = GrantWritten, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewGrant>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let subject = body.subject.resolve(&state, &caller.workspace).await?;
    let (grant, revision) = state
        .access
        .add_grant(
            &caller.workspace,
            subject,
            RoleKey::parse(&body.role)?,
            body.scope,
            GrantOrigin::Manual,
            &caller.change_context(),
        )
        .await?;
    let location = format!(
        "/v1/workspaces/{}/grants/{}",
        caller.workspace.slug, grant.id
    );
    Ok(created(
        location,
        &GrantWritten::new(GrantView::from(&grant), revision),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantFilter {
    /// Only grants of `user:<membership id or email>` or `group:<id>`.
    pub subject: Option<String>,
}

/// A page of grants, by id (ids are time-ordered: oldest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantPage {
    pub grants: Vec<GrantView>,
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn grant_key(g: &GrantView) -> String {
    g.id.to_string()
}

/// Lists grants, optionally of one subject.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/grants", tag = "grants",
    params(("slug" = String, Path, description = "workspace slug"), GrantFilter, PageQuery),
    responses((status = 200, body = GrantPage), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<GrantFilter>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let subject = match filter.into_inner().subject {
        None => None,
        Some(raw) => Some(
            SubjectArg::parse(&raw)?
                .resolve(&state, &caller.workspace)
                .await?,
        ),
    };
    let (mut grants, revision) = state
        .access
        .read(&caller.workspace, None, |ix| {
            let grants: Vec<GrantView> = match subject {
                Some(s) => ix.grants_of(s).into_iter().map(GrantView::from).collect(),
                None => ix.grants().map(GrantView::from).collect(),
            };
            (grants, ix.revision())
        })
        .await?;
    grants.sort_by_key(grant_key);
    let (grants, next_cursor) = page(grants, grant_key, &paging)?;
    Ok(HttpResponse::Ok().json(GrantPage {
        grants,
        revision,
        next_cursor,
    }))
}

/// One grant.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/grants/{id}", tag = "grants",
    params(("slug" = String, Path, description = "workspace slug"), ("id" = Uuid, Path)),
    responses((status = 200, body = GrantView), (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let grant = state
        .access
        .read(&caller.workspace, None, |ix| {
            ix.grant(id).map(GrantView::from)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("grant {id}")))?;
    Ok(HttpResponse::Ok().json(grant))
}

/// Removes a grant.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/grants/{id}", tag = "grants",
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
        .remove_grant(&caller.workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(Revision { revision }))
}
