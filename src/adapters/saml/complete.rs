//! `/saml/{workspace}/complete`: where the ACS hands a new SSO session to the browser. It is a
//! same-site navigation (the ACS answered 303), so the browser now sends its current session
//! cookie, which it withheld from the IdP's cross-site POST. A sign-in never silently
//! replaces a session of another account: when the browser is signed in as someone else, the
//! page asks whether to switch (a CSRF-protected form; the page cannot be framed). That is
//! what stops a cross-site POST of an attacker's own IdP-initiated response from swapping a
//! victim's session for the attacker's.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::acs::{handoff_cookie, HANDOFF_COOKIE};
use crate::{
    domain::sso::Session,
    web::{
        form_csrf,
        pages::{error_page, escape, page, safe_return_path},
        sessions, AppState,
    },
};

/// The name the switch question's CSRF tokens are bound to.
const COMPLETE_FORM: &str = "saml-complete";

#[derive(Deserialize)]
pub(super) struct CompleteQuery {
    return_to: Option<String>,
}

/// The new session waiting in the handoff cookie, with its token.
async fn handed_over(state: &AppState, req: &HttpRequest) -> Option<(Session, String)> {
    let token = req.cookie(HANDOFF_COOKIE)?.value().to_string();
    let session = sessions::session_for_token(state, &token).await.ok()??;
    Some((session, token))
}

fn expired(state: &AppState, slug: &str) -> HttpResponse {
    let mut response = error_page(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in has expired or was already completed. Sign in again.",
    );
    let _ = response.add_cookie(&handoff_cookie(state, slug, None));
    response
}

/// Makes the handed-over session the browser's session and goes on to `return_to`.
fn finish(state: &AppState, slug: &str, token: &str, return_to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", return_to.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .cookie(sessions::session_cookie(state, token))
        .cookie(handoff_cookie(state, slug, None))
        .finish()
}

pub(super) async fn complete_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<CompleteQuery>,
) -> HttpResponse {
    let return_to = safe_return_path(query.return_to.as_deref());
    let Some((new, token)) = handed_over(&state, &req).await else {
        return expired(&state, &slug);
    };
    let current = sessions::current(&state, &req).await.ok().flatten();
    match current {
        Some((current, _)) if current.account_id != new.account_id => {
            tracing::info!(saml.workspace = %slug, "SSO sign-in of another account than the browser's session: asking");
            let form = form_csrf::issue(&req, &state.settings.sign_in, COMPLETE_FORM);
            let body = format!(
                "<h1>Switch account?</h1>\
                 <p id=\"current\">This browser is signed in as <strong>{}</strong>.</p>\
                 <p id=\"incoming\">Your identity provider has just signed you in as <strong>{}</strong>.</p>\
                 <form method=\"post\" action=\"/saml/{}/complete\">{}\
                 <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
                 <button type=\"submit\" name=\"choice\" value=\"switch\" id=\"switch-account\">Continue as {}</button> \
                 <button type=\"submit\" name=\"choice\" value=\"stay\" id=\"stay\">Stay signed in as {}</button></form>",
                escape(&current.email),
                escape(&new.email),
                escape(&slug),
                form.hidden_input(),
                escape(&return_to),
                escape(&new.email),
                escape(&current.email),
            );
            form.attach(page(StatusCode::OK, "Switch account?", &body))
        }
        current => {
            // No session, or one of the same account: the new one replaces it.
            if let Some((old, _)) = current.filter(|(old, _)| old.id != new.id) {
                let _ = state.store.revoke_session(old.id).await;
            }
            finish(&state, &slug, &token, &return_to)
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ChoiceForm {
    choice: String,
    return_to: Option<String>,
    csrf_token: Option<String>,
}

pub(super) async fn complete_choice(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<ChoiceForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if form_csrf::verify(
        &req,
        &state.settings.sign_in,
        COMPLETE_FORM,
        form.csrf_token.as_deref(),
    )
    .is_err()
    {
        return error_page(
            StatusCode::FORBIDDEN,
            "Sign-in not completed",
            "This form expired or was sent from another site. Sign in again.",
        );
    }
    let Some((new, token)) = handed_over(&state, &req).await else {
        return expired(&state, &slug);
    };
    let return_to = safe_return_path(form.return_to.as_deref());
    let current = sessions::current(&state, &req).await.ok().flatten();
    match form.choice.as_str() {
        "switch" => {
            if let Some((old, _)) = current.filter(|(old, _)| old.id != new.id) {
                let _ = state.store.revoke_session(old.id).await;
            }
            tracing::info!(saml.workspace = %slug, "switched to the SSO sign-in's account");
            finish(&state, &slug, &token, &return_to)
        }
        _ => {
            let _ = state.store.revoke_session(new.id).await;
            tracing::info!(saml.workspace = %slug, "kept the browser's session; the SSO sign-in was dropped");
            HttpResponse::SeeOther()
                .insert_header(("Location", "/"))
                .cookie(handoff_cookie(&state, &slug, None))
                .finish()
        }
    }
}
