//! `/login` (email first: SSO workspaces go to their IdP, everyone else gets a password
//! field), `/logout`, the signed-in landing page `/`, and `GET /v1/session`.

use std::time::Duration;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::{
    passwords, sessions,
    throttle::{ACCOUNT_LIMIT, ADDRESS_LIMIT},
};
use crate::{
    domain::sso::SessionMethod,
    http::{
        pages::{error_page, escape, page, safe_return_path, url_encode},
        ApiError, AppState,
    },
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout))
        .route("/memberships/{id}", web::post().to(answer_membership));
}

/// `GET /session` (mounted under `/v1`).
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/session", web::get().to(session_info));
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    email: Option<String>,
}

fn email_form(return_to: &str, email: &str, message: Option<&str>) -> String {
    format!(
        "<h1>Sign in to Gatehouse</h1>{}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\" autofocus>\
         <button type=\"submit\" id=\"continue\">Continue</button></form>",
        message
            .map(|m| format!("<p class=\"error\">{}</p>", escape(m)))
            .unwrap_or_default(),
        escape(return_to),
        escape(email)
    )
}

fn password_form(return_to: &str, email: &str, message: Option<&str>) -> String {
    format!(
        "<h1>Sign in to Gatehouse</h1>{}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label for=\"email\">Work email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
        message
            .map(|m| format!("<p class=\"error\">{}</p>", escape(m)))
            .unwrap_or_default(),
        escape(return_to),
        escape(email)
    )
}

async fn login_page(query: web::Query<LoginQuery>) -> HttpResponse {
    let return_to = safe_return_path(query.return_to.as_deref());
    page(
        StatusCode::OK,
        "Sign in",
        &email_form(&return_to, query.email.as_deref().unwrap_or(""), None),
    )
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: Option<String>,
    return_to: Option<String>,
}

/// The person picks which workspace's IdP signs them in (or their password).
fn sso_choice(slugs: &[String], return_to: &str, email: &str) -> String {
    let links: String = slugs
        .iter()
        .map(|slug| {
            format!(
                "<li><a href=\"/saml/{}/login?return_to={}\">{}</a></li>",
                escape(&url_encode(slug)),
                escape(&url_encode(return_to)),
                escape(slug)
            )
        })
        .collect();
    format!(
        "<h1>Sign in to Gatehouse</h1><p>Sign in with the identity provider of:</p><ul>{links}</ul>{}",
        password_form(return_to, email, None)
            .trim_start_matches("<h1>Sign in to Gatehouse</h1>")
    )
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let return_to = safe_return_path(form.return_to.as_deref());
    let email = form.email.trim().to_string();
    let Some((_, domain)) = email
        .rsplit_once('@')
        .filter(|(l, d)| !l.is_empty() && !d.is_empty())
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in",
            &email_form(&return_to, &email, Some("Enter your work email address.")),
        );
    };
    let password = match form.password.filter(|p| !p.is_empty()) {
        Some(p) => SecretString::from(p),
        None => {
            // Email first: a domain that signs in with SSO goes straight to its IdP.
            // Only a workspace that verified the domain routes it to its IdP.
            return match state.store.sso_workspaces_for_domain(domain).await {
                Ok(slugs) if slugs.len() == 1 => redirect(&format!(
                    "/saml/{}/login?return_to={}",
                    slugs[0],
                    url_encode(&return_to)
                )),
                Ok(slugs) if !slugs.is_empty() => page(
                    StatusCode::OK,
                    "Sign in",
                    &sso_choice(&slugs, &return_to, &email),
                ),
                Ok(_) => page(
                    StatusCode::OK,
                    "Sign in",
                    &password_form(&return_to, &email, None),
                ),
                Err(err) => {
                    tracing::error!(error = %err, "login: cannot look up SSO workspaces");
                    error_page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Sign-in unavailable",
                        "Try again in a moment.",
                    )
                }
            };
        }
    };
    let account_key = format!("account:{}", email.to_lowercase());
    let address_key = format!(
        "address:{}",
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    let throttle = &state.throttle;
    let wait = throttle
        .blocked(&account_key, ACCOUNT_LIMIT)
        .or_else(|| throttle.blocked(&address_key, ADDRESS_LIMIT));
    if let Some(wait) = wait {
        tracing::warn!(login.throttled = true, "login: too many failed attempts");
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "<h1>Too many attempts</h1><p class=\"error\">Too many failed sign-ins. Wait a few minutes and try again.</p>",
        );
        let seconds = wait.max(Duration::from_secs(1)).as_secs().to_string();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
        return response;
    }
    let account = match state.store.account_password(&email).await {
        Ok(a) => a,
        Err(err) => {
            tracing::error!(error = %err, "login: cannot read the account");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                "Try again in a moment.",
            );
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
        _ => {
            throttle.fail(&account_key);
            throttle.fail(&address_key);
            tracing::info!(
                login.outcome = "wrong_credentials",
                "login: password sign-in refused"
            );
            return page(
                StatusCode::UNAUTHORIZED,
                "Sign in",
                &password_form(&return_to, &email, Some("The email or password is wrong.")),
            );
        }
    };
    throttle.clear(&account_key);
    match sessions::start(&state, account_id, SessionMethod::Password, None).await {
        Ok(started) => {
            tracing::info!(login.outcome = "ok", login.method = "password", "signed in");
            HttpResponse::SeeOther()
                .insert_header(("Location", return_to))
                .cookie(started.cookie)
                .finish()
        }
        Err(err) => {
            tracing::error!(error = %err, "login: cannot start a session");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                "Try again in a moment.",
            )
        }
    }
}

async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Ok(Some((session, _))) = sessions::current(&state, &req).await {
        let _ = state.store.revoke_session(session.id).await;
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
    let pending = state
        .store
        .pending_memberships(&session.email)
        .await
        .unwrap_or_default();
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
            "<h1>Signed in</h1><p id=\"who\">{} (signed in with {})</p><ul>{list}</ul>{asks}\
             <form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>",
            escape(&session.email),
            if session.method == SessionMethod::Sso { "SSO" } else { "a password" }
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
            &me.session.email,
            accept,
            crate::http::request_context::RequestId::current(),
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
