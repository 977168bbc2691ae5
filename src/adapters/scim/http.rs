//! The SCIM wire: `application/scim+json` responses, RFC 7644 §3.12 errors, bearer
//! authentication with a workspace `scim` token (401 without a valid one, 403 when revoked,
//! constant-time comparison of the digest), and request-body parsing that answers
//! `invalidSyntax` rather than a framework error.

use std::{future::Future, pin::Pin};

use actix_web::{
    dev::Payload, http::StatusCode, web, FromRequest, HttpMessage, HttpRequest, HttpResponse,
    ResponseError,
};

use crate::scim::error::ScimError;
use crate::{
    domain::{Actor, ApiToken, TokenKind},
    storage::{ChangeContext, StoreError, TokenRejection},
    web::{request_context::RequestId, AppState},
};

/// The SCIM media type (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        crate::web::metrics::count_scim_error(self.scim_type, self.status);
        tracing::info!(
            scim.status = self.status,
            scim.type = self.scim_type.unwrap_or(""),
            scim.detail = %self.detail,
            "scim request refused"
        );
        // RFC 7644 §3.12 allows no extra members in an Error; the request id travels in the
        // X-Request-Id header.
        let body = self.to_json();
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(SCIM_CONTENT_TYPE);
        if self.status == 401 {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"gatehouse-scim\""));
        }
        if self.status == 429 {
            response.insert_header(("Retry-After", "1"));
        }
        let mut response = response.body(body.to_string());
        // For the request log (`log_request`): the refusal as we said it.
        response.extensions_mut().insert(self.clone());
        response
    }
}

impl From<StoreError> for ScimError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ScimError::not_found(format!("{what} not found")),
            // Decided by a unique index: always `uniqueness`, whichever creator lost the race.
            StoreError::Duplicate(msg) => ScimError::uniqueness(msg),
            StoreError::Conflict(msg) => ScimError::conflict(msg),
            StoreError::Invalid(msg) => ScimError::invalid_value(msg),
            StoreError::PreconditionFailed(msg) => ScimError::new(412, None, msg),
            StoreError::InvalidFilter(msg) => ScimError::invalid_filter(msg),
            other => {
                tracing::error!(error.cause_chain = ?other, "scim storage failure");
                ScimError::new(
                    500,
                    None,
                    "internal error; quote the requestId when reporting it",
                )
            }
        }
    }
}

impl From<crate::service::ServiceError> for ScimError {
    fn from(err: crate::service::ServiceError) -> Self {
        use crate::service::{CacheError, ServiceError as E};
        match err {
            E::NotFound(what) => ScimError::not_found(format!("{what} not found")),
            E::Invalid(msg) => ScimError::invalid_value(msg),
            E::Conflict(msg) => ScimError::conflict(msg),
            E::Forbidden(msg) => ScimError::forbidden(msg),
            E::Grant(e) => ScimError::invalid_value(e.to_string()),
            E::Cache(CacheError::RevisionAhead { .. }) => {
                ScimError::invalid_value("revision from the future")
            }
            E::Cache(CacheError::Store(e)) | E::Store(e) => e.into(),
        }
    }
}

/// A SCIM response with the SCIM media type, and an ETag when the resource has a version.
pub fn scim_response(
    status: StatusCode,
    body: &serde_json::Value,
    version: Option<i64>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type(SCIM_CONTENT_TYPE);
    if let Some(v) = version {
        response.insert_header(("ETag", etag(v)));
    }
    response.body(body.to_string())
}

/// The weak ETag of a version (RFC 7644 §3.14).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` / `If-None-Match` header names, if it names one of ours.
pub fn header_version(req: &HttpRequest, header: &str) -> Option<Result<i64, ()>> {
    let value = req.headers().get(header)?.to_str().ok()?.trim();
    if value == "*" {
        return None;
    }
    let parsed = value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map_err(|_| ());
    Some(parsed)
}

/// Parses a SCIM request body, answering `invalidSyntax` for anything that is not JSON.
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, ScimError> {
    if body.is_empty() {
        return Err(ScimError::invalid_syntax("the request needs a JSON body"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// Refuses a message body (SearchRequest, BulkRequest) whose `schemas` lacks its URN.
pub fn require_schema(body: &serde_json::Value, urn: &str) -> Result<(), ScimError> {
    let listed = body
        .get("schemas")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn)));
    if !listed {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must contain {urn}"
        )));
    }
    Ok(())
}

/// The workspace a SCIM request authenticated for: whose request log it goes in.
#[derive(Debug, Clone, Copy)]
struct LoggedWorkspace(uuid::Uuid);

/// Records every authenticated SCIM request in its workspace's request log (the owner
/// console's): method, path without the query, status, and for a refusal its `scimType` and
/// detail. Never a body: SCIM documents can carry passwords.
pub async fn log_request(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let method = req.method().to_string();
    let path = req.path().to_string();
    // No clone of the request meanwhile: routing below needs it unshared.
    let response = next.call(req).await?;
    let request = response.request();
    let workspace = request.extensions().get::<LoggedWorkspace>().copied();
    if let (Some(LoggedWorkspace(workspace_id)), Some(state)) =
        (workspace, request.app_data::<web::Data<AppState>>())
    {
        let status = response.status().as_u16();
        let refusal = response.response().extensions().get::<ScimError>().cloned();
        let entry = crate::domain::activity::NewActivity {
            workspace_id,
            kind: crate::domain::activity::ActivityKind::Scim,
            method,
            path,
            status,
            refused: status >= 400,
            reason: refusal
                .as_ref()
                .map(|e| e.scim_type.unwrap_or(status_reason(e.status)).to_string()),
            detail: refusal.map(|e| e.detail),
            subject: None,
            request_id: RequestId::current(),
        };
        crate::service::activity::record(&state.store, entry).await;
    }
    Ok(response)
}

/// A reason code for a refusal without a `scimType`.
fn status_reason(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        429 => "too_many_requests",
        _ if status >= 500 => "server_error",
        _ => "refused",
    }
}

/// The caller of a SCIM request: a live `scim` token, which names the workspace.
#[derive(Debug, Clone)]
pub struct ScimPrincipal {
    pub token: ApiToken,
}

impl ScimPrincipal {
    /// Context for the access-model changes this caller makes (actor = the SCIM token).
    pub fn change_context(&self) -> ChangeContext {
        ChangeContext {
            actor: Actor::Token { id: self.token.id },
            request_id: RequestId::current(),
            provenance: "scim",
        }
    }
}

impl FromRequest for ScimPrincipal {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ScimError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let secret = crate::web::bearer_secret(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let secret = secret.ok_or_else(|| {
                ScimError::unauthorized("send the SCIM token as 'Authorization: Bearer …'")
            })?;
            let state =
                state.ok_or_else(|| ScimError::new(500, None, "application state is missing"))?;
            match state
                .store
                .authenticate_token(&secret, TokenKind::Scim)
                .await?
            {
                Ok(token) => {
                    let span = tracing::Span::current();
                    span.record("workspace", token.workspace_slug.as_str());
                    span.record("token_id", tracing::field::display(token.id));
                    req.extensions_mut()
                        .insert(LoggedWorkspace(token.workspace_id));
                    Ok(ScimPrincipal { token })
                }
                Err(TokenRejection::Revoked) => {
                    Err(ScimError::forbidden("this SCIM token has been revoked"))
                }
                Err(TokenRejection::Expired) => Err(ScimError::forbidden(
                    "this SCIM token has expired (it was rotated)",
                )),
                Err(TokenRejection::Unknown | TokenRejection::WrongKind) => Err(
                    ScimError::unauthorized("the bearer token is not a valid SCIM token"),
                ),
            }
        })
    }
}

/// Unknown SCIM endpoints.
pub async fn no_such_endpoint(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    Err(ScimError::not_found(format!(
        "no SCIM endpoint {} {}",
        req.method(),
        req.path()
    )))
}

/// Known endpoints called with a method they do not support.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        405,
        None,
        format!("{} is not supported on {}", req.method(), req.path()),
    ))
}
