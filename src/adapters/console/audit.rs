//! The audit log with filters: by action (prefix), by who acted (owner, token, SAML login,
//! rule, person, CLI), by member (any entry that names the membership) and by time.
//! A page reads the newest [`WINDOW`] entries before its cursor and shows those that match.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use maud::html;
use serde::Deserialize;

use super::{layout, refusal, Owner};
use crate::{
    access::MemberKey,
    domain::{Actor, AuditEntry},
    web::{pages::url_encode, AppState},
};

/// Entries read per page.
const WINDOW: i64 = 1_000;
/// Entries shown per page.
const SHOWN: usize = 100;

#[derive(Deserialize, Default)]
pub struct AuditFilter {
    action: Option<String>,
    actor: Option<String>,
    member: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
}

fn actor_kind(actor: &Actor) -> &'static str {
    match actor {
        Actor::Cli => "cli",
        Actor::Token { .. } => "token",
        Actor::Owner { .. } => "owner",
        Actor::Person { .. } => "person",
        Actor::SamlLogin { .. } => "saml_login",
        Actor::System => "rule",
    }
}

fn day(raw: &Option<String>, end_of_day: bool) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(raw.as_deref()?.trim(), "%Y-%m-%d").ok()?;
    let time = if end_of_day {
        date.and_hms_opt(23, 59, 59)?
    } else {
        date.and_hms_opt(0, 0, 0)?
    };
    Some(time.and_utc())
}

/// `/console/{slug}/audit`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    filter: web::Query<AuditFilter>,
) -> HttpResponse {
    let slug = owner.slug();
    let workspace = &owner.caller.workspace;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let action = given(&filter.action);
    let actor = given(&filter.actor);
    let since = day(&filter.since, false);
    let until = day(&filter.until, true);
    // A member by email or membership id: entries that name the membership.
    let member = match given(&filter.member) {
        None => None,
        Some(key) => {
            let found = state
                .access
                .read(workspace, None, |ix| {
                    ix.find_member(&MemberKey::parse(&key)).map(|m| m.id)
                })
                .await;
            match found {
                Ok(Some(id)) => Some(id.to_string()),
                Ok(None) => Some(format!("no such member {key}")),
                Err(err) => return refusal(&req, err.into()),
            }
        }
    };
    let window = match state
        .store
        .audit_newest(workspace.id, filter.before, WINDOW)
        .await
    {
        Ok(w) => w,
        Err(err) => return refusal(&req, err.into()),
    };
    let matches = |e: &AuditEntry| {
        action.as_deref().is_none_or(|a| e.action.starts_with(a))
            && actor.as_deref().is_none_or(|a| actor_kind(&e.actor) == a)
            && since.is_none_or(|s| e.at >= s)
            && until.is_none_or(|u| e.at <= u)
            && member.as_deref().is_none_or(|m| {
                e.target.contains(m)
                    || e.before.as_ref().is_some_and(|b| b.to_string().contains(m))
                    || e.after.as_ref().is_some_and(|a| a.to_string().contains(m))
            })
    };
    let shown: Vec<&AuditEntry> = window.iter().filter(|e| matches(e)).take(SHOWN).collect();
    let older = if shown.len() == SHOWN {
        shown.last().map(|e| e.id)
    } else if window.len() as i64 == WINDOW {
        window.last().map(|e| e.id)
    } else {
        None
    };
    let base = format!("/console/{}/audit", url_encode(&slug));
    let keep = |k: &str, v: &Option<String>| {
        v.as_deref()
            .map(|v| format!("&{k}={}", url_encode(v)))
            .unwrap_or_default()
    };
    let query = format!(
        "{}{}{}{}{}",
        keep("action", &filter.action),
        keep("actor", &filter.actor),
        keep("member", &filter.member),
        keep("since", &filter.since),
        keep("until", &filter.until)
    );
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = html! {
        h1 { "Audit log" }
        form method="get" action=(base) id="filters" {
            label for="action" { "Action starts with" }
            input id="action" name="action" value=(value(&filter.action)) placeholder="grant.";
            label for="actor" { "Who acted" }
            select id="actor" name="actor" {
                option value="" { "anyone" }
                @for kind in ["owner", "token", "saml_login", "rule", "person", "cli"] {
                    option value=(kind) selected[actor.as_deref() == Some(kind)] { (kind) }
                }
            }
            label for="member" { "About member (email or id)" }
            input id="member" name="member" value=(value(&filter.member));
            label for="since" { "From (YYYY-MM-DD)" }
            input id="since" name="since" value=(value(&filter.since));
            label for="until" { "To (YYYY-MM-DD)" }
            input id="until" name="until" value=(value(&filter.until));
            br;
            button type="submit" { "Filter" }
        }
        table id="audit" {
            tr { th { "When" } th { "Action" } th { "Target" } th { "Who" } th { "Request" } }
            @for e in &shown {
                tr {
                    td.muted { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                    td { code { (e.action) } }
                    td { (e.target) }
                    td { (e.actor.to_string()) }
                    td.muted { (e.request_id.as_deref().unwrap_or("")) }
                }
            }
        }
        @if shown.is_empty() { p.muted { "No entry matches in this stretch of the log." } }
        @if let Some(older) = older {
            p { a href={ (base) "?before=" (older) (query) } { "Older entries" } }
        }
    };
    layout::page(StatusCode::OK, "Audit log", Some(&slug), owner.csrf(), body)
}
