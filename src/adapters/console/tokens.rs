//! SCIM tokens from the console: create one (its secret shown once, on the answer page, never
//! in a URL), rotate one (the old keeps working for a day), revoke one. Only this workspace's
//! tokens: an id of another workspace's token is not found.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Duration;
use maud::html;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{layout, refusal, see_other, Button, Owner, OwnerForm};
use crate::{
    domain::TokenKind,
    web::{pages::url_encode, ApiError, AppState},
};

/// How long a rotated token keeps working beside its successor.
const ROTATION_OVERLAP_HOURS: i64 = 24;

/// The page that shows a new secret, once.
fn secret_page(owner: &Owner, slug: &str, what: &str, secret: &str) -> HttpResponse {
    let back = format!("/console/{}/scim", url_encode(slug));
    let body = html! {
        h1 { (what) }
        p { "Copy it into your identity provider's SCIM settings now: it is shown this once." }
        p { code id="secret" { (secret) } }
        p { a href=(back) { "Back to SCIM" } }
    };
    layout::page(StatusCode::OK, what, Some(slug), owner.csrf(), body)
}

/// Creates a SCIM token.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let slug = owner.slug();
    let ctx = owner.caller.change_context();
    match state
        .store
        .create_token(
            &slug,
            TokenKind::Scim,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await
    {
        Ok(issued) => secret_page(
            &owner,
            &slug,
            "New SCIM token",
            issued.secret.expose_secret(),
        ),
        Err(err) => refusal(&req, err.into()),
    }
}

/// This workspace's live SCIM token `id` (404 otherwise).
async fn own_token(state: &AppState, slug: &str, id: Uuid) -> Result<(), ApiError> {
    let mine = state
        .store
        .list_tokens(Some(slug))
        .await?
        .into_iter()
        .any(|t| t.id == id && t.kind == TokenKind::Scim);
    if mine {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("token {id}")))
    }
}

/// Rotates a SCIM token: a new secret now, the old one refused after a day.
pub async fn rotate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id) = path.into_inner();
    if let Err(err) = own_token(&state, &slug, id).await {
        return refusal(&req, err);
    }
    let ctx = owner.caller.change_context();
    match state
        .store
        .rotate_token(
            id,
            Duration::hours(ROTATION_OVERLAP_HOURS),
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await
    {
        Ok(rotated) => secret_page(
            &owner,
            &slug,
            "Rotated SCIM token",
            rotated.issued.secret.expose_secret(),
        ),
        Err(err) => refusal(&req, err.into()),
    }
}

/// Revokes a SCIM token at once.
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
    signed: OwnerForm<Button>,
) -> HttpResponse {
    let OwnerForm { owner, .. } = signed;
    let (slug, id) = path.into_inner();
    if let Err(err) = own_token(&state, &slug, id).await {
        return refusal(&req, err);
    }
    let ctx = owner.caller.change_context();
    match state
        .store
        .revoke_token(id, &ctx.actor, ctx.request_id.as_deref())
        .await
    {
        Ok(_) => see_other(&format!("/console/{}/scim", url_encode(&slug))),
        Err(err) => refusal(&req, err.into()),
    }
}
