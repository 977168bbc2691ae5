//! IdP metadata from a URL: fetched with a timeout and a size limit, refreshed (certificate
//! rollover), and a bad refresh keeps the previous metadata. The IdP's web server is wiremock.

use std::time::Duration;

use gatehouse::{
    net::outbound::{Outbound, OutboundAllow},
    service::sso as refresh,
};
use serde_json::json;
use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};

use crate::{
    helpers::on_both_backends,
    sso_support::{idp, IDP},
};

fn metadata(extra: &[&str]) -> String {
    let mut args = vec![
        "metadata",
        "--entity-id",
        IDP,
        "--sso-url",
        "https://idp.test/sso",
    ];
    args.extend_from_slice(extra);
    idp(&args)
}

/// The outbound client the test server has (loopback allowed).
pub fn outbound() -> Outbound {
    Outbound::new(OutboundAllow::parse("127.0.0.1/32").unwrap())
}

async fn serve(server: &MockServer, body: String) {
    server.reset().await;
    Mock::given(path("/metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(server)
        .await;
}

on_both_backends! {
    async fn metadata_urls_are_fetched_refreshed_and_rolled_over(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        serve(&server, metadata(&[])).await;
        let url = format!("{}/metadata", server.uri());
        let (status, created) = app.post("/v1/workspaces/acme/sso/connections", &token, json!({"metadata_url": url})).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["certificates"].as_array().unwrap().len(), 1);
        assert!(created["certificates"][0]["days_left"].as_i64().unwrap() > 0);

        // The IdP publishes a second certificate (rollover): a refresh picks it up.
        serve(&server, metadata(&["--cert", "both"])).await;
        let workspace = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        let connection = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        refresh::refresh_one(&app.store, &outbound(), &connection).await.unwrap();
        let connection = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        assert_eq!(connection.certificates.len(), 2);
        // A change of certificates is visible on the connection and audited.
        assert!(connection.certificates_changed_at.is_some());
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit", &token).await;
        let changed: Vec<_> = audit["entries"].as_array().unwrap().iter()
            .filter(|e| e["action"] == "sso.connection.certificates_changed").collect();
        assert_eq!(changed.len(), 1, "{audit}");
        assert_eq!(changed[0]["before"].as_array().unwrap().len(), 1);
        assert_eq!(changed[0]["after"].as_array().unwrap().len(), 2);
        let (_, list) = app.get_json("/v1/workspaces/acme/sso/connections", &token).await;
        assert!(list["connections"][0]["certificates_changed_at"].is_string(), "{list}");
        // The same certificates again change nothing.
        refresh::refresh_one(&app.store, &outbound(), &connection).await.unwrap();
        let same = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        assert_eq!(same.certificates_changed_at, connection.certificates_changed_at);

        // A malformed answer keeps the previous metadata and records the error.
        serve(&server, "<html>maintenance</html>".into()).await;
        assert!(refresh::refresh_one(&app.store, &outbound(), &connection).await.is_err());
        let kept = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        assert_eq!(kept.certificates.len(), 2);
        assert!(kept.refresh_error.is_some());
        // So does an IdP that is down.
        server.reset().await;
        Mock::given(path("/metadata")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
        assert!(refresh::refresh_one(&app.store, &outbound(), &kept).await.is_err());
        assert_eq!(app.store.sso_connections(workspace.id).await.unwrap()[0].certificates.len(), 2);
    }

    async fn bad_metadata_urls_are_refused_at_creation(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        let url = format!("{}/metadata", server.uri());
        for body in [metadata(&["--no-signing-cert"]), "not xml at all".to_string(), "x".repeat(600 * 1024)] {
            serve(&server, body).await;
            let (status, answer) = app.post("/v1/workspaces/acme/sso/connections", &token, json!({"metadata_url": url})).await;
            assert_eq!(status, 400, "{answer}");
        }
        let (status, _) = app.post("/v1/workspaces/acme/sso/connections", &token, json!({"metadata_url": "file:///etc/passwd"})).await;
        assert_eq!(status, 400);
        let (_, list) = app.get_json("/v1/workspaces/acme/sso/connections", &token).await;
        assert_eq!(list["connections"].as_array().unwrap().len(), 0);
    }
}

#[tokio::test]
async fn a_slow_metadata_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(path("/metadata"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("<x/>")
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let err = refresh::fetch_within(
        &outbound(),
        &format!("{}/metadata", server.uri()),
        Duration::from_millis(300),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("could not be read"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
