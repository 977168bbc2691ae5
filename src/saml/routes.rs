//! `/saml/{workspace}/metadata` (SP metadata), `/saml/{workspace}/login` (SP-initiated,
//! Redirect binding, RelayState opaque and server-side), `/saml/{workspace}/acs` (POST
//! binding; SP- and IdP-initiated), and the admin API for connections. A refused login shows
//! a page with the request id and logs the exact reason — never the assertion.

use actix_web::{http::StatusCode, web, HttpResponse};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use rand::RngCore;
use samael::service_provider::ServiceProviderBuilder;
use serde::Deserialize;
use serde_json::json;

use super::{
    acs_url,
    login::provision,
    refresh, sp_entity_id,
    verify::{claimed_in_response_to, verify, SpIdentity},
    SamlError,
};
use crate::{
    auth::sessions,
    domain::{sso::SessionMethod, Workspace},
    http::{
        pages::{error_page, escape, safe_return_path},
        request_context::RequestId,
        ApiError, AppState, ServicePrincipal,
    },
    storage::sso::PendingLogin,
};

/// How long an AuthnRequest may wait for its answer.
const LOGIN_TTL: Duration = Duration::minutes(10);

/// The SAML endpoints browsers and IdPs talk to.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/saml/{slug}/metadata", web::get().to(sp_metadata))
        .route("/saml/{slug}/login", web::get().to(start_login))
        .route("/saml/{slug}/acs", web::post().to(acs));
}

/// The admin API for connections (mounted under `/v1`).
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/workspaces/{slug}/sso/connections",
        web::post().to(create_connection),
    )
    .route(
        "/workspaces/{slug}/sso/connections",
        web::get().to(list_connections),
    );
}

fn refused(reason: &SamlError, slug: &str) -> HttpResponse {
    crate::http::metrics::count_saml_failure(reason.reason_label());
    tracing::warn!(saml.workspace = %slug, saml.reason = %reason, "SAML login refused");
    let (status, message) = match reason {
        SamlError::Storage(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable right now. Try again in a moment.",
        ),
        _ => (
            StatusCode::FORBIDDEN,
            "Your identity provider's answer could not be accepted. Ask your administrator, quoting the request id below.",
        ),
    };
    error_page(status, "Single sign-on failed", message)
}

async fn workspace(state: &AppState, slug: &str) -> Result<Workspace, SamlError> {
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

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

async fn start_login(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let outcome = async {
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
        let pending = PendingLogin {
            id: request.id.clone(),
            workspace_id: workspace.id,
            connection_id: connection.id,
            return_to: safe_return_path(query.return_to.as_deref()),
        };
        state
            .store
            .save_pending_login(&pending, &relay_state, Utc::now() + LOGIN_TTL)
            .await?;
        Ok::<_, SamlError>(redirect.to_string())
    }
    .await;
    match outcome {
        Ok(location) => HttpResponse::Found()
            .insert_header(("Location", location))
            .insert_header(("Cache-Control", "no-store"))
            .finish(),
        Err(err) => refused(&err, &slug),
    }
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// Reads the form body up to the configured limit.
async fn read_form(state: &AppState, mut payload: web::Payload) -> Result<AcsForm, SamlError> {
    let limit = state.settings.max_body_bytes;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| SamlError::Rejected(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(SamlError::Rejected(format!(
                "the body is larger than {limit} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let text =
        String::from_utf8(body).map_err(|_| SamlError::Rejected("the body is not UTF-8".into()))?;
    web::Query::<AcsForm>::from_query(&text)
        .map(|f| f.into_inner())
        .map_err(|_| SamlError::Rejected("the body has no SAMLResponse".into()))
}

async fn acs(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let outcome = async {
        let form = read_form(&state, payload).await?;
        let workspace = workspace(&state, &slug).await?;
        let decoded = STANDARD
            .decode(form.saml_response.split_whitespace().collect::<String>())
            .map_err(|_| SamlError::Rejected("SAMLResponse is not base64".into()))?;
        let xml = String::from_utf8(decoded)
            .map_err(|_| SamlError::Rejected("SAMLResponse is not UTF-8".into()))?;
        let sp = SpIdentity {
            entity_id: sp_entity_id(&state.settings.public_url, &slug),
            acs_url: acs_url(&state.settings.public_url, &slug),
            clock_skew: Duration::seconds(state.settings.sign_in.saml_clock_skew_seconds),
        };
        let pending = match claimed_in_response_to(&xml) {
            Some(id) => Some(
                state
                    .store
                    .pending_login(workspace.id, &id)
                    .await?
                    .ok_or_else(|| SamlError::Rejected("InResponseTo names no open request of this workspace (unknown, expired or used)".into()))?,
            ),
            None => None,
        };
        let connections = state.store.sso_connections(workspace.id).await?;
        let candidates: Vec<_> = connections
            .iter()
            .filter(|c| pending.as_ref().is_none_or(|p| p.connection_id == c.id))
            .collect();
        let mut last_error = SamlError::Rejected(format!("workspace {slug} has no SSO connection"));
        let mut verified = None;
        for connection in candidates {
            if pending.is_none() && !connection.allow_idp_initiated {
                last_error = SamlError::Rejected("IdP-initiated sign-in is not allowed for this connection".into());
                continue;
            }
            match verify(connection, &sp, &xml, pending.as_ref().map(|p| p.id.as_str())) {
                Ok(assertion) => {
                    verified = Some((connection.clone(), assertion));
                    break;
                }
                Err(err) => last_error = err,
            }
        }
        let (connection, assertion) = verified.ok_or(last_error)?;
        if let Some(p) = &pending {
            if !state.store.consume_pending_login(&p.id).await? {
                return Err(SamlError::Rejected("this AuthnRequest was already answered".into()));
            }
        }
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
                .return_to_for_relay_state(relay)
                .await?
                .unwrap_or_else(|| "/".into()),
            (None, None) => "/".into(),
        };
        tracing::info!(saml.workspace = %slug, login.method = "sso", login.outcome = "ok", "signed in");
        Ok::<_, SamlError>(
            HttpResponse::SeeOther()
                .insert_header(("Location", safe_return_path(Some(&return_to))))
                .cookie(started.cookie)
                .finish(),
        )
    }
    .await;
    outcome.unwrap_or_else(|err| refused(&err, &slug))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConnection {
    metadata_xml: Option<String>,
    metadata_url: Option<String>,
    #[serde(flatten)]
    options: refresh::ConnectionOptions,
}

fn connection_json(c: &crate::domain::sso::SsoConnection) -> serde_json::Value {
    let mut value = serde_json::to_value(c).unwrap_or_default();
    value["certificates"] = c
        .certificates
        .iter()
        .map(|cert| json!({"not_after": cert.not_after, "days_left": cert.days_left()}))
        .collect();
    value
}

async fn create_connection(
    state: web::Data<AppState>,
    caller: ServicePrincipal,
    slug: web::Path<String>,
    body: web::Json<NewConnection>,
) -> Result<HttpResponse, ApiError> {
    let workspace = caller.workspace(&state, &slug).await?;
    let body = body.into_inner();
    let ctx = caller.change_context();
    let connection = refresh::connect(
        &state.store,
        &workspace,
        body.metadata_xml,
        body.metadata_url,
        body.options,
        &ctx.actor,
        ctx.request_id.as_deref(),
    )
    .await
    .map_err(|e| match e {
        SamlError::Storage(msg) => ApiError::Internal(anyhow::anyhow!(msg)),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    Ok(HttpResponse::Created().json(connection_json(&connection)))
}

async fn list_connections(
    state: web::Data<AppState>,
    caller: ServicePrincipal,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let workspace = caller.workspace(&state, &slug).await?;
    let connections: Vec<_> = state
        .store
        .sso_connections(workspace.id)
        .await?
        .iter()
        .map(connection_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "connections": connections })))
}
