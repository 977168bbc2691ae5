//! `/v1/workspaces/{slug}/webhooks`: receivers of the change feed, signed the Standard Webhooks
//! way, with the deliveries given up after every retry (dead letters).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    paging::{created, page, PageQuery},
    views::ErrorEnvelope,
};
use crate::{
    domain::bridge::{DeadLetter, Webhook},
    net::outbound::Purpose,
    web::{ApiError, AppState, Caller},
};

/// A receiver to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An `https://` URL on a public address.
    pub url: String,
    /// The signing secret receivers verify deliveries with: `whsec_<base64>` (the Standard
    /// Webhooks format) or any other string of at least 16 characters.
    pub secret: String,
}

/// Refuses secrets too short to be a key (or too long to be anything but a mistake).
fn check_secret(secret: &str) -> Result<(), ApiError> {
    let key = crate::service::webhook_signature::key_bytes(secret);
    if secret.len() < 16 || key.len() < 16 || secret.len() > 1024 {
        return Err(ApiError::BadRequest(
            "secret must have at least 16 characters (a whsec_ secret at least 16 bytes) \
             and at most 1024"
                .into(),
        ));
    }
    Ok(())
}

/// A webhook as answered (never its secrets): `{id, workspace_id, url, cursor_revision,
/// created_at, disabled_at, previous_secret_expires_at}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct WebhookView(Webhook);

/// Adds a receiver. The URL's form is judged here (scheme, addresses in any spelling,
/// loopback names); names that resolve to internal addresses are refused at delivery.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/webhooks", tag = "webhooks",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewWebhook,
    responses((status = 201, body = WebhookView, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Err(err) = state.outbound.check_url(&body.url, Purpose::Webhook) {
        tracing::info!(webhook.url = %body.url, reason = %err.detail, "webhook URL refused");
        return Err(ApiError::BadRequest(err.public_message(Purpose::Webhook)));
    }
    check_secret(&body.secret)?;
    let ctx = caller.change_context();
    let webhook = state
        .store
        .create_webhook(
            caller.workspace.id,
            &body.url,
            &body.secret,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    let location = format!(
        "/v1/workspaces/{}/webhooks/{}",
        caller.workspace.slug, webhook.id
    );
    Ok(created(location, &webhook))
}

/// A page of live webhooks, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPage {
    pub webhooks: Vec<WebhookView>,
    /// The workspace's revision now (how far behind each receiver's `cursor_revision` is).
    pub revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn webhook_key(w: &WebhookView) -> String {
    format!("{}\u{0}{}", w.0.created_at.to_rfc3339(), w.0.id)
}

/// Lists the live (not disabled) webhooks.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/webhooks", tag = "webhooks",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = WebhookPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let mut webhooks: Vec<WebhookView> = state
        .store
        .webhooks(Some(workspace.id))
        .await?
        .into_iter()
        .map(WebhookView)
        .collect();
    webhooks.sort_by_key(webhook_key);
    let (webhooks, next_cursor) = page(webhooks, webhook_key, &paging)?;
    let revision = state
        .store
        .workspace_fresh(&workspace.slug)
        .await?
        .map(|w| w.revision)
        .unwrap_or(workspace.revision);
    Ok(HttpResponse::Ok().json(WebhookPage {
        webhooks,
        revision,
        next_cursor,
    }))
}

/// What disabling answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disabled {
    pub disabled: bool,
}

/// Disables a webhook (deliveries stop; the row stays for the audit trail).
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/webhooks/{id}", tag = "webhooks",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = Uuid, Path, description = "webhook id")),
    responses((status = 200, body = Disabled), (status = 404, body = ErrorEnvelope)))]
pub async fn disable(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let ctx = caller.change_context();
    state
        .store
        .disable_webhook(
            caller.workspace.id,
            id,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(Disabled { disabled: true }))
}

/// A new signing secret, and how long the old one keeps signing beside it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRotation {
    pub secret: String,
    /// Hours the old secret keeps signing beside the new one (default 24, at most 720).
    pub overlap_hours: Option<u32>,
}

/// Replaces the signing secret; deliveries carry both signatures during the overlap.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = Uuid, Path, description = "webhook id")),
    request_body = SecretRotation,
    responses((status = 200, body = WebhookView), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<SecretRotation>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let body = body.into_inner();
    check_secret(&body.secret)?;
    let hours = body.overlap_hours.unwrap_or(24);
    if hours > 720 {
        return Err(ApiError::BadRequest(
            "overlap_hours must be 0 to 720".into(),
        ));
    }
    let ctx = caller.change_context();
    let webhook = state
        .store
        .rotate_webhook_secret(
            caller.workspace.id,
            id,
            &body.secret,
            chrono::Duration::hours(i64::from(hours)),
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(webhook))
}

/// A page of a webhook's dead letters, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// `[{id, webhook_id, from_revision, to_revision, attempts, last_error, failed_at}]`.
    #[schema(value_type = Vec<Object>)]
    pub dead_letters: Vec<DeadLetter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn letter_key(d: &DeadLetter) -> String {
    format!("{}\u{0}{}", d.failed_at.to_rfc3339(), d.id)
}

/// The deliveries a webhook gave up after every retry.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/webhooks/{id}/dead-letters", tag = "webhooks",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = Uuid, Path, description = "webhook id"), PageQuery),
    responses((status = 200, body = DeadLetterPage), (status = 404, body = ErrorEnvelope)))]
pub async fn dead_letters(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    match state.store.webhook(id).await? {
        Some(w) if w.workspace_id == caller.workspace.id => {}
        _ => return Err(ApiError::NotFound(format!("webhook {id}"))),
    }
    let mut letters = state.store.dead_letters(id).await?;
    letters.sort_by_key(letter_key);
    let (dead_letters, next_cursor) = page(letters, letter_key, &paging)?;
    Ok(HttpResponse::Ok().json(DeadLetterPage {
        dead_letters,
        next_cursor,
    }))
}
