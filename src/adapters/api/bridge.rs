//! The bridge's admin API: mapping rules, webhooks (with their dead letters), a member's
//! timeline, and the change feed as a Server-Sent-Events stream.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::web::{ApiError, AppState, Caller};
use crate::{
    domain::{Actor, TokenKind},
    service::rules::RuleSpec,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/workspaces/{slug}/mapping-rules",
        web::get().to(list_rules),
    )
    .route(
        "/workspaces/{slug}/mapping-rules",
        web::post().to(create_rule),
    )
    .route(
        "/workspaces/{slug}/mapping-rules/{id}",
        web::delete().to(delete_rule),
    )
    .route("/workspaces/{slug}/webhooks", web::get().to(list_webhooks))
    .route(
        "/workspaces/{slug}/webhooks",
        web::post().to(create_webhook),
    )
    .route(
        "/workspaces/{slug}/webhooks/{id}",
        web::delete().to(disable_webhook),
    )
    .route(
        "/workspaces/{slug}/webhooks/{id}/dead-letters",
        web::get().to(dead_letters),
    )
    .route(
        "/workspaces/{slug}/webhooks/{id}/rotate-secret",
        web::post().to(rotate_webhook_secret),
    )
    .route(
        "/workspaces/{slug}/members/{member}/timeline",
        web::get().to(timeline),
    )
    .route(
        "/workspaces/{slug}/changes/stream",
        web::get().to(change_stream),
    );
}

async fn list_rules(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let rules = state.store.mapping_rules(workspace.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "rules": rules })))
}

async fn create_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<RuleSpec>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let rule = state
        .access
        .create_rule(workspace, body.into_inner(), &caller.change_context())
        .await?;
    Ok(HttpResponse::Created().json(rule))
}

async fn delete_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    state
        .access
        .delete_rule(workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "deleted": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    url: String,
    /// The signing secret receivers verify deliveries with: `whsec_<base64>` (the Standard
    /// Webhooks format) or any other string of at least 16 characters.
    secret: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretRotation {
    /// The new secret.
    secret: String,
    /// Hours the old secret keeps signing beside the new one (default 24, at most 720).
    overlap_hours: Option<u32>,
}

async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<SecretRotation>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
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
            workspace.id,
            id,
            &body.secret,
            chrono::Duration::hours(i64::from(hours)),
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(webhook))
}

async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewWebhook>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    // What can be judged without the network (scheme, IP literals in any spelling,
    // loopback names); names that resolve to internal addresses are refused at delivery.
    if let Err(err) = state
        .outbound
        .check_url(&body.url, crate::net::outbound::Purpose::Webhook)
    {
        tracing::info!(webhook.url = %body.url, reason = %err.detail, "webhook URL refused");
        return Err(ApiError::BadRequest(
            err.public_message(crate::net::outbound::Purpose::Webhook),
        ));
    }
    check_secret(&body.secret)?;
    let ctx = caller.change_context();
    let webhook = state
        .store
        .create_webhook(
            workspace.id,
            &body.url,
            &body.secret,
            &ctx.actor,
            ctx.request_id.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Created().json(webhook))
}

async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let webhooks = state.store.webhooks(Some(workspace.id)).await?;
    let revision = state
        .store
        .workspace_fresh(&workspace.slug)
        .await?
        .map(|w| w.revision)
        .unwrap_or(workspace.revision);
    Ok(HttpResponse::Ok().json(json!({ "webhooks": webhooks, "revision": revision })))
}

async fn disable_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    let ctx = caller.change_context();
    state
        .store
        .disable_webhook(workspace.id, id, &ctx.actor, ctx.request_id.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "disabled": true })))
}

async fn dead_letters(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let workspace = &caller.workspace;
    match state.store.webhook(id).await? {
        Some(w) if w.workspace_id == workspace.id => {}
        _ => return Err(ApiError::NotFound(format!("webhook {id}"))),
    }
    let letters = state.store.dead_letters(id).await?;
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": letters })))
}

/// Every change to a member's membership, group memberships and direct grants, with its
/// cause, in order: what an auditor asks for.
async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let workspace = &caller.workspace;
    let member = state.access.member(workspace, &key).await?;
    let tokens = state.store.list_tokens(Some(&workspace.slug)).await?;
    let entries = state
        .store
        .audit_mentioning(workspace.id, &member.id.to_string(), 10_000)
        .await?;
    let events: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let cause = match &e.actor {
                Actor::Token { id } => match tokens.iter().find(|t| t.id == *id).map(|t| t.kind) {
                    Some(TokenKind::Scim) => "scim_request",
                    _ => "api",
                },
                Actor::SamlLogin { .. } => "saml_login",
                Actor::System => "rule",
                Actor::Owner { .. } => "owner",
                Actor::Person { .. } => "person",
                Actor::Cli => "cli",
            };
            json!({
                "at": e.at,
                "action": e.action,
                "cause": cause,
                "actor": e.actor,
                "target": e.target,
                "before": e.before,
                "after": e.after,
                "request_id": e.request_id,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "member": member, "events": events })))
}

#[derive(Deserialize)]
struct StreamQuery {
    #[serde(default)]
    after_revision: i64,
}

/// How long one change stream runs before the client must reconnect (and authenticate again).
const STREAM_LIFETIME: Duration = Duration::from_secs(3600);

/// The change feed as Server-Sent Events: `id:` is the revision (send it back as
/// `Last-Event-ID` or `after_revision` to resume), `data:` the event with its unique id.
async fn change_stream(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StreamQuery>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(query.after_revision);
    let store = state.store.clone();
    let workspace_id = caller.workspace.id;
    let secret = crate::web::bearer_secret(&req);
    // An owner's stream lasts as long as the owner's session (its cookie's digest).
    let session = req
        .cookie(crate::web::sessions::SESSION_COOKIE)
        .map(|c| crate::domain::token::digest(c.value()));
    let idle = chrono::Duration::minutes(state.settings.sign_in.session_idle_minutes);
    let started = std::time::Instant::now();
    let events = stream::unfold((store, resume), move |(store, cursor)| {
        let secret = secret.clone();
        let session = session.clone();
        async move {
            loop {
                // A stream lasts as long as its token (or owner session): revoked, expired or
                // past the stream's lifetime, it ends (the client resumes with Last-Event-ID).
                if started.elapsed() > STREAM_LIFETIME {
                    return None;
                }
                let live = match (&secret, &session) {
                    (Some(secret), _) => matches!(
                        store.authenticate_token(secret, TokenKind::Service).await,
                        Ok(Ok(token)) if token.workspace_id == workspace_id
                    ),
                    (None, Some(digest)) => matches!(
                        store.session_member(digest, workspace_id, idle).await,
                        Ok(Some(_))
                    ),
                    (None, None) => false,
                };
                if !live {
                    return None;
                }
                match store.changes_after(workspace_id, cursor, 500).await {
                    Ok(events) if !events.is_empty() => {
                        let next = events.last().map(|e| e.revision).unwrap_or(cursor);
                        let mut chunk = String::new();
                        for e in &events {
                            let data = serde_json::to_string(e).unwrap_or_default();
                            chunk.push_str(&format!(
                                "id: {}\nevent: change\ndata: {data}\n\n",
                                e.revision
                            ));
                        }
                        return Some((
                            Ok::<_, actix_web::Error>(web::Bytes::from(chunk)),
                            (store, next),
                        ));
                    }
                    Ok(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                    Err(err) => {
                        tracing::warn!(error = %err, "change stream: cannot read the feed");
                        return None;
                    }
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .streaming(events))
}
