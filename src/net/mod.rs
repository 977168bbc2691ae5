//! Network edges: who a request really comes from (behind trusted proxies), how often one
//! client address may call the unauthenticated endpoints, and which addresses Gatehouse may
//! itself connect to (webhooks, IdP metadata URLs).

pub mod addresses;
pub mod client_addr;
pub mod outbound;
pub mod rate_limit;

use std::net::IpAddr;

pub use ipnet::IpNet;

/// Parses one CIDR (`10.0.0.0/8`, `fd00::/8`) or a bare address (a /32 or /128).
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR"))
}

/// Splits a list setting: entries separated by commas and/or whitespace.
pub fn list_entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// Parses a list of CIDRs (`GATEHOUSE_TRUSTED_PROXIES`).
pub fn parse_nets(text: &str) -> Result<Vec<IpNet>, String> {
    list_entries(text).map(parse_net).collect()
}

/// The address as IPv4 when it is an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`), which is
/// how a dual-stack listener reports IPv4 peers.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_and_bare_addresses_parse() {
        let nets = parse_nets("10.0.0.0/8, 192.168.1.7 fd00::/8").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"192.168.1.7".parse::<IpAddr>().unwrap()));
        assert!(!nets[1].contains(&"192.168.1.8".parse::<IpAddr>().unwrap()));
        assert_eq!(parse_net("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(parse_nets("10.0.0.0/33").is_err());
        assert!(parse_nets("example.com").is_err());
        assert!(parse_nets("").unwrap().is_empty());
    }

    #[test]
    fn mapped_addresses_become_ipv4() {
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(canonical(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(canonical(v6), v6);
    }
}
