//! `/v1/workspaces/{slug}/members/{member}/timeline`: every change to a member's membership,
//! group memberships and direct grants, with its cause, in order: what an auditor asks for.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    paging::{page, PageQuery},
    views::{ErrorEnvelope, MemberView},
};
use crate::{
    domain::{Actor, AuditEntry, TokenKind},
    web::{ApiError, AppState, Caller},
};

/// The most audit entries one timeline reads.
const TIMELINE_SCAN: i64 = 10_000;

/// One change and why it happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    /// The audit entry's id (increasing).
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    /// `scim_request`, `api`, `saml_login`, `rule`, `owner`, `person` or `cli`.
    pub cause: &'static str,
    #[schema(value_type = Object)]
    pub actor: Actor,
    pub target: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

/// A page of a member's timeline, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub member: MemberView,
    pub events: Vec<TimelineEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A sort key that orders as the ids do.
fn event_key(e: &TimelineEvent) -> String {
    format!("{:020}", e.id)
}

/// A member's timeline.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/members/{member}/timeline", tag = "members",
    params(("slug" = String, Path, description = "workspace slug"),
        ("member" = String, Path, description = "membership id or email"), PageQuery),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorEnvelope)))]
pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, key) = path.into_inner();
    let workspace = &caller.workspace;
    let member = state.access.member(workspace, &key).await?;
    let tokens = state.store.list_tokens(Some(&workspace.slug)).await?;
    let entries = state
        .store
        .audit_mentioning(workspace.id, &member.id.to_string(), TIMELINE_SCAN)
        .await?;
    let cause_of = |e: &AuditEntry| match &e.actor {
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
    let events: Vec<TimelineEvent> = entries
        .into_iter()
        .map(|e| TimelineEvent {
            cause: cause_of(&e),
            id: e.id,
            at: e.at,
            action: e.action,
            actor: e.actor,
            target: e.target,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        })
        .collect();
    let (events, next_cursor) = page(events, event_key, &paging)?;
    Ok(HttpResponse::Ok().json(Timeline {
        member: MemberView::from(&member),
        events,
        next_cursor,
    }))
}
