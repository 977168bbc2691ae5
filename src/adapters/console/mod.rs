//! The owner console at `/console`: server-rendered pages (maud templates, escaped by
//! default; no script, so the pages' CSP allows none) for a signed-in owner to run a
//! workspace. Reads go through the access index, writes through `service/`, exactly as the
//! admin API's do; every form carries the session's CSRF token, and every change is audited
//! with the owner as actor.

mod audit;
mod groups;
mod invites;
mod layout;
mod logs;
mod members;
mod sso;
mod tokens;

use actix_web::{
    dev::Payload, http::StatusCode, web, FromRequest, HttpRequest, HttpResponse, ResponseError,
};
use futures_util::future::LocalBoxFuture;
use maud::html;
use serde::{de::DeserializeOwned, Deserialize};

use crate::web::{
    caller::owner_session,
    pages::{error_page, url_encode},
    sessions::{self, SignedIn},
    ApiError, AppState, Caller,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(home))
        .route("/console/{slug}", web::get().to(overview))
        .route("/console/{slug}/members", web::get().to(members::list))
        .route("/console/{slug}/scim", web::get().to(logs::scim))
        .route("/console/{slug}/audit", web::get().to(audit::show))
        .route("/console/{slug}/groups", web::get().to(groups::show))
        .route("/console/{slug}/rules", web::post().to(groups::submit))
        .route(
            "/console/{slug}/rules/{id}/delete",
            web::post().to(groups::delete),
        )
        .route("/console/{slug}/invites", web::get().to(invites::list))
        .route("/console/{slug}/invites", web::post().to(invites::create))
        .route(
            "/console/{slug}/invites/{id}/revoke",
            web::post().to(invites::revoke),
        )
        .route(
            "/console/{slug}/scim/tokens",
            web::post().to(tokens::create),
        )
        .route(
            "/console/{slug}/scim/tokens/{id}/rotate",
            web::post().to(tokens::rotate),
        )
        .route(
            "/console/{slug}/scim/tokens/{id}/revoke",
            web::post().to(tokens::revoke),
        )
        .route("/console/{slug}/sso", web::get().to(sso::show))
        .route("/console/{slug}/sso", web::post().to(sso::connect))
        .route("/console/{slug}/sign-ins", web::get().to(logs::sign_ins))
        .route(
            "/console/{slug}/members/{member}",
            web::get().to(members::show),
        )
        .route(
            "/console/{slug}/members/{member}/grants",
            web::post().to(members::give_role),
        )
        .route(
            "/console/{slug}/members/{member}/grants/{grant}/revoke",
            web::post().to(members::revoke_role),
        )
        .route(
            "/console/{slug}/members/{member}/settings",
            web::post().to(members::change_settings),
        )
        .route(
            "/console/{slug}/members/{member}/remove",
            web::post().to(members::remove),
        );
}

/// A signed-in owner of the workspace in the path (`{slug}`), with their session (for the
/// CSRF token): the extractor every console page of a workspace takes. A signed-out browser
/// is sent to `/login` (and back after), a member who is no owner gets 403, anyone else 404.
pub(super) struct Owner {
    pub caller: Caller,
    pub me: SignedIn,
}

impl Owner {
    /// The hidden form field every console form carries.
    pub fn csrf(&self) -> &str {
        &self.me.csrf_token
    }

    /// The workspace's slug.
    pub fn slug(&self) -> String {
        self.caller.workspace.slug.clone()
    }
}

impl FromRequest for Owner {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| refusal_of(&req, ApiError::Internal(anyhow::anyhow!("no state"))))?;
            let slug = req.match_info().get("slug").unwrap_or_default().to_string();
            match owner_session(&state, &req, &slug).await {
                Ok((caller, me)) => Ok(Owner { caller, me }),
                Err(err) => Err(refusal_of(&req, err)),
            }
        })
    }
}

/// A console form: its CSRF field.
pub(super) trait SignedForm {
    fn csrf_token(&self) -> &str;
}

/// A form posted by an owner whose CSRF field is the session's: the owner and the form.
pub(super) struct OwnerForm<T> {
    pub owner: Owner,
    pub form: T,
}

impl<T: DeserializeOwned + SignedForm + 'static> FromRequest for OwnerForm<T> {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Refusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let owner = Owner::from_request(req, payload);
        let form = web::Form::<T>::from_request(req, payload);
        Box::pin(async move {
            let owner = owner.await?;
            let form = form.await.map_err(|err| {
                Refusal::Page(
                    StatusCode::BAD_REQUEST,
                    "Not done",
                    format!("the form is incomplete: {err}"),
                )
            })?;
            if !owner.me.csrf_matches(Some(form.csrf_token())) {
                return Err(Refusal::Page(
                    StatusCode::FORBIDDEN,
                    "Form expired",
                    "This form was not sent from your console session. Reload the page and try again."
                        .into(),
                ));
            }
            Ok(OwnerForm {
                owner,
                form: form.into_inner(),
            })
        })
    }
}

/// A form whose only field is the CSRF token (a button).
#[derive(Deserialize)]
pub(super) struct Button {
    csrf_token: String,
}

impl SignedForm for Button {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Why the console does not serve a request: a sign-in first, or a page that says why.
#[derive(Debug)]
pub(super) enum Refusal {
    SignIn(String),
    Page(StatusCode, &'static str, String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::SignIn(_) => f.write_str("sign in first"),
            Refusal::Page(_, title, message) => write!(f, "{title}: {message}"),
        }
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::SignIn(_) => StatusCode::SEE_OTHER,
            Refusal::Page(status, ..) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Refusal::SignIn(location) => see_other(location),
            Refusal::Page(status, title, message) => error_page(*status, title, message),
        }
    }
}

/// The refusal for an error met in the console.
fn refusal_of(req: &HttpRequest, err: ApiError) -> Refusal {
    match err {
        ApiError::Unauthorized(_) => {
            let back = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/console");
            Refusal::SignIn(format!("/login?return_to={}", url_encode(back)))
        }
        ApiError::Forbidden(msg) => Refusal::Page(StatusCode::FORBIDDEN, "Not an owner", msg),
        ApiError::NotFound(_) => Refusal::Page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such workspace among yours.".into(),
        ),
        ApiError::BadRequest(msg) | ApiError::Conflict(msg) => {
            Refusal::Page(StatusCode::BAD_REQUEST, "Not done", msg)
        }
        other => {
            tracing::error!(error = %other, "console: request failed");
            Refusal::Page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Console unavailable",
                "Try again in a moment.".into(),
            )
        }
    }
}

/// The page for an error met in the console.
fn refusal(req: &HttpRequest, err: ApiError) -> HttpResponse {
    refusal_of(req, err).error_response()
}

fn to_login(req: &HttpRequest) -> HttpResponse {
    refusal(req, ApiError::Unauthorized(String::new()))
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// `/console`: the signed-in person's workspaces; those they own open their console.
async fn home(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (me, csrf) = match sessions::current(&state, &req).await {
        Ok(Some(current)) => current,
        Ok(None) => return to_login(&req),
        Err(err) => return refusal(&req, err.into()),
    };
    let workspaces = match state.store.account_workspaces(me.account_id).await {
        Ok(w) => w,
        Err(err) => return refusal(&req, err.into()),
    };
    let body = html! {
        h1 { "Your workspaces" }
        p.muted { "Signed in as " (me.email) }
        @if workspaces.is_empty() {
            p { "You belong to no workspace yet." }
        }
        ul.cards {
            @for (_, slug, kind, active) in &workspaces {
                li {
                    @if kind == "owner" && *active {
                        a href={ "/console/" (url_encode(slug)) } { strong { (slug) } }
                        " — owner"
                    } @else {
                        strong { (slug) }
                        " — " (kind) @if !*active { " (inactive)" } "; only owners manage a workspace"
                    }
                }
            }
        }
    };
    layout::page(StatusCode::OK, "Console", None, &csrf, body)
}

/// `/console/{slug}`: the workspace at a glance.
async fn overview(state: web::Data<AppState>, req: HttpRequest, owner: Owner) -> HttpResponse {
    let slug = owner.slug();
    let workspace = &owner.caller.workspace;
    let counts = state
        .access
        .read(workspace, None, |ix| {
            (
                ix.member_count(),
                ix.groups().count(),
                ix.grants().count(),
                ix.resources().count(),
                ix.products().to_vec(),
            )
        })
        .await;
    let (members, groups, grants, resources, products) = match counts {
        Ok(c) => c,
        Err(err) => return refusal(&req, err.into()),
    };
    let body = html! {
        h1 { (workspace.name) }
        table {
            tr { th { "Members" } td { a href={ "/console/" (url_encode(&slug)) "/members" } { (members) } } }
            tr { th { "Groups" } td { (groups) } }
            tr { th { "Grants" } td { (grants) } }
            tr { th { "Resources" } td { (resources) } }
            tr { th { "Products enabled" } td {
                @for p in &products { span.tag { (layout::product_label(*p)) } " " }
            } }
            tr { th { "Require SSO" } td { @if workspace.settings.require_sso { "yes" } @else { "no" } } }
        }
    };
    layout::page(
        StatusCode::OK,
        &workspace.name,
        Some(&slug),
        owner.csrf(),
        body,
    )
}
