//! Requests Gatehouse makes for tenants: internal targets are refused by default (checked
//! before any connection), accepted with `GATEHOUSE_OUTBOUND_ALLOW`; metadata URLs must be
//! https and their answers never leak into errors; no redirects; a webhook whose receiver
//! hangs delays no one else. Every receiver here is wiremock (or a listener) on 127.0.0.1.

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use serde_json::json;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::{
    helpers::{on_both_backends, on_both_backends_with},
    sso_support::{idp, IDP},
};

/// The default outbound policy: nothing but public addresses.
fn default_outbound(settings: &mut gatehouse::config::Settings) {
    settings.network.outbound_allow = Default::default();
}

const CREDENTIALS: &str =
    "AccessKeyId=AKIAIOSFODNN7EXAMPLE\nSecretAccessKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

fn assert_no_leak(text: &str) {
    for secret in [
        "AccessKeyId",
        "AKIA",
        "SecretAccessKey",
        "wJalr",
        "invalid type",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

on_both_backends_with! {
    default_outbound;
    async fn loopback_urls_are_refused_by_default_before_any_connection(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        // Something listening on loopback, which must never hear from us.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        for url in [
            format!("http://127.0.0.1:{port}/hook"),
            format!("http://localhost:{port}/hook"),
            format!("http://[::1]:{port}/hook"),
            format!("http://2130706433:{port}/hook"),
            format!("http://0x7f.1:{port}/hook"),
            format!("http://0.0.0.0:{port}/hook"),
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        ] {
            let (status, body) = app.post("/v1/workspaces/acme/webhooks", &token,
                json!({"url": url, "secret": "0123456789abcdef"})).await;
            assert_eq!(status, 400, "{url}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("not allowed"), "{body}");
        }
        for url in [
            format!("https://127.0.0.1:{port}/metadata"),
            format!("https://localhost:{port}/metadata"),
            format!("https://169.254.169.254:{port}/latest/meta-data"),
            format!("http://127.0.0.1:{port}/metadata"),
        ] {
            let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &token,
                json!({"metadata_url": url})).await;
            assert_eq!(status, 400, "{url}: {body}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the guard connected before refusing"
        );
        let (_, hooks) = app.get_json("/v1/workspaces/acme/webhooks", &token).await;
        assert_eq!(hooks["webhooks"].as_array().unwrap().len(), 0);
    }

    async fn metadata_urls_must_be_https_unless_allowed(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &token,
            json!({"metadata_url": "http://idp.example.com/metadata"})).await;
        assert_eq!(status, 400);
        assert!(body["error"]["message"].as_str().unwrap().contains("https"), "{body}");
    }
}

on_both_backends! {
    async fn loopback_is_accepted_with_the_allow_setting(app: TestApp) {
        // The test settings allow 127.0.0.1/32 (GATEHOUSE_OUTBOUND_ALLOW).
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        let metadata = idp(&["metadata", "--entity-id", IDP, "--sso-url", "https://idp.test/sso"]);
        Mock::given(path("/metadata")).respond_with(ResponseTemplate::new(200).set_body_string(metadata))
            .mount(&server).await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &token,
            json!({"metadata_url": format!("{}/metadata", server.uri())})).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = app.post("/v1/workspaces/acme/webhooks", &token,
            json!({"url": format!("{}/hook", server.uri()), "secret": "0123456789abcdef"})).await;
        assert_eq!(status, 201, "{body}");
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "m@example.com"})).await;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let hooks = server.received_requests().await.unwrap_or_default();
            if hooks.iter().any(|r| r.url.path() == "/hook") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the webhook was not delivered to the allowed loopback receiver");
    }

    async fn a_metadata_url_answering_arbitrary_text_yields_an_error_without_it(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        Mock::given(path("/creds")).respond_with(ResponseTemplate::new(200).set_body_string(CREDENTIALS))
            .mount(&server).await;
        Mock::given(path("/missing")).respond_with(ResponseTemplate::new(404).set_body_string(CREDENTIALS))
            .mount(&server).await;
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut messages = Vec::new();
        for url in [format!("{}/creds", server.uri()), format!("{}/missing", server.uri()), format!("http://127.0.0.1:{closed}/")] {
            let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &token,
                json!({"metadata_url": url})).await;
            assert_eq!(status, 400, "{body}");
            assert_no_leak(&body.to_string());
            messages.push(body["error"]["message"].as_str().unwrap().to_string());
        }
        // Text, a 404 and a closed port read the same: the answers are no port scanner.
        assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");

        // A connection whose URL later answers the text keeps no trace of it either.
        let metadata = idp(&["metadata", "--entity-id", IDP, "--sso-url", "https://idp.test/sso"]);
        Mock::given(path("/metadata")).respond_with(ResponseTemplate::new(200).set_body_string(metadata))
            .mount(&server).await;
        let (status, _) = app.post("/v1/workspaces/acme/sso/connections", &token,
            json!({"metadata_url": format!("{}/metadata", server.uri())})).await;
        assert_eq!(status, 201);
        server.reset().await;
        Mock::given(path("/metadata")).respond_with(ResponseTemplate::new(200).set_body_string(CREDENTIALS))
            .mount(&server).await;
        let workspace = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        let connection = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        let outbound = crate::sso_metadata::outbound();
        assert!(gatehouse::service::sso::refresh_one(&app.store, &outbound, &connection).await.is_err());
        let (_, list) = app.get_json("/v1/workspaces/acme/sso/connections", &token).await;
        assert!(list["connections"][0]["refresh_error"].is_string());
        assert_no_leak(&list.to_string());
    }

    async fn metadata_redirects_are_not_followed(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        let metadata = idp(&["metadata", "--entity-id", IDP, "--sso-url", "https://idp.test/sso"]);
        Mock::given(path("/moved")).respond_with(ResponseTemplate::new(302).insert_header("location", "/metadata"))
            .mount(&server).await;
        Mock::given(path("/metadata")).respond_with(ResponseTemplate::new(200).set_body_string(metadata))
            .mount(&server).await;
        let (status, _) = app.post("/v1/workspaces/acme/sso/connections", &token,
            json!({"metadata_url": format!("{}/moved", server.uri())})).await;
        assert_eq!(status, 400);
        let paths: Vec<String> = server.received_requests().await.unwrap().iter().map(|r| r.url.path().to_string()).collect();
        assert_eq!(paths, ["/moved"]);
    }

    async fn a_webhook_that_never_answers_does_not_delay_another_workspaces_event(app: TestApp) {
        let slow_token = app.workspace_with_token("slow").await;
        let token = app.workspace_with_token("acme").await;
        let hanging = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(120)))
            .mount(&hanging).await;
        let healthy = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&healthy).await;
        for (slug, token, server) in [("slow", &slow_token, &hanging), ("acme", &token, &healthy)] {
            let (status, body) = app.post(&format!("/v1/workspaces/{slug}/webhooks"), token,
                json!({"url": format!("{}/hook", server.uri()), "secret": "0123456789abcdef"})).await;
            assert_eq!(status, 201, "{body}");
        }
        // The hanging receiver gets its delivery first and holds it.
        app.post("/v1/workspaces/slow/members", &slow_token, json!({"email": "s@example.com"})).await;
        let started = Instant::now();
        while hanging.received_requests().await.unwrap_or_default().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(5), "the slow receiver got nothing");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, _) = app.post("/v1/workspaces/acme/members", &token, json!({"email": "a@example.com"})).await;
        assert_eq!(status, 201);
        let changed = Instant::now();
        loop {
            if !healthy.received_requests().await.unwrap_or_default().is_empty() {
                break;
            }
            assert!(changed.elapsed() < Duration::from_secs(2), "another workspace's event waited for the hanging receiver");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
