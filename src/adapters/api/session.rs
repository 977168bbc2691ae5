//! `GET /v1/session`: who the browser is signed in as, their workspaces, and the CSRF token
//! cookie-authenticated writes must echo in `X-CSRF-Token`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::views::ErrorEnvelope;
use crate::web::{sessions, ApiError, AppState};

/// The signed-in browser's session (cookie `gatehouse_session`).
#[utoipa::path(get, path = "/v1/session", tag = "session",
    responses((status = 200,
            description = "`{account_id, email, method, signed_in_workspace, expires_at, csrf_token, workspaces: [{id, slug, kind, active}]}`",
            body = Object),
        (status = 401, body = ErrorEnvelope)),
    security(("session" = [])))]
pub async fn session(
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
