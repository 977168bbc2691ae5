//! `/saml/{workspace}/metadata` (SP metadata) and `/saml/{workspace}/login` (SP-initiated,
//! Redirect binding, RelayState opaque and server-side), the route table of the SAML
//! endpoints, and what they share: the per-address rate limit, the browser-binding cookie and
//! the refusal page. A refused login shows a page with the request id and logs the exact
//! reason — never the assertion.
//!
//! The browser-binding cookie ties a pending AuthnRequest to the browser that started it: the
//! ACS accepts an answer to that request only from a browser carrying the same cookie, so an
//! attacker cannot start a login, sign in at the IdP as themselves, and have a victim's
//! browser post the answer (login CSRF). The IdP posts the answer cross-site, so over https
//! the cookie is `SameSite=None; Secure` (and `__Host-` prefixed); over plain http (a local
//! setup, where browsers refuse `SameSite=None` without `Secure`) it is `SameSite=Lax`.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    http::StatusCode,
    web, HttpRequest, HttpResponse,
};
use chrono::{Duration, Utc};
use rand::RngCore;
use samael::service_provider::ServiceProviderBuilder;
use serde::Deserialize;

use crate::{
    config::SignInSettings,
    domain::{token::digest, Workspace},
    saml::{acs_url, sp_entity_id, SamlError},
    storage::sso::PendingLogin,
    web::{
        pages::{error_page, escape, safe_return_path},
        AppState,
    },
};

/// How long an AuthnRequest may wait for its answer.
pub(super) const LOGIN_TTL: Duration = Duration::minutes(10);

/// The SAML endpoints browsers and IdPs talk to.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/saml/{slug}/metadata", web::get().to(sp_metadata))
        .route("/saml/{slug}/login", web::get().to(start_login))
        .route("/saml/{slug}/acs", web::post().to(super::acs::acs))
        .route(
            "/saml/{slug}/complete",
            web::get().to(super::complete::complete_page),
        )
        .route(
            "/saml/{slug}/complete",
            web::post().to(super::complete::complete_choice),
        );
}

/// The browser-binding cookie's name (see the module documentation).
pub(super) fn binding_cookie_name(settings: &SignInSettings) -> &'static str {
    if settings.cookie_secure {
        "__Host-gatehouse_saml"
    } else {
        "gatehouse_saml"
    }
}

/// The request's browser-binding value, if it carries a well-formed one.
pub(super) fn binding_value(req: &HttpRequest, settings: &SignInSettings) -> Option<String> {
    req.cookie(binding_cookie_name(settings))
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The cookie carrying `value` for the next [`LOGIN_TTL`].
fn binding_cookie(settings: &SignInSettings, value: String) -> Cookie<'static> {
    let builder = Cookie::build(binding_cookie_name(settings), value)
        .http_only(true)
        .max_age(CookieDuration::minutes(LOGIN_TTL.num_minutes()));
    if settings.cookie_secure {
        builder
            .path("/")
            .secure(true)
            .same_site(SameSite::None)
            .finish()
    } else {
        builder.path("/saml/").same_site(SameSite::Lax).finish()
    }
}

/// The page for a refused SAML request, with the status the reason calls for.
pub(super) fn refused(reason: &SamlError, slug: &str) -> HttpResponse {
    crate::web::metrics::count_saml_failure(reason.reason_label());
    tracing::warn!(saml.workspace = %slug, saml.reason = %reason, "SAML login refused");
    let (status, title, message) = match reason {
        SamlError::Storage(_) | SamlError::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Single sign-on failed",
            "Sign-in is unavailable right now. Try again in a moment.".to_string(),
        ),
        SamlError::TooLarge(limit) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Single sign-on failed",
            format!("The identity provider's answer is larger than the limit of {limit} bytes. Ask your administrator, quoting the request id below."),
        ),
        SamlError::RateLimited(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts",
            "Too many single sign-on requests came from your network. Wait a moment and try again.".to_string(),
        ),
        SamlError::Invalid(_) | SamlError::Rejected(_) => (
            StatusCode::FORBIDDEN,
            "Single sign-on failed",
            "Your identity provider's answer could not be accepted. Ask your administrator, quoting the request id below.".to_string(),
        ),
    };
    let mut response = error_page(status, title, &message);
    if let SamlError::RateLimited(wait) = reason {
        let seconds = wait.as_secs().max(1).to_string();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}

/// The per-client-address limit of `/saml/*/login` and `/saml/*/acs`.
pub(super) fn rate_limit(state: &AppState, req: &HttpRequest) -> Result<(), SamlError> {
    state
        .saml_limiter
        .check(state.client_ip(req))
        .map_err(SamlError::RateLimited)
}

pub(super) async fn workspace(state: &AppState, slug: &str) -> Result<Workspace, SamlError> {
    state
        .store
        .workspace_by_slug(slug)
        .await?
        .ok_or_else(|| SamlError::Rejected(format!("no workspace {slug}")))
}

async fn sp_metadata(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    if let Err(err) = workspace(&state, &slug).await {
        return refused(&err, &slug);
    }
    let entity = sp_entity_id(&state.settings.public_url, &slug);
    let acs = acs_url(&state.settings.public_url, &slug);
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        escape(&entity),
        escape(&acs)
    );
    HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .body(xml)
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    /// Which IdP, when a workspace has several (its entity id).
    idp: Option<String>,
}

pub(super) fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

async fn start_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let outcome = async {
        // Every call stores a row: rate-limited per address, and purged once expired.
        rate_limit(&state, &req)?;
        let workspace = workspace(&state, &slug).await?;
        let connections = state.store.sso_connections(workspace.id).await?;
        let connection = match &query.idp {
            Some(idp) => connections.iter().find(|c| &c.idp_entity_id == idp),
            None => connections.first(),
        }
        .ok_or_else(|| SamlError::Rejected(format!("workspace {slug} has no SSO connection")))?;
        let provider = ServiceProviderBuilder::default()
            .entity_id(sp_entity_id(&state.settings.public_url, &slug))
            .acs_url(acs_url(&state.settings.public_url, &slug))
            .build()
            .map_err(|e| SamlError::Invalid(e.to_string()))?;
        let mut request = provider
            .make_authentication_request(&connection.sso_url)
            .map_err(|e| SamlError::Invalid(e.to_string()))?;
        // samael's ids carry 32 random bits; ours carry 160 (they guard against forged answers).
        request.id = random_id("gh-");
        let relay_state = random_id("");
        let redirect = request
            .redirect(&relay_state)
            .map_err(|e| SamlError::Invalid(e.to_string()))?
            .ok_or_else(|| SamlError::Invalid("the IdP has no SSO URL".into()))?;
        // Several tabs of one browser share one binding value.
        let binding = binding_value(&req, &state.settings.sign_in).unwrap_or_else(|| {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            hex::encode(bytes)
        });
        let pending = PendingLogin {
            id: request.id.clone(),
            workspace_id: workspace.id,
            connection_id: connection.id,
            return_to: safe_return_path(query.return_to.as_deref()),
            browser_digest: Some(digest(&binding)),
        };
        state
            .store
            .save_pending_login(&pending, &relay_state, Utc::now() + LOGIN_TTL)
            .await?;
        Ok::<_, SamlError>((redirect.to_string(), binding))
    }
    .await;
    match outcome {
        Ok((location, binding)) => HttpResponse::Found()
            .insert_header(("Location", location))
            .insert_header(("Cache-Control", "no-store"))
            .cookie(binding_cookie(&state.settings.sign_in, binding))
            .finish(),
        Err(err) => refused(&err, &slug),
    }
}
