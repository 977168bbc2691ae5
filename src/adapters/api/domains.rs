//! `/v1/workspaces/{slug}/domains`: the email domains a workspace claims and verifies.
//! Claiming shows the TXT record to publish; verifying looks it up in DNS. The tenant API
//! never verifies without DNS (only the operator's `gatehouse domain verify --no-dns` does).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::web::{ApiError, AppState, Caller};
use crate::{domain::domains::DomainClaim, service::domains};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces/{slug}/domains", web::get().to(list))
        .route("/workspaces/{slug}/domains", web::post().to(claim))
        .route(
            "/workspaces/{slug}/domains/{domain}",
            web::delete().to(remove),
        )
        .route(
            "/workspaces/{slug}/domains/{domain}/verify",
            web::post().to(verify),
        );
}

fn claim_json(claim: &DomainClaim) -> serde_json::Value {
    json!({
        "domain": claim.domain,
        "state": claim.state(),
        "created_at": claim.created_at,
        "verified_at": claim.verified_at,
        "verified_by": claim.verified_by,
        "txt_record": claim.txt_record,
    })
}

async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let claims = state.store.domain_claims(workspace.id).await?;
    let domains: Vec<_> = claims.iter().map(claim_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "domains": domains })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClaim {
    domain: String,
}

async fn claim(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewClaim>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    let claim = domains::claim(
        &state.store,
        workspace,
        &body.domain,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created().json(claim_json(&claim)))
}

async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, domain) = path.into_inner();
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    let claim = domains::verify_by_dns(
        &state.store,
        &state.dns,
        workspace,
        &domain,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(claim_json(&claim)))
}

async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, domain) = path.into_inner();
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    domains::remove(
        &state.store,
        workspace,
        &domain,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "removed": true })))
}
