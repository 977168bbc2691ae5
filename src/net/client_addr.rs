//! The client address of a request, for throttles and rate limits. Behind a load balancer the
//! TCP peer is the balancer, so every client would share one key; `X-Forwarded-For` names the
//! real client, but anyone can send that header. It is therefore believed only when the peer
//! is a trusted proxy (`GATEHOUSE_TRUSTED_PROXIES`), and read from the right: each trusted hop
//! appends the address it saw, so the rightmost entry that is not itself a trusted proxy is
//! the first address no one we trust vouches for beyond.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

use super::{canonical, IpNet};

/// The client address of `req` (see the module documentation).
pub fn of_request(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    client_ip(peer, forwarded, trusted)
}

/// The client address given the TCP peer and the `X-Forwarded-For` header values in order.
pub fn client_ip<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    let mut client = canonical(peer?);
    if !is_trusted(client) {
        return Some(client);
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            // A hop we cannot read ends the walk: the last address a trusted proxy gave us
            // is the best we know.
            None => break,
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The key rate limits use for an address: IPv6 clients get a whole /64 each (one subscriber
/// usually holds at least that), so hopping addresses inside it does not buy more attempts.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::parse_nets;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let trusted = parse_nets("10.0.0.0/8").unwrap();
        let spoofed = ["198.51.100.9"];
        assert_eq!(
            client_ip(Some(ip("203.0.113.5")), spoofed.into_iter(), &trusted),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), spoofed.into_iter(), &[]),
            Some(ip("10.0.0.2")),
            "no trusted proxies by default"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = parse_nets("10.0.0.0/8").unwrap();
        // The client claims 1.1.1.1 itself; the balancer appended what it saw, 203.0.113.5,
        // and an inner proxy 10.0.0.9 appended itself.
        let header = ["1.1.1.1, 203.0.113.5", "10.0.0.9"];
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), header.into_iter(), &trusted),
            Some(ip("203.0.113.5"))
        );
        // Ports and mapped addresses are understood.
        let header = ["[2001:db8::7]:4711"];
        assert_eq!(
            client_ip(Some(ip("::ffff:10.0.0.2")), header.into_iter(), &trusted),
            Some(ip("2001:db8::7"))
        );
        // Garbage stops the walk at the last trusted hop.
        let header = ["203.0.113.5, not-an-address"];
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), header.into_iter(), &trusted),
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
