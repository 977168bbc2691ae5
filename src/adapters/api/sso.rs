//! The admin API for IdP connections (mounted under `/v1`): create one from metadata XML or a
//! metadata URL (fetched through the outbound guard), list them with each certificate's days
//! left and when a refresh last changed the certificates.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{
    paging::{created, page, PageQuery},
    views::ErrorEnvelope,
};
use crate::{
    saml::SamlError,
    service::sso as refresh,
    web::{ApiError, AppState, Caller},
};

/// A connection to make: the IdP's metadata, inline or by URL (exactly one), and options.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    pub metadata_xml: Option<String>,
    /// An `https://` URL on a public address, fetched now and refreshed daily.
    pub metadata_url: Option<String>,
    /// `{groups_attribute, email_attribute, …}` (see the README's SSO section).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub options: refresh::ConnectionOptions,
}

fn connection_json(c: &crate::domain::sso::SsoConnection) -> serde_json::Value {
    let mut value = serde_json::to_value(c).unwrap_or_default();
    value["certificates"] = c
        .certificates
        .iter()
        .map(|cert| json!({"not_after": cert.not_after, "days_left": cert.days_left()}))
        .collect();
    value
}

/// Connects an identity provider.
#[utoipa::path(post, path = "/v1/workspaces/{slug}/sso/connections", tag = "sso",
    params(("slug" = String, Path, description = "workspace slug")),
    request_body = NewConnection,
    responses((status = 201, description = "the connection, with each certificate's `not_after` and `days_left`",
            body = Object, headers(("Location" = String))),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewConnection>,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let body = body.into_inner();
    let ctx = caller.change_context();
    let connection = refresh::connect(
        &state.store,
        &state.outbound,
        workspace,
        body.metadata_xml,
        body.metadata_url,
        body.options,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await
    .map_err(|e| match e {
        SamlError::Storage(msg) => ApiError::Internal(anyhow::anyhow!(msg)),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    let location = format!(
        "/v1/workspaces/{}/sso/connections/{}",
        workspace.slug, connection.id
    );
    Ok(created(location, &connection_json(&connection)))
}

/// One IdP connection.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/sso/connections/{id}", tag = "sso",
    params(("slug" = String, Path, description = "workspace slug"),
        ("id" = uuid::Uuid, Path, description = "connection id")),
    responses((status = 200, description = "the connection, with each certificate's `not_after` and `days_left`",
            body = Object),
        (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let connection = state
        .store
        .sso_connections(caller.workspace.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("SSO connection {id}")))?;
    Ok(HttpResponse::Ok().json(connection_json(&connection)))
}

/// A page of connections, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionPage {
    /// Each connection with its certificates' `not_after` and `days_left`.
    #[schema(value_type = Vec<Object>)]
    pub connections: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Lists the workspace's IdP connections.
#[utoipa::path(get, path = "/v1/workspaces/{slug}/sso/connections", tag = "sso",
    params(("slug" = String, Path, description = "workspace slug"), PageQuery),
    responses((status = 200, body = ConnectionPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    paging: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut connections = state.store.sso_connections(caller.workspace.id).await?;
    connections.sort_by_key(|c| (c.created_at, c.id));
    let key = |c: &crate::domain::sso::SsoConnection| {
        format!("{}\u{0}{}", c.created_at.to_rfc3339(), c.id)
    };
    let (connections, next_cursor) = page(connections, key, &paging)?;
    Ok(HttpResponse::Ok().json(ConnectionPage {
        connections: connections.iter().map(connection_json).collect(),
        next_cursor,
    }))
}
