//! `/v1/workspaces/{slug}`: the workspace itself and its audit log.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::web::{ApiError, AppState, Caller};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{slug}", web::get().to(get_workspace))
        .route("/workspaces/{slug}", web::patch().to(update_workspace))
        .route("/workspaces/{slug}/audit", web::get().to(audit_log));
}

async fn get_workspace(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let workspace = state
        .store
        .workspace_fresh(&caller.workspace.slug)
        .await?
        .ok_or_else(|| ApiError::NotFound("workspace".into()))?;
    Ok(HttpResponse::Ok().json(workspace))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

async fn audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .store
        .audit_entries(caller.workspace.id, query.after, limit)
        .await?;
    let next_after = entries.last().map(|e| e.id);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "entries": entries,
        "next_after": next_after,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkspacePatch {
    settings: Option<crate::domain::WorkspaceSettings>,
    /// No longer settable here: domains are claimed and verified at `…/domains`.
    domains: Option<serde_json::Value>,
    products: Option<Vec<crate::access::Product>>,
}

/// Changes settings or enabled products (products through the access model, since they
/// change what grants confer).
async fn update_workspace(
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
