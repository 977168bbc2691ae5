//! Network settings: trusted proxies, what outbound requests may reach, the metrics listener,
//! and the rate limit of the unauthenticated SAML endpoints.

use std::net::SocketAddr;

use crate::net::{outbound::OutboundAllow, parse_nets, IpNet};

/// How Gatehouse sees the network around it.
#[derive(Debug, Clone, Default)]
pub struct NetworkSettings {
    /// Peers whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`; default none).
    pub trusted_proxies: Vec<IpNet>,
    /// Non-public destinations webhooks and metadata URLs may reach
    /// (`GATEHOUSE_OUTBOUND_ALLOW`; default none).
    pub outbound_allow: OutboundAllow,
    /// Where `/metrics` is served (`GATEHOUSE_METRICS_BIND`; default: not served).
    pub metrics_bind: Option<SocketAddr>,
    /// Requests per minute one client address may make to `/saml/*/login` and `/saml/*/acs`
    /// (`GATEHOUSE_SAML_REQUESTS_PER_MINUTE`; 0 = unlimited).
    pub saml_requests_per_minute: u32,
}

/// Default of [`NetworkSettings::saml_requests_per_minute`]: ten a second from one address
/// is far above what people behind one NAT sign in at, and far below what hurts the server.
pub const DEFAULT_SAML_REQUESTS_PER_MINUTE: u32 = 600;

/// Parses the raw values (`None` = not set); `Err((key, problem))` names the bad one.
pub fn parse(
    trusted_proxies: Option<&str>,
    outbound_allow: Option<&str>,
    metrics_bind: Option<&str>,
    saml_requests_per_minute: Option<&str>,
) -> Result<NetworkSettings, (&'static str, String)> {
    let trusted_proxies =
        parse_nets(trusted_proxies.unwrap_or("")).map_err(|e| ("trusted_proxies", e))?;
    let outbound_allow =
        OutboundAllow::parse(outbound_allow.unwrap_or("")).map_err(|e| ("outbound_allow", e))?;
    let metrics_bind = match metrics_bind.map(str::trim) {
        None | Some("") | Some("off") => None,
        Some(addr) => Some(addr.parse::<SocketAddr>().map_err(|e| {
            (
                "metrics_bind",
                format!("{addr:?}: {e} (use HOST:PORT, or off)"),
            )
        })?),
    };
    let saml_requests_per_minute = match saml_requests_per_minute.map(str::trim) {
        None => DEFAULT_SAML_REQUESTS_PER_MINUTE,
        Some(n) => n
            .parse()
            .map_err(|e| ("saml_requests_per_minute", format!("{n:?}: {e}")))?,
    };
    Ok(NetworkSettings {
        trusted_proxies,
        outbound_allow,
        metrics_bind,
        saml_requests_per_minute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_trust_no_proxy_allow_nothing_and_serve_no_metrics() {
        let n = parse(None, None, None, None).unwrap();
        assert!(n.trusted_proxies.is_empty());
        assert_eq!(n.outbound_allow, OutboundAllow::default());
        assert_eq!(n.metrics_bind, None);
        assert_eq!(n.saml_requests_per_minute, DEFAULT_SAML_REQUESTS_PER_MINUTE);
    }

    #[test]
    fn bad_values_name_their_setting() {
        assert_eq!(
            parse(Some("x"), None, None, None).unwrap_err().0,
            "trusted_proxies"
        );
        assert_eq!(
            parse(None, Some("a b/"), None, None).unwrap_err().0,
            "outbound_allow"
        );
        assert_eq!(
            parse(None, None, Some("9090"), None).unwrap_err().0,
            "metrics_bind"
        );
        assert_eq!(
            parse(None, None, None, Some("-1")).unwrap_err().0,
            "saml_requests_per_minute"
        );
        let n = parse(None, None, Some("127.0.0.1:9090"), Some("0")).unwrap();
        assert_eq!(n.metrics_bind.unwrap().port(), 9090);
        assert_eq!(n.saml_requests_per_minute, 0);
    }
}
