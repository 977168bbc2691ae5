//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: not draining, and the
//! database answers within two seconds, with its schema version), and the SCIM notes that
//! ServiceProviderConfig's `documentationUri` points at (`docs/scim.md`).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route(crate::scim::DOC_PATH, web::get().to(scim_doc));
}

/// How Gatehouse implements SCIM: the profile rules it follows and those it does not.
pub const SCIM_DOC: &str = include_str!("../../docs/scim.md");

async fn scim_doc() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .body(SCIM_DOC)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when not shutting down and the database answers; reports the schema version (the
/// newest applied migration) beside the newest this binary carries, so a rolling upgrade
/// can be watched instance by instance.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let binary = state.store.binary_schema_version();
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"status": "draining", "binary_schema_version": binary}));
    }
    let version = tokio::time::timeout(Duration::from_secs(2), state.store.schema_version()).await;
    match version {
        Ok(Ok(version)) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "schema_version": version,
            "binary_schema_version": binary,
        })),
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
