//! `GET /v1/session`: who the browser is signed in as, their workspaces, and the CSRF token
//! cookie-authenticated writes must echo in `X-CSRF-Token`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::web::{sessions, ApiError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/session", web::get().to(session_info));
}

async fn session_info(
    state: web::Data<AppState>,
    signed_in: sessions::SignedIn,
) -> Result<HttpResponse, ApiError> {
    let session = &signed_in.session;
    let workspaces: Vec<_> = state
        .store
        .account_workspaces(session.account_id)
        .await?
        .into_iter()
        .map(|(id, slug, kind, active)| json!({"id": id, "slug": slug, "kind": kind, "active": active}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "account_id": session.account_id,
        "email": session.email,
        "method": session.method,
        "signed_in_workspace": session.workspace_id,
        "expires_at": session.expires_at,
        "csrf_token": signed_in.csrf_token,
        "workspaces": workspaces,
    })))
}
