//! The SCIM request log and the sign-in log: the newest entries first, refusals with their
//! reason code and our one-line detail, so an owner can fix a misconfigured IdP alone. The
//! SCIM page also shows the base URL the IdP is given.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::{layout, refusal, Owner};
use crate::{
    domain::{activity::ActivityKind, TokenKind},
    web::{pages::url_encode, AppState},
};

/// Entries per page.
const PAGE: i64 = 100;

#[derive(Deserialize)]
pub struct LogQuery {
    /// Only refusals.
    refused: Option<bool>,
    /// Entries older than this id (the next page).
    before: Option<i64>,
}

/// `/console/{slug}/scim`.
pub async fn scim(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    query: web::Query<LogQuery>,
) -> HttpResponse {
    log_page(&state, &req, &owner, ActivityKind::Scim, &query).await
}

/// `/console/{slug}/sign-ins`.
pub async fn sign_ins(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    query: web::Query<LogQuery>,
) -> HttpResponse {
    log_page(&state, &req, &owner, ActivityKind::SignIn, &query).await
}

async fn log_page(
    state: &AppState,
    req: &HttpRequest,
    owner: &Owner,
    kind: ActivityKind,
    query: &LogQuery,
) -> HttpResponse {
    let slug = owner.caller.workspace.slug.as_str();
    let refused_only = query.refused.unwrap_or(false);
    let entries = match state
        .store
        .recent_activity(
            owner.caller.workspace.id,
            kind,
            refused_only,
            query.before,
            PAGE + 1,
        )
        .await
    {
        Ok(entries) => entries,
        Err(err) => return refusal(req, err.into()),
    };
    let more = entries.len() as i64 > PAGE;
    let entries = &entries[..entries.len().min(PAGE as usize)];
    let scim_tokens = match kind {
        ActivityKind::Scim => match state.store.list_tokens(Some(slug)).await {
            Ok(tokens) => tokens
                .into_iter()
                .filter(|t| t.kind == TokenKind::Scim)
                .collect(),
            Err(err) => return refusal(req, err.into()),
        },
        ActivityKind::SignIn => Vec::new(),
    };
    let (title, segment) = match kind {
        ActivityKind::Scim => ("SCIM requests", "scim"),
        ActivityKind::SignIn => ("Sign-ins", "sign-ins"),
    };
    let base = format!("/console/{}/{segment}", url_encode(slug));
    let filter = if refused_only { "&refused=true" } else { "" };
    let days = state.settings.activity_log_days;
    let body = html! {
        h1 { (title) }
        @if kind == ActivityKind::Scim {
            p { "SCIM base URL for Okta or Microsoft Entra ID: "
                code { (state.settings.public_url) "/scim/v2" } }
            h2 { "SCIM tokens" }
            table id="tokens" {
                tr { th { "Token" } th { "Created" } th { "Last used" } th { "State" } th {} }
                @for t in &scim_tokens {
                    tr {
                        td { code { (t.prefix) "…" } }
                        td.muted { (t.created_at.format("%Y-%m-%d")) }
                        td.muted { (t.last_used_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())) }
                        td { @if t.revoked_at.is_some() { "revoked" } @else if t.expires_at.is_some() { "rotated (expiring)" } @else { "live" } }
                        td {
                            @if t.revoked_at.is_none() && t.expires_at.is_none() {
                                form.inline method="post" action={ (base) "/tokens/" (t.id) "/rotate" } {
                                    input type="hidden" name="csrf_token" value=(owner.csrf());
                                    button type="submit" { "Rotate" }
                                }
                                " "
                                form.inline method="post" action={ (base) "/tokens/" (t.id) "/revoke" } {
                                    input type="hidden" name="csrf_token" value=(owner.csrf());
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (base) "/tokens" } {
                input type="hidden" name="csrf_token" value=(owner.csrf());
                button type="submit" id="new-token" { "Create a SCIM token" }
            }
            h2 { "Requests" }
        }
        p.muted { "Kept " (days) " days. Never a password, a token, a document or an assertion." }
        p {
            @if refused_only { a href=(base) { "Show everything" } }
            @else { a href={ (base) "?refused=true" } { "Show refusals only" } }
        }
        table id="log" {
            tr { th { "When" } th { "Request" } th { "Status" } th { "Outcome" } th { "Reason" } th { "Who" } }
            @for e in entries {
                tr class=(e.outcome) {
                    td.muted { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                    td { (e.method.as_deref().unwrap_or("")) " " (e.path.as_deref().unwrap_or("")) }
                    td { (e.status.map(|s| s.to_string()).unwrap_or_default()) }
                    td { (e.outcome) }
                    td { @if let Some(r) = &e.reason { code { (r) } } @if let Some(d) = &e.detail { br; span.muted { (d) } } }
                    td { (e.subject.as_deref().unwrap_or("")) }
                }
            }
        }
        @if entries.is_empty() { p.muted { "Nothing recorded yet." } }
        @if more {
            @if let Some(last) = entries.last() {
                p { a href={ (base) "?before=" (last.id) (filter) } { "Older entries" } }
            }
        }
    };
    layout::page(StatusCode::OK, title, Some(slug), owner.csrf(), body)
}
