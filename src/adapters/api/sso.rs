//! The admin API for IdP connections (mounted under `/v1`): create one from metadata XML or a
//! metadata URL (fetched through the outbound guard), list them with each certificate's days
//! left and when a refresh last changed the certificates.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::{
    saml::SamlError,
    service::sso as refresh,
    web::{ApiError, AppState, Caller},
};

/// The connection routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/workspaces/{slug}/sso/connections",
        web::post().to(create_connection),
    )
    .route(
        "/workspaces/{slug}/sso/connections",
        web::get().to(list_connections),
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConnection {
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    #[serde(flatten)]
    options: refresh::ConnectionOptions,
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

async fn create_connection(
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
    Ok(HttpResponse::Created().json(connection_json(&connection)))
}

async fn list_connections(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let workspace = &caller.workspace;
    let connections: Vec<_> = state
        .store
        .sso_connections(workspace.id)
        .await?
        .iter()
        .map(connection_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "connections": connections })))
}
