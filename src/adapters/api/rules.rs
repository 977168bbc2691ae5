//! `/v1/workspaces/{slug}/mapping-rules`: "a group whose name … gets role R with scope S".
//! Rules apply to every matching group at once, and to groups that match later.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    paging::{created, page, PageQuery},
    views::ErrorEnvelope,
};
use crate::{
    access::Scope,
    domain::bridge::{MappingRule, MatchKind},
    service::rules::RuleSpec,
    web::{ApiError, AppState, Caller},
};

/// A rule to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    /// `display_name_equals`, `display_name_prefix`, `display_name_regex` or
    /// `external_id_equals`.
    #[serde(rename = "match")]
    #[schema(value_type = String, example = "display_name_prefix")]
    pub match_kind: MatchKind,
    #[schema(example = "eng-")]
    pub pattern: String,
    #[schema(example = "source.read")]
    pub role: String,
    /// `{"type": "all"}` (default) or `{"type": "instance", "resource": {"type", "id"}}`.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<Scope>,
}

/// A page of rules, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulePage {
    /// `[{id, match_kind, pattern, role, scope, source, created_at}]`.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<MappingRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn rule_key(r: &MappingRule) -> String {
    format!("{}\u{0}{}", r.created_at.to_rfc3339(), r.id)
}

/// Lists the workspace's mapping rules.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/mapping-rules", tag = "mapping rules",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = RulePage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut rules = state.store.mapping_rules(caller.workspace.id).await?;
    rules.sort_by_key(rule_key);
    let (rules, next_cursor) = page(rules, rule_key, &paging)?;
    Ok(HttpResponse::Ok().json(RulePage { rules, next_cursor }))
}

/// Makes a rule (validated against the catalog and the enabled products) and applies it.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/mapping-rules", tag = "mapping rules",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewRule,
    responses((status = 201, description = "the rule: {id, match_kind, pattern, role, scope, source, created_at}",
            body = Object, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewRule>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let spec = RuleSpec {
        match_kind: body.match_kind,
        pattern: body.pattern,
        role: body.role,
        scope: body.scope.unwrap_or(Scope::All),
    };
    let rule = state
        .access
        .create_rule(&caller.workspace, spec, &caller.change_context())
        .await?;
    let location = format!(
        "/v1/workspaces/{}/mapping-rules/{}",
        caller.workspace.slug, rule.id
    );
    Ok(created(location, &rule))
}

/// What a deletion answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: bool,
}

/// Deletes a rule and the grants it gave.
#[utoipa::path(delete, path = "/v1/workspaces/{slug}/mapping-rules/{id}", tag = "mapping rules",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = Uuid, Path, description = "rule id")),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    state
        .access
        .delete_rule(&caller.workspace, id, &caller.change_context())
        .await?;
    Ok(HttpResponse::Ok().json(Deleted { deleted: true }))
}
