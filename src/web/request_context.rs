//! Per-request context: the request id (the caller's `X-Request-Id`, or a fresh one), a
//! tracing span that every log line of the request carries, and one completion log line.
//!
//! The id is also kept in a task-local so error bodies built deep inside a handler can carry
//! it without threading it through every function.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage,
};
use tracing::Instrument;
use uuid::Uuid;

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT_REQUEST_ID: RequestId;
}

/// The id of the request being served; extract it in handlers with `web::ReqData<RequestId>`
/// or read [`RequestId::current`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id of the request this task is serving, if any.
    pub fn current() -> Option<String> {
        CURRENT_REQUEST_ID.try_with(|id| id.0.clone()).ok()
    }

    /// Accepts a caller's id only if it is short printable ASCII, so it is safe to echo in
    /// headers and logs; otherwise makes a new one.
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let caller = value
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()));
        match caller {
            Some(id) => Self(id.to_string()),
            None => Self(Uuid::new_v4().to_string()),
        }
    }
}

/// Middleware: assigns the request id, opens the request span, logs the outcome.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = RequestId::from_header(req.headers().get(REQUEST_ID_HEADER));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id.0,
        method = %req.method(),
        path = %req.path(),
        workspace = tracing::field::Empty,
        token_id = tracing::field::Empty,
    );
    req.extensions_mut().insert(request_id.clone());
    let started = Instant::now();
    let header_value = HeaderValue::from_str(&request_id.0).ok();
    let outcome = CURRENT_REQUEST_ID
        .scope(request_id, next.call(req).instrument(span.clone()))
        .await;
    let mut response = outcome?;
    let _entered = span.enter();
    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1000.0;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    super::metrics::observe_request(
        &route,
        response.request().method().as_str(),
        status.as_u16(),
        elapsed,
    );
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), elapsed_ms, "request failed");
    } else {
        tracing::info!(status = status.as_u16(), elapsed_ms, "request served");
    }
    if let Some(value) = header_value {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}
