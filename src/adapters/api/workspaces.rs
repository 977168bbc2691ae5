//! `/v1/workspaces/{slug}`: the workspace itself and its audit log.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    paging::{number_page, PageQuery},
    views::ErrorEnvelope,
};
use crate::{
    domain::AuditEntry,
    web::{ApiError, AppState, Caller},
};

/// The workspace: `{id, slug, name, settings, products, revision, created_at, …}`.
#[utoipa::path(get, path = "/v1/workspaces/{slug}", tag = "workspaces",
    params(("slug" = String, Path, description = "workspace slug")),
    responses((status = 200, description = "the workspace", body = Object),
        (status = 404, body = ErrorEnvelope)))]
pub async fn get(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let workspace = state
        .store
        .workspace_fresh(&caller.workspace.slug)
        .await?
        .ok_or_else(|| ApiError::NotFound("workspace".into()))?;
    Ok(HttpResponse::Ok().json(workspace))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries per page (1 to 1,000; default 100).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Entries after this id (the older parameter, kept one release; `cursor` wins).
    pub after: Option<i64>,
}

/// A page of the audit log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// `[{id, at, actor, action, target, before, after, request_id}]`.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The last entry's id (deprecated with `after`; kept one release).
    #[schema(deprecated)]
    pub next_after: Option<i64>,
}

/// Every recorded change of the workspace.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/audit", tag = "workspaces",
    params(("slug" = String, Path, description = "workspace slug"), AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
pub async fn audit(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let after = paging.after_number(query.after)?;
    let limit = paging.limit();
    let rows = state
        .store
        .audit_entries(caller.workspace.id, after, limit as i64 + 1)
        .await?;
    let (entries, next_cursor) = number_page(rows, limit, |e| e.id);
    let next_after = entries.last().map(|e| e.id);
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_cursor,
        next_after,
    }))
}

/// What a workspace update may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    /// `{jit_provisioning, require_sso, scim_roles, …}`.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<crate::domain::WorkspaceSettings>,
    /// No longer settable here: domains are claimed and verified at `…/domains`.
    #[schema(value_type = Option<Object>)]
    pub domains: Option<serde_json::Value>,
    /// The enabled products: `sources`, `warehouses`, `protocols`, `personas`.
    #[schema(value_type = Option<Vec<String>>)]
    pub products: Option<Vec<crate::access::Product>>,
}

/// Changes settings or enabled products (products through the access model, since they
/// change what grants confer).
#[utoipa::path(patch, path = "/v1/workspaces/{slug}", tag = "workspaces",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = WorkspacePatch,
    responses((status = 200, description = "the workspace", body = Object),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<WorkspacePatch>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    if body.domains.is_some() {
        return Err(ApiError::BadRequest(format!(
            "domains are not set here: claim one with POST /v1/workspaces/{}/domains, \
             publish its TXT record, then POST …/domains/{{domain}}/verify",
            workspace.slug
        )));
    }
    let ctx = caller.change_context();
    if let Some(mut products) = body.products {
        products.sort();
        products.dedup();
        let change = crate::access::Change::ProductsSet { products };
        state
            .access
            .commit(workspace, vec![change.into()], &ctx)
            .await?;
    }
    let settings = body.settings.unwrap_or_else(|| workspace.settings.clone());
    let current = state
        .store
        .workspace_by_slug(&workspace.slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("workspace {:?}", workspace.slug)))?;
    let updated = state
        .store
        .update_workspace(&current, &settings, &ctx.actor, ctx.request_id.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
