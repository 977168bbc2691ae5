//! The admin API's error envelope: `{"error": {"code", "message", "request_id"}}`.
//! Every failure of the JSON APIs is mapped here, in one place. Unexpected failures are
//! logged with their cause and answered with the request id only, never the cause.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;

use super::request_context::RequestId;
use crate::storage::StoreError;

/// A failure of an admin or access API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// An `If-Match` precondition failed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    request_id: Option<String>,
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error.cause_chain = ?cause, "unexpected failure");
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(Envelope {
            error: Body {
                code: self.code(),
                message: self.to_string(),
                request_id: RequestId::current(),
            },
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(msg) | StoreError::Duplicate(msg) => Self::Conflict(msg),
            StoreError::Invalid(msg) => Self::BadRequest(msg),
            StoreError::PreconditionFailed(msg) => Self::PreconditionFailed(msg),
            StoreError::InvalidFilter(msg) => Self::BadRequest(msg),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::access::InvalidValue> for ApiError {
    fn from(err: crate::access::InvalidValue) -> Self {
        Self::BadRequest(err.0)
    }
}

impl From<crate::access::GrantError> for ApiError {
    fn from(err: crate::access::GrantError) -> Self {
        Self::BadRequest(err.to_string())
    }
}

impl From<crate::service::ServiceError> for ApiError {
    fn from(err: crate::service::ServiceError) -> Self {
        use crate::service::{CacheError, ServiceError as E};
        match err {
            E::NotFound(what) => Self::NotFound(what),
            E::Invalid(msg) => Self::BadRequest(msg),
            E::Conflict(msg) => Self::Conflict(msg),
            E::Forbidden(msg) => Self::Forbidden(msg),
            E::Grant(e) => e.into(),
            E::Cache(CacheError::RevisionAhead { asked, latest }) => Self::BadRequest(format!(
                "revision {asked} is newer than the workspace's latest revision {latest}"
            )),
            E::Cache(CacheError::Store(e)) | E::Store(e) => e.into(),
        }
    }
}

/// Turns query-string failures into the envelope.
pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}

/// Turns path failures (a malformed id) into the envelope.
pub fn path_error_handler(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::NotFound(format!("path ({err})")).into()
}

/// Turns body-parsing failures (bad JSON, too large) into the envelope.
pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::PayloadTooLarge(limit).into()
        }
        E::ContentType => {
            ApiError::BadRequest("expected a JSON body (Content-Type: application/json)".into())
                .into()
        }
        E::Deserialize(e) => ApiError::BadRequest(format!("invalid JSON body: {e}")).into(),
        other => ApiError::BadRequest(format!("could not read the body: {other}")).into(),
    }
}
