//! `POST /saml/{workspace}/acs` (POST binding; SP- and IdP-initiated). The order is chosen so
//! that an unauthenticated caller's cost stays bounded: the per-address rate limit, the body
//! limit (413), the linear precheck — all before the database is asked anything — then the
//! pending request and its browser binding, then signature verification on the blocking pool.
//! A verified login does not set the session cookie here: the IdP posts cross-site, where
//! the browser withholds its current session cookie, so the new session is handed over at
//! `/saml/{workspace}/complete` (see `complete.rs`), which can see — and ask about — a session
//! of another account.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    web, HttpRequest, HttpResponse,
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::Duration;
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::routes::{binding_value, rate_limit, refused, workspace};
use crate::{
    domain::{sso::SessionMethod, token::digest},
    saml::{
        acs_url,
        precheck::precheck,
        sp_entity_id,
        verify::{verify_off_thread, SpIdentity},
        SamlError,
    },
    service::{activity, signin::provision},
    storage::sso::PendingLogin,
    web::sessions,
    web::{pages::safe_return_path, request_context::RequestId, AppState},
};

/// The cookie that carries a new SSO session from the ACS to `/saml/{slug}/complete`.
pub(super) const HANDOFF_COOKIE: &str = "gatehouse_signin";
/// How long the handoff may take.
const HANDOFF_MINUTES: i64 = 5;

/// The handoff cookie for `token` (or, with `None`, one that removes it).
pub(super) fn handoff_cookie(state: &AppState, slug: &str, token: Option<&str>) -> Cookie<'static> {
    let mut cookie = Cookie::build(HANDOFF_COOKIE, token.unwrap_or("").to_string())
        .path(format!("/saml/{slug}/complete"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.sign_in.cookie_secure)
        .max_age(CookieDuration::minutes(HANDOFF_MINUTES))
        .finish();
    if token.is_none() {
        cookie.make_removal();
    }
    cookie
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// Reads the form body up to the configured limit (413 beyond it, before reading it all
/// when the length is announced).
async fn read_form(
    state: &AppState,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<AcsForm, SamlError> {
    let limit = state.settings.max_body_bytes;
    let announced = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(SamlError::TooLarge(limit));
    }
    let mut body = Vec::with_capacity(announced.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| SamlError::Rejected(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(SamlError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    let text =
        String::from_utf8(body).map_err(|_| SamlError::Rejected("the body is not UTF-8".into()))?;
    web::Query::<AcsForm>::from_query(&text)
        .map(|f| f.into_inner())
        .map_err(|_| SamlError::Rejected("the body has no SAMLResponse".into()))
}

/// The open request a response answers, which must come back in the browser that started it.
async fn pending_request(
    state: &AppState,
    req: &HttpRequest,
    workspace_id: uuid::Uuid,
    request_id: &str,
) -> Result<PendingLogin, SamlError> {
    let pending = state
        .store
        .pending_login(workspace_id, request_id)
        .await?
        .ok_or_else(|| {
            SamlError::Rejected(
                "InResponseTo names no open request of this workspace (unknown, expired or used)"
                    .into(),
            )
        })?;
    let presented = binding_value(req, &state.settings.sign_in).map(|v| digest(&v));
    let bound = match (&pending.browser_digest, &presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    if !bound {
        return Err(SamlError::Rejected(
            "the answer to this AuthnRequest came from another browser than the one that started it (login CSRF?)".into(),
        ));
    }
    Ok(pending)
}

pub(super) async fn acs(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    // Set once the answer concerns one of the workspace's connections: refusals before that
    // (rate limit, size, precheck, no open request, no connection) go in no workspace's log,
    // so an unauthenticated caller cannot fill one.
    let mut logged: Option<(uuid::Uuid, Option<String>)> = None;
    let outcome = async {
        rate_limit(&state, &req)?;
        let form = read_form(&state, &req, payload).await?;
        let decoded = STANDARD
            .decode(form.saml_response.split_whitespace().collect::<String>())
            .map_err(|_| SamlError::Rejected("SAMLResponse is not base64".into()))?;
        let xml = String::from_utf8(decoded)
            .map_err(|_| SamlError::Rejected("SAMLResponse is not UTF-8".into()))?;
        let claims = precheck(&xml)?;
        let workspace = workspace(&state, &slug).await?;
        let sp = SpIdentity {
            entity_id: sp_entity_id(&state.settings.public_url, &slug),
            acs_url: acs_url(&state.settings.public_url, &slug),
            clock_skew: Duration::seconds(state.settings.sign_in.saml_clock_skew_seconds),
        };
        let pending = match &claims.in_response_to {
            Some(id) => Some(pending_request(&state, &req, workspace.id, id).await?),
            None => None,
        };
        let connections = state.store.sso_connections(workspace.id).await?;
        let candidates: Vec<_> = connections
            .into_iter()
            .filter(|c| match &pending {
                Some(p) => p.connection_id == c.id,
                None => c.allow_idp_initiated,
            })
            .collect();
        if candidates.is_empty() {
            return Err(SamlError::Rejected(match pending {
                Some(_) => format!("workspace {slug} no longer has the request's SSO connection"),
                None => "IdP-initiated sign-in is not allowed for this workspace's connections".into(),
            }));
        }
        // From here the answer concerns a connection of the workspace (an open request of
        // this browser, or IdP-initiated sign-in it allows): worth its owners' log.
        logged = Some((workspace.id, None));
        let request_id = pending.as_ref().map(|p| p.id.clone());
        let (connection, assertion) =
            verify_off_thread(candidates, sp.clone(), xml, claims, request_id).await?;
        if let Some(p) = &pending {
            if !state.store.consume_pending_login(&p.id).await? {
                return Err(SamlError::Rejected("this AuthnRequest was already answered".into()));
            }
        }
        logged = Some((workspace.id, Some(assertion.name_id.clone())));
        let keep_until = assertion.not_on_or_after + sp.clock_skew;
        if !state
            .store
            .remember_assertion(connection.id, &assertion.assertion_id, keep_until)
            .await?
        {
            return Err(SamlError::Rejected("this assertion was already used (replay)".into()));
        }
        let member = provision(
            &state.store,
            &state.access,
            &workspace,
            &connection,
            &assertion,
            RequestId::current(),
        )
        .await?;
        let started = sessions::start(&state, member.account_id, SessionMethod::Sso, Some(workspace.id)).await?;
        let return_to = match (&pending, &form.relay_state) {
            (Some(p), _) => p.return_to.clone(),
            (None, Some(relay)) => state
                .store
                .take_relay_state(workspace.id, relay)
                .await?
                .unwrap_or_else(|| "/".into()),
            (None, None) => "/".into(),
        };
        tracing::info!(saml.workspace = %slug, login.method = "sso", login.outcome = "ok", "signed in; handing the session over");
        let next = format!(
            "/saml/{slug}/complete?return_to={}",
            url_encode(&safe_return_path(Some(&return_to)))
        );
        Ok::<_, SamlError>(
            HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .insert_header(("Cache-Control", "no-store"))
                .cookie(handoff_cookie(&state, &slug, Some(started.token.expose_secret())))
                .finish(),
        )
    }
    .await;
    let (response, reason, detail) = match outcome {
        Ok(response) => (response, None, None),
        Err(err) => (
            refused(&err, &slug),
            Some(err.reason_label()),
            Some(err.to_string()),
        ),
    };
    if let Some((workspace_id, email)) = logged {
        let attempt = activity::SignInAttempt {
            method: "sso",
            path: format!("/saml/{slug}/acs"),
            status: response.status().as_u16(),
            refusal: reason,
            detail,
            email,
            request_id: RequestId::current(),
        };
        activity::record_sign_in(&state.store, workspace_id, &attempt).await;
    }
    response
}

/// Percent-encodes a return path for a query string.
pub(super) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
