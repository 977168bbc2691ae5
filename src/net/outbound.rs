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
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    Url,
};

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

/// The special-purpose range `ip` lies in, or `None` for an ordinary public address.
/// IPv4 ranges follow the IANA special-purpose registry; IPv6 forms that embed an IPv4
/// address (mapped, compatible, NAT64, 6to4, Teredo) are refused outright rather than
/// unpacked, since no webhook receiver or IdP needs them.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (10, _, _) => "private (10.0.0.0/8)",
        (100, 64..=127, _) => "shared address space, CGNAT (100.64.0.0/10)",
        (127, _, _) => "loopback (127.0.0.0/8)",
        (169, 254, _) => "link-local (169.254.0.0/16)",
        (172, 16..=31, _) => "private (172.16.0.0/12)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) => "documentation (192.0.2.0/24)",
        (192, 88, 99) => "6to4 relay anycast (192.88.99.0/24)",
        (192, 168, _) => "private (192.168.0.0/16)",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (198, 51, 100) => "documentation (198.51.100.0/24)",
        (203, 0, 113) => "documentation (203.0.113.0/24)",
        (224..=239, _, _) => "multicast (224.0.0.0/4)",
        (240..=255, _, _) => "reserved or broadcast (240.0.0.0/4)",
        _ => return None,
    })
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    Some(match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => "IPv4-mapped (::ffff:0:0/96)",
        [0, 0, 0, 0, 0, 0, _, _] => "IPv4-compatible (::/96)",
        [0, 0, 0, 0, 0xffff, 0, _, _] => "IPv4-translated (::ffff:0:0:0/96)",
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => "NAT64 (64:ff9b::/96)",
        [0x64, 0xff9b, 1, ..] => "local-use NAT64 (64:ff9b:1::/48)",
        [0x100, 0, 0, 0, ..] => "discard-only (100::/64)",
        [0x2001, 0xdb8, ..] => "documentation (2001:db8::/32)",
        [0x2001, 0..=0x1ff, ..] => "IETF protocol assignments, Teredo (2001::/23)",
        [0x2002, ..] => "6to4 (2002::/16)",
        [0x3fff, 0..=0xfff, ..] => "documentation (3fff::/20)",
        [0x5f00, ..] => "segment routing (5f00::/16)",
        [first, ..] if first & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
        [first, ..] if first & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
        [first, ..] if first & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
        [first, ..] if first & 0xff00 == 0xff00 => "multicast (ff00::/8)",
        _ => return None,
    })
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
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_special_range_is_classified() {
        let special = [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("100.64.0.1", "CGNAT"),
            ("100.127.255.254", "CGNAT"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("169.254.169.254", "link-local"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.0.0.8", "IETF"),
            ("192.0.2.1", "documentation"),
            ("192.88.99.1", "6to4"),
            ("192.168.1.1", "private"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("198.51.100.1", "documentation"),
            ("203.0.113.1", "documentation"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:8.8.8.8", "IPv4-mapped"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::ffff:0:a00:1", "IPv4-translated"),
            ("64:ff9b::a00:1", "NAT64"),
            ("64:ff9b:1::1", "NAT64"),
            ("100::1", "discard"),
            ("2001::1", "Teredo"),
            ("2001:10::1", "IETF"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::1", "6to4"),
            ("3fff::1", "documentation"),
            ("5f00::1", "segment routing"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
        ];
        for (addr, range) in special {
            let got = special_range(ip(addr));
            assert!(
                got.is_some_and(|g| g.contains(range)),
                "{addr}: expected {range}, got {got:?}"
            );
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "2001:200::1",
        ];
        for addr in public {
            assert_eq!(special_range(ip(addr)), None, "{addr} is public");
        }
    }

    #[test]
    fn ip_literals_in_every_spelling_are_refused_before_any_connection() {
        let outbound = Outbound::new(OutboundAllow::default());
        for url in [
            "http://127.0.0.1/",
            "http://127.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://017700000001/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://0.0.0.0/",
            "http://0/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1%25eth0]/",
            "http://10.0.0.1/",
            "http://100.100.100.200/",
            "http://[fd00::1]/",
            "http://localhost:9000/",
            "http://LOCALHOST./",
            "http://api.localhost/",
        ] {
            match outbound.check_url(url, Purpose::Webhook) {
                Err(e) if e.kind == FailureKind::NotAllowed => {}
                // A URL the parser itself refuses is fine too (zone ids are not URLs).
                Err(e) if e.kind == FailureKind::BadUrl => {}
                other => panic!("{url}: {other:?}"),
            }
        }
        assert!(outbound
            .check_url("https://idp.example.com/metadata", Purpose::Metadata)
            .is_ok());
        assert!(outbound
            .check_url("http://93.184.215.14/hook", Purpose::Webhook)
            .is_ok());
    }

    #[test]
    fn metadata_must_be_https_unless_the_host_is_allowed() {
        let outbound = Outbound::new(OutboundAllow::default());
        let err = outbound
            .check_url("http://idp.example.com/metadata", Purpose::Metadata)
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::BadUrl);
        assert!(outbound
            .check_url("file:///etc/passwd", Purpose::Metadata)
            .is_err());
        assert!(outbound
            .check_url("https://user:pw@idp.example.com/", Purpose::Metadata)
            .is_err());
        let allow = OutboundAllow::parse("adfs.corp.example, 127.0.0.1/32 10.1.0.0/16").unwrap();
        let outbound = Outbound::new(allow);
        for url in [
            "http://ADFS.corp.example./FederationMetadata.xml",
            "http://127.0.0.1:8080/metadata",
            "http://10.1.2.3/metadata",
        ] {
            assert!(outbound.check_url(url, Purpose::Metadata).is_ok(), "{url}");
        }
        assert!(outbound
            .check_url("http://10.2.0.1/metadata", Purpose::Metadata)
            .is_err());
        assert!(outbound
            .check_url("http://localhost:8080/metadata", Purpose::Metadata)
            .is_err());
    }

    #[test]
    fn allow_lists_parse_nets_addresses_and_names() {
        let allow = OutboundAllow::parse("10.0.0.0/8,fd00::/8 idp.internal 192.168.1.5").unwrap();
        assert!(allow.allows_ip(ip("10.9.9.9")));
        assert!(allow.allows_ip(ip("::ffff:10.9.9.9")));
        assert!(allow.allows_ip(ip("fd00::5")));
        assert!(allow.allows_ip(ip("192.168.1.5")));
        assert!(!allow.allows_ip(ip("192.168.1.6")));
        assert!(allow.allows_host("IDP.internal."));
        assert!(!allow.allows_host("other.internal"));
        assert!(OutboundAllow::parse("http://x").is_err());
        assert!(OutboundAllow::parse("10.0.0.0/40").is_err());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_internal_addresses() {
        // `localhost` comes from /etc/hosts: no DNS query leaves the machine.
        let allow = OutboundAllow::default();
        let err = GuardedResolver::lookup(&allow, "localhost")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
        let allow = OutboundAllow::parse("localhost").unwrap();
        assert!(!GuardedResolver::lookup(&allow, "localhost")
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn tenants_never_see_the_detail() {
        let err = OutboundError::failed("answered HTTP 404 Not Found from 10.0.0.5");
        for purpose in [Purpose::Metadata, Purpose::Webhook] {
            let text = err.public_message(purpose);
            assert!(
                !text.contains("404") && !text.contains("10.0.0.5"),
                "{text}"
            );
        }
        let refused = OutboundError::new(FailureKind::NotAllowed, "10.0.0.5 is private");
        assert!(!refused
            .public_message(Purpose::Webhook)
            .contains("10.0.0.5"));
    }
}
