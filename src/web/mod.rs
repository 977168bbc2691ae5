//! The small HTTP toolkit the web adapters share: the state every handler reaches, the JSON
//! error envelope, the request context (request ids), the caller extractor of the workspace
//! routes, browser sessions and form CSRF, server-rendered pages, and request metrics.

pub mod caller;
pub mod error;
pub mod form_csrf;
pub mod metrics;
pub mod pages;
pub mod request_context;
pub mod sessions;

use std::sync::{atomic::AtomicBool, Arc};

pub use caller::{bearer_secret, Caller, Principal};
pub use error::ApiError;

use crate::{config::Settings, service::AccessService, storage::Store};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Settings,
    pub access: AccessService,
    pub throttle: std::sync::Arc<crate::service::throttle::Throttle>,
    /// Looks up the TXT records that verify email domains.
    pub dns: crate::service::domains::DnsVerifier,
    /// The HTTP client for requests made on a tenant's behalf (metadata URLs).
    pub outbound: crate::net::outbound::Outbound,
    /// Per-client-address limit of `/saml/*/login` and `/saml/*/acs`.
    pub saml_limiter: std::sync::Arc<crate::net::rate_limit::RateLimiter>,
    /// Set once a shutdown began: `/readyz` answers 503 from then on.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    /// The request's client address (`X-Forwarded-For` only from trusted proxies).
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        crate::net::client_addr::of_request(req, &self.settings.network.trusted_proxies)
    }
}
