//! `/invites/{code}`: accepting an invitation is the invitee's own act, in a browser. A person
//! without an account chooses a password here (their account is created with the
//! membership, in one transaction); a person who has one signs in first (password or SSO)
//! and then accepts. Nothing a workspace holds (a token, an invitation, an IdP) ever sets the
//! password of an account that exists.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    domain::sso::SessionMethod,
    service::{invites::Acceptor, ServiceError},
    storage::{ChangeContext, Invite},
    web::{
        pages::{error_page, escape, page, url_encode},
        request_context::RequestId,
        AppState,
    },
};
use crate::{
    service::passwords,
    web::{form_csrf, sessions},
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/invites/{code}", web::get().to(show))
        .route("/invites/{code}", web::post().to(accept));
}

fn gone(message: &str) -> HttpResponse {
    error_page(StatusCode::GONE, "Invitation unavailable", message)
}

fn unavailable() -> HttpResponse {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Invitation unavailable",
        "Try again in a moment.",
    )
}

/// The invitation behind a link, or the page to show instead.
async fn open_invitation(
    state: &AppState,
    code: &str,
) -> Result<(Invite, crate::domain::Workspace), HttpResponse> {
    let code = SecretString::from(code.to_string());
    match state.access.invitation(&code).await {
        Ok((invite, workspace)) => {
            if invite.accepted_at.is_some() || invite.revoked_at.is_some() {
                Err(gone(
                    "This invitation was already used or has been revoked.",
                ))
            } else if invite.expires_at <= chrono::Utc::now() {
                Err(gone("This invitation has expired. Ask for a new one."))
            } else {
                Ok((invite, workspace))
            }
        }
        Err(ServiceError::NotFound(_)) => Err(error_page(
            StatusCode::NOT_FOUND,
            "Invitation not found",
            "This invitation link is not valid. Check that you copied all of it.",
        )),
        Err(err) => {
            tracing::error!(error = %err, "invitation: cannot read it");
            Err(unavailable())
        }
    }
}

fn summary(invite: &Invite, workspace: &crate::domain::Workspace) -> String {
    let kind = match invite.kind {
        crate::access::MemberKind::Owner => "an owner",
        crate::access::MemberKind::Member => "a member",
    };
    let roles: String = invite
        .grants
        .iter()
        .map(|g| {
            let scope = match &g.scope {
                crate::access::Scope::All => "all current and future instances".to_string(),
                crate::access::Scope::Instance(r) => format!("{} {}", r.resource_type, r.id),
            };
            format!("<li>{} on {}</li>", escape(&g.role), escape(&scope))
        })
        .collect();
    format!(
        "<h1>Join {}</h1><p id=\"invitation\">You are invited to workspace <b>{}</b> as {kind}, \
         as <b>{}</b>.</p>{}",
        escape(&workspace.name),
        escape(&workspace.slug),
        escape(&invite.email),
        if roles.is_empty() {
            String::new()
        } else {
            format!("<p>With the roles:</p><ul>{roles}</ul>")
        }
    )
}

/// The name the new-account form's CSRF token is bound to: the form, and this invitation.
fn form_name(code: &str) -> String {
    format!("invite:{code}")
}

fn new_account_form(code: &str, csrf_field: &str, message: Option<&str>) -> String {
    format!(
        "{}<p>Choose a password for a new Gatehouse account.</p>\
         <form method=\"post\" action=\"/invites/{}\">{csrf_field}\
         <label for=\"password\">Password (at least {} characters)</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required>\
         <label for=\"password_again\">The same password again</label>\
         <input id=\"password_again\" name=\"password_again\" type=\"password\" autocomplete=\"new-password\" required>\
         <button type=\"submit\" id=\"accept\">Create my account and join</button></form>",
        message
            .map(|m| format!("<p class=\"error\">{}</p>", escape(m)))
            .unwrap_or_default(),
        escape(code),
        passwords::MIN_PASSWORD_CHARS
    )
}

async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> HttpResponse {
    let (invite, workspace) = match open_invitation(&state, &code).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let head = summary(&invite, &workspace);
    let signed_in = match sessions::signed_in(&state, &req).await {
        Ok(s) => s,
        Err(err) => {
            tracing::error!(error = %err, "invitation: cannot read the session");
            return unavailable();
        }
    };
    let body = match signed_in {
        Some(me) if me.session.email.eq_ignore_ascii_case(&invite.email) => format!(
            "{head}<form method=\"post\" action=\"/invites/{}\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
             <button type=\"submit\" id=\"accept\">Accept the invitation</button></form>",
            escape(&code),
            escape(&me.csrf_token)
        ),
        Some(me) => format!(
            "{head}<p class=\"error\">You are signed in as {}. This invitation is for {}: sign out, \
             then open this link again and sign in as {}.</p>",
            escape(&me.session.email),
            escape(&invite.email),
            escape(&invite.email)
        ),
        // The same page whether or not the address has an account: the code's holder (the
        // inviter too) learns nothing about the person from it.
        None => {
            let form = form_csrf::issue(&req, &state.settings.sign_in, &form_name(&code));
            let body = format!(
                "{head}<p>Have a Gatehouse account? <a id=\"sign-in\" \
                 href=\"/login?email={}&amp;return_to={}\">Sign in as {}</a> to accept.</p>\
                 <p>New to Gatehouse?</p>{}",
                escape(&url_encode(&invite.email)),
                escape(&url_encode(&format!("/invites/{code}"))),
                escape(&invite.email),
                new_account_form(&code, &form.hidden_input(), None)
            );
            return form.attach(page(StatusCode::OK, "Invitation", &body));
        }
    };
    page(StatusCode::OK, "Invitation", &body)
}

/// The new-account form again, with a message and a fresh CSRF field.
fn new_account_again(
    state: &AppState,
    req: &HttpRequest,
    code: &str,
    head: &str,
    status: StatusCode,
    message: &str,
) -> HttpResponse {
    let form = form_csrf::issue(req, &state.settings.sign_in, &form_name(code));
    let body = new_account_form(code, &form.hidden_input(), Some(message));
    form.attach(page(status, "Invitation", &format!("{head}{body}")))
}

#[derive(Deserialize)]
struct AcceptForm {
    csrf_token: Option<String>,
    password: Option<String>,
    password_again: Option<String>,
}

async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> HttpResponse {
    let (invite, workspace) = match open_invitation(&state, &code).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let form = form.into_inner();
    let signed_in = match sessions::signed_in(&state, &req).await {
        Ok(s) => s,
        Err(err) => {
            tracing::error!(error = %err, "invitation: cannot read the session");
            return unavailable();
        }
    };
    let secret = SecretString::from(code.to_string());
    let ctx = ChangeContext {
        actor: crate::domain::Actor::System,
        request_id: RequestId::current(),
        provenance: "invite",
    };
    let head = summary(&invite, &workspace);
    let (acceptor, new_session) = match &signed_in {
        Some(me) => {
            if !me.csrf_matches(form.csrf_token.as_deref()) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "Invitation not accepted",
                    "The form expired. Open the invitation link again.",
                );
            }
            let acceptor = Acceptor::SignedIn {
                email: me.session.email.clone(),
            };
            (acceptor, false)
        }
        None => {
            // A form posted from another site (no pre-session cookie or token) creates nothing.
            let posted = form_csrf::verify(
                &req,
                &state.settings.sign_in,
                &form_name(&code),
                form.csrf_token.as_deref(),
            );
            if posted.is_err() {
                let message = "The form expired. Choose your password again.";
                return new_account_again(
                    &state,
                    &req,
                    &code,
                    &head,
                    StatusCode::FORBIDDEN,
                    message,
                );
            }
            let password = form.password.unwrap_or_default();
            if password != form.password_again.unwrap_or_default() {
                let message = "The two passwords differ.";
                return new_account_again(
                    &state,
                    &req,
                    &code,
                    &head,
                    StatusCode::BAD_REQUEST,
                    message,
                );
            }
            let settings = state.settings.sign_in.clone();
            let password = SecretString::from(password);
            let hashed = match passwords::hashing_permits().acquire().await {
                Ok(_permit) => web::block(move || passwords::hash(&settings, &password)).await,
                Err(_) => return unavailable(),
            };
            match hashed {
                Ok(Ok(password_hash)) => (Acceptor::NewPerson { password_hash }, true),
                Ok(Err(problem)) => {
                    let status = StatusCode::BAD_REQUEST;
                    return new_account_again(&state, &req, &code, &head, status, &problem);
                }
                Err(_) => return unavailable(),
            }
        }
    };
    let (workspace, member) = match state.access.accept_invite(&secret, acceptor, &ctx).await {
        Ok((workspace, member, _)) => (workspace, member),
        Err(ServiceError::Conflict(message) | ServiceError::Forbidden(message)) => {
            return error_page(StatusCode::CONFLICT, "Invitation not accepted", &message)
        }
        Err(ServiceError::Store(crate::storage::StoreError::Conflict(message))) => {
            return error_page(StatusCode::CONFLICT, "Invitation not accepted", &message)
        }
        Err(err) => {
            tracing::error!(error = %err, "invitation: cannot accept it");
            return unavailable();
        }
    };
    tracing::info!(invite.workspace = %workspace.slug, "invitation accepted");
    let mut response = HttpResponse::SeeOther();
    response.insert_header(("Location", "/"));
    if new_session {
        let account = state
            .store
            .membership_account(workspace.id, member.id)
            .await;
        let started = match account {
            Ok(Some(account_id)) => {
                sessions::start(&state, account_id, SessionMethod::Password, None).await
            }
            Ok(None) => return unavailable(),
            Err(err) => Err(err),
        };
        match started {
            Ok(started) => {
                response.cookie(started.cookie);
            }
            Err(err) => {
                tracing::error!(error = %err, "invitation: cannot start a session");
                return unavailable();
            }
        }
    }
    response.finish()
}
