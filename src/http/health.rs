//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
//! answers too, within two seconds), the API's OpenAPI document, and the SCIM notes that
//! ServiceProviderConfig's `documentationUri` points at (`docs/scim.md`).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/v1/openapi.json", web::get().to(openapi))
        .route(SCIM_DOC_PATH, web::get().to(scim_doc));
}

/// Where the SCIM notes are served; ServiceProviderConfig's `documentationUri`.
pub const SCIM_DOC_PATH: &str = "/docs/scim.md";

/// How Gatehouse implements SCIM: the profile rules it follows and those it does not.
pub const SCIM_DOC: &str = include_str!("../../docs/scim.md");

async fn scim_doc() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(SCIM_DOC)
}

/// The OpenAPI description of the admin and access API (kept beside the routes it describes).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let ping = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    match ping {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "unreachable"}))
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 2 s");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "timeout"}))
        }
    }
}
