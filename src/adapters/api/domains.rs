//! `/v1/workspaces/{slug}/domains`: the email domains a workspace claims and verifies.
//! Claiming shows the TXT record to publish; verifying looks it up in DNS. The tenant API
//! never verifies without DNS (only the operator's `gatehouse domain verify --no-dns` does).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    paging::{created, page, PageQuery},
    views::ErrorEnvelope,
};
use crate::web::{ApiError, AppState, Caller};
use crate::{
    domain::domains::{DomainClaim, TxtRecord, VerifiedBy},
    service::domains,
};

/// A claimed domain and the TXT record that proves it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainView {
    pub domain: String,
    /// `pending` or `verified`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// How it was verified (by DNS, or by the operator).
    #[schema(value_type = Option<String>)]
    pub verified_by: Option<VerifiedBy>,
    /// The record to publish: `{name, value}`.
    #[schema(value_type = Object)]
    pub txt_record: TxtRecord,
}

impl From<&DomainClaim> for DomainView {
    fn from(claim: &DomainClaim) -> Self {
        DomainView {
            domain: claim.domain.clone(),
            state: claim.state().to_string(),
            created_at: claim.created_at,
            verified_at: claim.verified_at,
            verified_by: claim.verified_by,
            txt_record: claim.txt_record.clone(),
        }
    }
}

/// A page of claimed domains, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainPage {
    pub domains: Vec<DomainView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Lists the workspace's claimed domains, verified or not.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/domains", tag = "domains",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = DomainPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut domains: Vec<DomainView> = state
        .store
        .domain_claims(caller.workspace.id)
        .await?
        .iter()
        .map(DomainView::from)
        .collect();
    domains.sort_by(|a, b| a.domain.cmp(&b.domain));
    let (domains, next_cursor) = page(domains, |d| d.domain.clone(), &paging)?;
    Ok(HttpResponse::Ok().json(DomainPage {
        domains,
        next_cursor,
    }))
}

/// A domain to claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClaim {
    #[schema(example = "example.com")]
    pub domain: String,
}

/// Claims a domain; publish the answered TXT record, then verify.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/domains", tag = "domains",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewClaim,
    responses((status = 201, body = DomainView, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn claim(
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
    let location = format!("/v1/workspaces/{}/domains/{}", workspace.slug, claim.domain);
    Ok(created(location, &DomainView::from(&claim)))
}

/// Looks the TXT record up in DNS and, when it is there, marks the domain verified.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/domains/{domain}/verify", tag = "domains",
    params(("slug" = String, Path, description = "workspace slug"),
        ("domain" = String, Path, description = "the claimed domain")),
    responses((status = 200, body = DomainView), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
pub async fn verify(
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
    Ok(HttpResponse::Ok().json(DomainView::from(&claim)))
}

/// What removing a domain answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub removed: bool,
}

/// Gives up a domain claim.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/domains/{domain}", tag = "domains",
    params(("slug" = String, Path, description = "workspace slug"),
        ("domain" = String, Path, description = "the claimed domain")),
    responses((status = 200, body = Removed), (status = 404, body = ErrorEnvelope)))]
pub async fn remove(
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
    Ok(HttpResponse::Ok().json(Removed { removed: true }))
}
