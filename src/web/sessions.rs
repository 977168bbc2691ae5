//! Sessions: a random token in a `HttpOnly`, `SameSite=Lax` (and, over https, `Secure`)
//! cookie; only its SHA-256 digest is stored, with an absolute expiry and an idle timeout.
//! Each session also has a CSRF token, shown by `GET /v1/session`, that cookie-authenticated
//! writes must echo in `X-CSRF-Token`.

use std::{future::Future, pin::Pin};

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    dev::Payload,
    web, FromRequest, HttpRequest,
};
use chrono::{Duration, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::{
    domain::{
        sso::{Session, SessionMethod},
        token::digest,
    },
    storage::StoreError,
    web::{ApiError, AppState},
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "gatehouse_session";

fn random_token(prefix: &str) -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(format!("{prefix}{}", hex::encode(bytes)))
}

/// A session just started: the cookie to set, and its token (for a sign-in that hands the
/// session over in a second step, `saml/complete.rs`).
pub struct StartedSession {
    pub cookie: Cookie<'static>,
    pub token: SecretString,
}

/// The session cookie carrying `token`.
pub fn session_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.sign_in.cookie_secure)
        .max_age(CookieDuration::hours(state.settings.sign_in.session_hours))
        .finish()
}

/// The CSRF token of a session: derived from the session token, so it needs no storage and
/// only someone who holds the cookie can know it.
pub fn csrf_token(session_token: &str) -> String {
    digest(&format!("csrf:{session_token}"))
}

/// Starts a session for the account.
pub async fn start(
    state: &AppState,
    account_id: Uuid,
    method: SessionMethod,
    workspace_id: Option<Uuid>,
) -> Result<StartedSession, StoreError> {
    let token = random_token("ghs_");
    let hours = state.settings.sign_in.session_hours;
    state
        .store
        .create_session(
            Uuid::new_v4(),
            &digest(token.expose_secret()),
            &digest(&csrf_token(token.expose_secret())),
            account_id,
            method,
            workspace_id,
            Utc::now() + Duration::hours(hours),
        )
        .await?;
    let cookie = session_cookie(state, token.expose_secret());
    Ok(StartedSession { cookie, token })
}

/// A cookie that removes the session cookie.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.sign_in.cookie_secure)
        .finish();
    cookie.make_removal();
    cookie
}

/// The live session of the request's cookie, if any, with its CSRF token.
pub async fn current(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<(Session, String)>, StoreError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let session = session_for_token(state, cookie.value()).await?;
    Ok(session.map(|s| (s, csrf_token(cookie.value()))))
}

/// [`current`] as a [`SignedIn`].
pub async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<SignedIn>, StoreError> {
    Ok(current(state, req)
        .await?
        .map(|(session, csrf_token)| SignedIn {
            session,
            csrf_token,
        }))
}

/// The live session of a browser's session token (touching its last use).
pub async fn session_for_token(
    state: &AppState,
    token: &str,
) -> Result<Option<Session>, StoreError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let idle = Duration::minutes(state.settings.sign_in.session_idle_minutes);
    Ok(state
        .store
        .live_session(&digest(token), idle)
        .await?
        .map(|(session, _)| session))
}

/// The member of `workspace_id` behind a session token forwarded to the access API, without
/// touching the session (a check never extends it).
pub async fn session_member(
    state: &AppState,
    token: &str,
    workspace_id: Uuid,
) -> Result<Option<crate::storage::SessionMember>, StoreError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let idle = Duration::minutes(state.settings.sign_in.session_idle_minutes);
    state
        .store
        .session_member(&digest(token), workspace_id, idle)
        .await
}

/// A signed-in browser (401 otherwise).
pub struct SignedIn {
    pub session: Session,
    pub csrf_token: String,
}

impl SignedIn {
    /// Checks the `X-CSRF-Token` header against the session's CSRF token.
    pub fn require_csrf(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let sent = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if self.csrf_matches(sent) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "cookie-authenticated writes need the X-CSRF-Token from GET /v1/session".into(),
            ))
        }
    }

    /// Whether `sent` (a header or a form's hidden field) is this session's CSRF token.
    pub fn csrf_matches(&self, sent: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        sent.is_some_and(|token| bool::from(token.as_bytes().ct_eq(self.csrf_token.as_bytes())))
    }
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("application state is missing"))
                })?;
            match current(&state, &req).await? {
                Some((session, csrf_token)) => Ok(SignedIn {
                    session,
                    csrf_token,
                }),
                None => Err(ApiError::Unauthorized("sign in first".into())),
            }
        })
    }
}
