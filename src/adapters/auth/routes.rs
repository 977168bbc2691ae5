//! `/login` (email first: SSO workspaces go to their IdP, everyone else gets a password
//! field), `/logout`, the signed-in landing page `/`, and `GET /v1/session`. Login forms carry
//! a pre-session CSRF token (`form_csrf`), sign-out the session's; password attempts are
//! reserved with the throttle before they are hashed.

use std::time::Duration;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::forms::{email_form, logout_form, password_form, LoginPage, LOGIN_FORM};
use crate::{
    domain::sso::SessionMethod,
    web::{
        pages::{error_page, escape, page, safe_return_path, url_encode},
        AppState,
    },
};
use crate::{
    service::{activity, passwords},
    web::{form_csrf, request_context::RequestId, sessions},
};

/// A password sign-in attempt as the sign-in log records it.
fn password_attempt(
    email: &str,
    status: StatusCode,
    refusal: Option<&'static str>,
) -> activity::SignInAttempt<'static> {
    activity::SignInAttempt {
        method: "password",
        path: "/login".into(),
        status: status.as_u16(),
        refusal,
        detail: refusal.map(|_| "the password does not match the account's".to_string()),
        email: Some(email.to_string()),
        request_id: RequestId::current(),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout))
        .route("/memberships/{id}", web::post().to(answer_membership));
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    email: Option<String>,
}

/// The email of the browser's live session, if it has one (for the "signed in as" notice).
async fn signed_in_as(state: &AppState, req: &HttpRequest) -> Option<String> {
    sessions::current(state, req)
        .await
        .ok()
        .flatten()
        .map(|(s, _)| s.email)
}

/// A login page (`which` renders the email or password step) with a fresh CSRF field.
async fn login_form_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    which: fn(&LoginPage<'_>) -> String,
    return_to: &str,
    email: &str,
    message: Option<&str>,
) -> HttpResponse {
    let form = form_csrf::issue(req, &state.settings.sign_in, LOGIN_FORM);
    let signed_in = signed_in_as(state, req).await;
    let body = which(&LoginPage {
        return_to,
        email,
        message,
        csrf_field: &form.hidden_input(),
        signed_in_as: signed_in.as_deref(),
    });
    form.attach(page(status, "Sign in", &body))
}

async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let return_to = safe_return_path(query.return_to.as_deref());
    let email = query.email.as_deref().unwrap_or("");
    login_form_page(
        &state,
        &req,
        StatusCode::OK,
        email_form,
        &return_to,
        email,
        None,
    )
    .await
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: Option<String>,
    return_to: Option<String>,
    csrf_token: Option<String>,
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

fn unavailable() -> HttpResponse {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in unavailable",
        "Try again in a moment.",
    )
}

fn too_many(wait: Duration) -> HttpResponse {
    tracing::warn!(
        login.throttled = true,
        "login: attempt refused by the throttle"
    );
    let mut response = page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        "<h1>Too many attempts</h1><p class=\"error\">Too many sign-in attempts. Wait a moment and try again.</p>\
         <p><a href=\"/login\">Back to sign-in</a></p>",
    );
    let seconds = wait.max(Duration::from_secs(1)).as_secs().to_string();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds) {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let return_to = safe_return_path(form.return_to.as_deref());
    let email = form.email.trim().to_string();
    // Login CSRF: a post without this browser's form token (another site's form) signs
    // nobody in, and reveals nothing about the account.
    if let Err(why) = form_csrf::verify(
        &req,
        &state.settings.sign_in,
        LOGIN_FORM,
        form.csrf_token.as_deref(),
    ) {
        tracing::info!(login.outcome = "csrf", reason = %why, "login: form refused");
        let message =
            "This sign-in form expired or was sent from another site. Please sign in again.";
        return login_form_page(
            &state,
            &req,
            StatusCode::FORBIDDEN,
            email_form,
            &return_to,
            &email,
            Some(message),
        )
        .await;
    }
    let Some((_, domain)) = email
        .rsplit_once('@')
        .filter(|(l, d)| !l.is_empty() && !d.is_empty())
    else {
        let message = "Enter your work email address.";
        return login_form_page(
            &state,
            &req,
            StatusCode::BAD_REQUEST,
            email_form,
            &return_to,
            &email,
            Some(message),
        )
        .await;
    };
    let password = match form.password.filter(|p| !p.is_empty()) {
        Some(p) => SecretString::from(p),
        None => {
            // Email first: a domain that signs in with SSO goes straight to its IdP.
            // Only a workspace that verified the domain routes it to its IdP.
            // Only the workspace that verified the domain routes it to its IdP (a verified
            // domain belongs to one workspace, so there is never a choice to offer).
            return match state.store.sso_workspaces_for_domain(domain).await {
                Ok(slugs) if !slugs.is_empty() => redirect(&format!(
                    "/saml/{}/login?return_to={}",
                    slugs[0],
                    url_encode(&return_to)
                )),
                Ok(_) => {
                    login_form_page(
                        &state,
                        &req,
                        StatusCode::OK,
                        password_form,
                        &return_to,
                        &email,
                        None,
                    )
                    .await
                }
                Err(err) => {
                    tracing::error!(error = %err, "login: cannot look up SSO workspaces");
                    unavailable()
                }
            };
        }
    };
    // Reserve the attempt before any hashing: the check and the count are one step.
    let attempt = match state
        .throttle
        .reserve(&email.to_lowercase(), state.client_ip(&req))
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => return too_many(wait),
    };
    let account = match state.store.account_password(&email).await {
        Ok(a) => a,
        Err(err) => {
            tracing::error!(error = %err, "login: cannot read the account");
            attempt.abandoned();
            return unavailable();
        }
    };
    let settings = state.settings.sign_in.clone();
    let stored = account.as_ref().and_then(|(_, h)| h.clone());
    // Hashing is deliberately slow: keep it off the async workers, a core's worth at a time.
    let ok = match passwords::hashing_permits().acquire().await {
        Ok(_permit) => {
            web::block(move || passwords::verify(&settings, &password, stored.as_deref()))
                .await
                .unwrap_or(false)
        }
        Err(_) => false,
    };
    let account_id = match (ok, account) {
        (true, Some((id, _))) => id,
        (_, known) => {
            attempt.failed();
            if let Some((id, _)) = known {
                // The owners of the person's workspaces see the refusal (an unknown email
                // names nobody, so it is logged nowhere).
                let refusal =
                    password_attempt(&email, StatusCode::UNAUTHORIZED, Some("wrong_password"));
                activity::record_account_sign_in(&state.store, id, &refusal).await;
            }
            tracing::info!(
                login.outcome = "wrong_credentials",
                "login: password sign-in refused"
            );
            let message = "The email or password is wrong.";
            return login_form_page(
                &state,
                &req,
                StatusCode::UNAUTHORIZED,
                password_form,
                &return_to,
                &email,
                Some(message),
            )
            .await;
        }
    };
    attempt.succeeded();
    // The form said whom this browser was signed in as; that session ends here rather than
    // lingering behind the new one.
    if let Ok(Some((previous, _))) = sessions::current(&state, &req).await {
        let _ = state.store.revoke_session(previous.id).await;
    }
    match sessions::start(&state, account_id, SessionMethod::Password, None).await {
        Ok(started) => {
            tracing::info!(login.outcome = "ok", login.method = "password", "signed in");
            let signed_in = password_attempt(&email, StatusCode::SEE_OTHER, None);
            activity::record_account_sign_in(&state.store, account_id, &signed_in).await;
            HttpResponse::SeeOther()
                .insert_header(("Location", return_to))
                .cookie(started.cookie)
                .finish()
        }
        Err(err) => {
            tracing::error!(error = %err, "login: cannot start a session");
            unavailable()
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf_token: Option<String>,
}

/// Ends the session, but only when the form carries the session's CSRF token: another site
/// cannot sign a browser out. Without it, the page asks (with a form that has the token).
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Option<web::Form<LogoutForm>>,
) -> HttpResponse {
    let current = match sessions::current(&state, &req).await {
        Ok(current) => current,
        Err(err) => {
            tracing::error!(error = %err, "logout: cannot read the session");
            return unavailable();
        }
    };
    let Some((session, csrf)) = current else {
        return HttpResponse::SeeOther()
            .insert_header(("Location", "/login"))
            .cookie(sessions::removal_cookie(&state))
            .finish();
    };
    let sent = form.and_then(|f| f.into_inner().csrf_token);
    let matches = sent
        .as_deref()
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(csrf.as_bytes())));
    if !matches {
        tracing::info!(
            logout.outcome = "csrf",
            "logout: form without the session's token"
        );
        return page(
            StatusCode::FORBIDDEN,
            "Sign out",
            &format!(
                "<h1>Sign out?</h1><p>You are signed in as {}.</p>{}",
                escape(&session.email),
                logout_form(&csrf)
            ),
        );
    }
    if let Err(err) = state.store.revoke_session(session.id).await {
        tracing::error!(error = %err, "logout: cannot end the session");
        return unavailable();
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", "/login"))
        .cookie(sessions::removal_cookie(&state))
        .finish()
}

async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Ok(Some(me)) = sessions::signed_in(&state, &req).await else {
        return redirect("/login");
    };
    let session = &me.session;
    let csrf = &me.csrf_token;
    let workspaces = state
        .store
        .account_workspaces(session.account_id)
        .await
        .unwrap_or_default();
    let list: String = workspaces
        .iter()
        .map(|(_, slug, kind, active)| {
            format!(
                "<li>{} — {}{}</li>",
                escape(slug),
                escape(kind),
                if *active { "" } else { " (deactivated)" }
            )
        })
        .collect();
    // Only an account whose address is vouched for answers other workspaces' requests.
    let vouched = state
        .store
        .account_vouched(session.account_id)
        .await
        .unwrap_or(false);
    let pending = if vouched {
        state
            .store
            .pending_memberships(&session.email)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let asks: String = pending
        .iter()
        .map(|p| {
            let answer = |value: &str, label: &str| {
                format!(
                    "<form method=\"post\" action=\"/memberships/{}\" class=\"inline\">\
                     <input type=\"hidden\" name=\"workspace\" value=\"{}\">\
                     <input type=\"hidden\" name=\"answer\" value=\"{value}\">\
                     <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
                     <button type=\"submit\" id=\"{value}-{}\">{label}</button></form>",
                    p.membership_id,
                    escape(&p.workspace_slug),
                    escape(&me.csrf_token),
                    escape(&p.workspace_slug),
                )
            };
            format!(
                "<li>{} ({}) asks you to join as {} {}{}</li>",
                escape(&p.workspace_name),
                escape(&p.workspace_slug),
                escape(&p.kind),
                answer("accept", "Accept"),
                answer("decline", "Decline")
            )
        })
        .collect();
    let asks = if asks.is_empty() {
        String::new()
    } else {
        format!("<h2>Waiting for your answer</h2><ul id=\"pending\">{asks}</ul>")
    };
    page(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<h1>Signed in</h1><p id=\"who\">{} (signed in with {})</p><ul>{list}</ul>{asks}{}",
            escape(&session.email),
            if session.method == SessionMethod::Sso {
                "SSO"
            } else {
                "a password"
            },
            logout_form(csrf)
        ),
    )
}

#[derive(Deserialize)]
struct MembershipAnswer {
    workspace: String,
    answer: String,
    csrf_token: String,
}

/// The signed-in person accepts or declines a membership that waits for them.
async fn answer_membership(
    state: web::Data<AppState>,
    req: HttpRequest,
    membership: web::Path<uuid::Uuid>,
    form: web::Form<MembershipAnswer>,
) -> HttpResponse {
    let me = match sessions::signed_in(&state, &req).await {
        Ok(Some(me)) => me,
        Ok(None) => return redirect("/login"),
        Err(_) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "Try again in a moment.",
            )
        }
    };
    if !me.csrf_matches(Some(&form.csrf_token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Not changed",
            "The form expired. Go back, reload the page and try again.",
        );
    }
    let accept = match form.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Not changed",
                "Answer accept or decline.",
            )
        }
    };
    let workspace = match state.store.workspace_by_slug(&form.workspace).await {
        Ok(Some(w)) => w,
        _ => return error_page(StatusCode::NOT_FOUND, "Not changed", "No such request."),
    };
    let outcome = state
        .access
        .answer_membership(
            &workspace,
            *membership,
            (me.session.account_id, &me.session.email),
            accept,
            crate::web::request_context::RequestId::current(),
        )
        .await;
    match outcome {
        Ok(_) => redirect("/"),
        Err(crate::service::ServiceError::NotFound(_)) => {
            error_page(StatusCode::NOT_FOUND, "Not changed", "No such request.")
        }
        Err(err) => {
            tracing::error!(error = %err, "membership answer failed");
            error_page(StatusCode::CONFLICT, "Not changed", &err.to_string())
        }
    }
}
