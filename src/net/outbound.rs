//! The outbound guard: every request Gatehouse makes on a tenant's behalf (webhook
//! deliveries, IdP metadata URLs) goes through [`Outbound`], so a tenant cannot make Gatehouse
//! reach loopback, private, link-local, CGNAT, unique-local or other non-public addresses —
//! cloud metadata endpoints, admin ports, the database — unless the operator allows them
//! (`GATEHOUSE_OUTBOUND_ALLOW`: CIDRs or host names, for an on-premises ADFS, and for tests).
//!
//! - IP literals are classified on the parsed URL (the `url` crate normalises decimal, octal
//!   and hex IPv4 forms such as `2130706433` or `0x7f.1` to `127.0.0.1` first).
//! - Host names are resolved by our own resolver inside the HTTP client: the addresses it
//!   checks are the addresses the connection uses, so there is no window for DNS rebinding.
//! - No redirects are followed and no proxy is used.
//! - Errors carry a detail for the log and a generic text for tenants, never the answer's
//!   content, so the guard is no oracle for what lies behind a URL.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    Url,
};

pub use super::addresses::special_range;
use super::{canonical, list_entries, parse_net, IpNet};

/// What the operator allows beyond public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundAllow {
    nets: Vec<IpNet>,
    /// Lower-case host names, without a trailing dot.
    hosts: Vec<String>,
}

impl OutboundAllow {
    /// Parses `GATEHOUSE_OUTBOUND_ALLOW`: CIDRs, addresses and host names, separated by commas
    /// or spaces.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut allow = Self::default();
        for entry in list_entries(text) {
            if entry.starts_with(|c: char| c.is_ascii_digit())
                || entry.contains(':')
                || entry.contains('/')
            {
                allow.nets.push(parse_net(entry)?);
            } else if entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                allow.hosts.push(normalise_host(entry));
            } else {
                return Err(format!(
                    "{entry:?} is not a CIDR, an address or a host name"
                ));
            }
        }
        Ok(allow)
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = normalise_host(host);
        self.hosts.contains(&host)
    }

    /// Whether a URL's host is allowed by name or (an IP literal) by CIDR: such hosts may also
    /// be fetched over plain http.
    fn allows_url_host(&self, url: &Url) -> bool {
        match url.host() {
            Some(url::Host::Domain(name)) => self.allows_host(name),
            Some(url::Host::Ipv4(ip)) => self.allows_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.allows_ip(IpAddr::V6(ip)),
            None => false,
        }
    }
}

fn normalise_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// What a URL is for: metadata URLs must be https (they become trust anchors), webhooks may
/// be http or https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Metadata,
    Webhook,
}

/// Why an outbound request did not happen or did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The URL itself is unusable (not http(s), no host, plain http for metadata…).
    BadUrl,
    /// The guard refused the destination.
    NotAllowed,
    /// No usable answer: DNS, connection, TLS, timeout, an error status, a bad body.
    Failed,
}

/// An outbound failure: `detail` is for the log only (it may name addresses and reasons);
/// tenants see [`OutboundError::public_message`].
#[derive(Debug, Clone)]
pub struct OutboundError {
    pub kind: FailureKind,
    pub detail: String,
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl OutboundError {
    fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    pub fn failed(detail: impl Into<String>) -> Self {
        Self::new(FailureKind::Failed, detail)
    }

    /// The text a tenant may see. Static URL problems are explained; everything that depends
    /// on what the URL points to is one sentence, whatever happened, so answers cannot be used
    /// to scan ports or read internal documents.
    pub fn public_message(&self, purpose: Purpose) -> String {
        let what = match purpose {
            Purpose::Metadata => "the metadata URL",
            Purpose::Webhook => "the webhook URL",
        };
        match self.kind {
            FailureKind::BadUrl => format!("{what} is not usable: {}", self.detail),
            FailureKind::NotAllowed => format!(
                "{what} is not allowed: Gatehouse only connects to public internet addresses \
                 (an operator can allow others with GATEHOUSE_OUTBOUND_ALLOW)"
            ),
            FailureKind::Failed => match purpose {
                Purpose::Metadata => "the metadata URL could not be read: no answer, an error \
                    status, a redirect, or not SAML metadata within the size limit (the server \
                    log has the details)"
                    .into(),
                Purpose::Webhook => "the receiver could not be reached or did not answer 2xx in \
                    time (the server log has the details)"
                    .into(),
            },
        }
    }
}

/// Refusal raised inside the resolver; found again in the error chain.
#[derive(Debug)]
struct RefusedAddress(String);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// Resolves host names for the client and refuses any name with a non-public address.
struct GuardedResolver {
    allow: Arc<OutboundAllow>,
}

impl GuardedResolver {
    async fn lookup(
        allow: &OutboundAllow,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        if allow.allows_host(host) {
            return Ok(addrs);
        }
        for addr in &addrs {
            let ip = canonical(addr.ip());
            if let Some(range) = special_range(ip) {
                if !allow.allows_ip(ip) {
                    return Err(Box::new(RefusedAddress(format!(
                        "{host} resolves to {ip}, {range}"
                    ))));
                }
            }
        }
        Ok(addrs)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let addrs = Self::lookup(&allow, name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client for requests made on a tenant's behalf.
#[derive(Clone)]
pub struct Outbound {
    allow: Arc<OutboundAllow>,
    client: reqwest::Client,
}

impl Outbound {
    pub fn new(allow: OutboundAllow) -> Self {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("the outbound HTTP client builds");
        Self { allow, client }
    }

    /// Checks what can be checked without the network: scheme, host, IP literals and
    /// `localhost` names; for metadata, https unless the host is allowed explicitly.
    pub fn check_url(&self, url: &str, purpose: Purpose) -> Result<Url, OutboundError> {
        let bad = |why: &str| OutboundError::new(FailureKind::BadUrl, why);
        if url.len() > 2048 {
            return Err(bad("it is longer than 2048 characters"));
        }
        let parsed = Url::parse(url).map_err(|_| bad("it is not a valid URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("it must be an http(s) URL"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("it must not carry credentials"));
        }
        let explicitly_allowed = self.allow.allows_url_host(&parsed);
        if purpose == Purpose::Metadata && parsed.scheme() != "https" && !explicitly_allowed {
            return Err(bad(
                "it must be https:// (the metadata decides which certificates are trusted)",
            ));
        }
        let refused = |detail: String| OutboundError::new(FailureKind::NotAllowed, detail);
        match parsed.host() {
            None => return Err(bad("it has no host")),
            Some(url::Host::Domain(name)) => {
                let name = normalise_host(name);
                if !explicitly_allowed && (name == "localhost" || name.ends_with(".localhost")) {
                    return Err(refused(format!("{name} is a loopback name")));
                }
            }
            Some(url::Host::Ipv4(ip)) => {
                if let Some(range) = special_range(IpAddr::V4(ip)).filter(|_| !explicitly_allowed) {
                    return Err(refused(format!("{ip} is {range}")));
                }
            }
            Some(url::Host::Ipv6(ip)) => {
                if let Some(range) = special_range(IpAddr::V6(ip)).filter(|_| !explicitly_allowed) {
                    return Err(refused(format!("{ip} is {range}")));
                }
            }
        }
        Ok(parsed)
    }

    /// A request to `url` after [`Outbound::check_url`]; send it with [`Outbound::send`].
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        purpose: Purpose,
        timeout: Duration,
    ) -> Result<reqwest::RequestBuilder, OutboundError> {
        let url = self.check_url(url, purpose)?;
        Ok(self.client.request(method, url).timeout(timeout))
    }

    /// Sends a request built by [`Outbound::request`]; answers with 2xx responses only.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OutboundError> {
        let response = request.send().await.map_err(describe)?;
        let status = response.status();
        if status.is_success() {
            Ok(response)
        } else {
            Err(OutboundError::failed(format!("answered HTTP {status}")))
        }
    }
}

/// Turns a client error into an [`OutboundError`], recognising the resolver's refusal.
fn describe(err: reqwest::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RefusedAddress>() {
            return OutboundError::new(FailureKind::NotAllowed, refused.0.clone());
        }
        source = e.source();
    }
    let what = if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        format!("could not connect: {err}")
    } else {
        err.to_string()
    };
    OutboundError::failed(what)
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
mod tests;
