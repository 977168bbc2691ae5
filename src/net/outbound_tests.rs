//! Tests of the outbound guard: URL checks, allow lists, the resolver, generic errors.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
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
