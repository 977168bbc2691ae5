//! Liveness, readiness, request ids and the error envelope.

use crate::helpers::on_both_backends;

on_both_backends! {
    async fn healthz_answers_with_a_fresh_request_id(app: TestApp) {
        let response = app.get("/healthz", None).await;
        assert_eq!(response.status(), 200);
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }

    async fn a_callers_request_id_is_echoed_and_a_bad_one_replaced(app: TestApp) {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "trace-abc-123")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
        let too_long = "x".repeat(500);
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", too_long.as_str())
            .send()
            .await
            .unwrap();
        assert_ne!(response.headers()["x-request-id"], too_long.as_str());
    }

    async fn readyz_is_ready_while_the_database_answers_and_503_once_it_does_not(app: TestApp) {
        assert_eq!(app.get("/readyz", None).await.status(), 200);
        // Closing the shared pool makes the database unreachable for the server too.
        app.store.close().await;
        let response = app.get("/readyz", None).await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "unavailable");
    }

    async fn unknown_routes_get_the_json_error_envelope_with_the_request_id(app: TestApp) {
        let response = app
            .client
            .get(app.url("/no/such/route"))
            .header("x-request-id", "req-404")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(body["error"]["request_id"], "req-404");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_contract_paths() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let response = app.get("/v1/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let w = "/v1/workspaces/{slug}";
    for path in [
        "/resources",
        "/resources/{type}/{id}",
        "/members",
        "/members/{member}",
        "/groups",
        "/groups/{id}/members",
        "/grants",
        "/grants/{id}",
        "/audit",
        "/changes",
        "/access/check",
        "/access/check-batch",
        "/access/explain",
        "/access/resources",
        "/access/subjects",
        "/users/{member}/permissions",
    ] {
        assert!(
            doc["paths"][format!("{w}{path}")].is_object(),
            "{path} is not documented"
        );
    }
}

/// A metrics listener on a free loopback port.
fn with_metrics(settings: &mut gatehouse::config::Settings) {
    settings.network.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
}

/// Checks the text format's grouping rule: each family's HELP and TYPE come first and all its
/// samples follow them, before the next family.
fn assert_families_grouped(text: &str) {
    let mut current: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(seen.insert(name.clone()), "family {name} appears twice");
            current = Some(name);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            assert_eq!(
                Some(rest.split(' ').next().unwrap()),
                current.as_deref(),
                "TYPE apart from HELP: {line}"
            );
        } else if !line.is_empty() {
            let family = current.as_deref().expect("a sample before any HELP");
            let name = line.split(['{', ' ']).next().unwrap();
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|b| *b == family)
                .unwrap_or(name);
            assert_eq!(base, family, "sample {line} outside its family");
        }
    }
}

crate::helpers::on_both_backends_with! {
    with_metrics;
    async fn metrics_are_served_on_their_own_listener_in_the_prometheus_format(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let workspace = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        app.post("/v1/workspaces/acme/webhooks", &token,
            serde_json::json!({"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"})).await;
        app.post("/v1/workspaces/acme/members", &token, serde_json::json!({"email": "m@example.com"})).await;
        app.post("/v1/workspaces/acme/access/check", &token, serde_json::json!({"user": "m@example.com",
            "action": "source.read", "resource": {"type": "source", "id": "s"}})).await;
        let (_, scim) = app.issue_token("acme", gatehouse::domain::TokenKind::Scim).await;
        app.client.get(app.url("/scim/v2/Users?filter=nonsense")).bearer_auth(&scim).send().await.unwrap();
        app.client.post(app.url("/saml/acme/acs")).form(&[("SAMLResponse", "bm90IHhtbA==")]).send().await.unwrap();
        let metrics = app.metrics_address.clone().expect("a metrics listener");
        let text = app.client.get(format!("{metrics}/metrics")).send().await.unwrap().text().await.unwrap();
        for series in [
            "gatehouse_http_requests_total{route=\"/v1/workspaces/{slug}/access/check\",method=\"POST\",status=\"200\"}",
            "gatehouse_http_request_duration_seconds_bucket{",
            "gatehouse_access_checks_total ",
            "gatehouse_cache_revision_lag{workspace=",
            "gatehouse_webhook_backlog{webhook=",
            "gatehouse_saml_failures_total{reason=",
            "gatehouse_scim_errors_total{scim_type=\"invalidFilter\"}",
        ] {
            assert!(text.contains(series), "missing {series} in:\n{text}");
        }
        assert_families_grouped(&text);
        // The public listener has no metrics at all, so no tenant id reaches an anonymous caller.
        let public = app.get("/metrics", None).await;
        assert_eq!(public.status(), 404);
        let body = public.text().await.unwrap();
        assert!(!body.contains(&workspace.id.to_string()) && !body.contains("gatehouse_"), "{body}");
    }
}

crate::helpers::on_both_backends! {
    async fn without_a_metrics_bind_no_listener_serves_metrics(app: TestApp) {
        assert!(app.metrics_address.is_none());
        assert_eq!(app.get("/metrics", None).await.status(), 404);
    }
}
