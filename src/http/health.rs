//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
//! answers too, within two seconds), and the API's OpenAPI document.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/v1/openapi.json", web::get().to(openapi));
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
