//! `/v1/workspaces/{slug}`: the workspace itself and its audit log.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{ApiError, AppState, ServicePrincipal};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{slug}", web::get().to(get_workspace))
        .route("/workspaces/{slug}/audit", web::get().to(audit_log));
}

async fn get_workspace(
    state: web::Data<AppState>,
    caller: ServicePrincipal,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_workspace(&slug)?;
    let workspace = state
        .store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("workspace {slug:?}")))?;
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
    caller: ServicePrincipal,
    slug: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_workspace(&slug)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .store
        .audit_entries(caller.token.workspace_id, query.after, limit)
        .await?;
    let next_after = entries.last().map(|e| e.id);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "entries": entries,
        "next_after": next_after,
    })))
}
