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

crate::helpers::on_both_backends! {
    async fn metrics_are_scraped_in_the_prometheus_format(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/webhooks", &token,
            serde_json::json!({"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef"})).await;
        app.post("/v1/workspaces/acme/members", &token, serde_json::json!({"email": "m@example.com"})).await;
        app.post("/v1/workspaces/acme/access/check", &token, serde_json::json!({"user": "m@example.com",
            "action": "source.read", "resource": {"type": "source", "id": "s"}})).await;
        let (_, scim) = app.issue_token("acme", gatehouse::domain::TokenKind::Scim).await;
        app.client.get(app.url("/scim/v2/Users?filter=nonsense")).bearer_auth(&scim).send().await.unwrap();
        app.client.post(app.url("/saml/acme/acs")).form(&[("SAMLResponse", "bm90IHhtbA==")]).send().await.unwrap();
        let text = app.get("/metrics", None).await.text().await.unwrap();
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
    }
}
