//! Workspaces over the admin API: authentication and tenant isolation.

use gatehouse::domain::TokenKind;

use crate::helpers::on_both_backends;

on_both_backends! {
    async fn a_service_token_reads_its_own_workspace(app: TestApp) {
        app.create_workspace("acme").await;
        let (_, token) = app.issue_token("acme", TokenKind::Service).await;
        let response = app.get("/v1/workspaces/acme", Some(&token)).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["slug"], "acme");
        assert_eq!(body["domains"][0], "example.com");
        assert_eq!(body["products"].as_array().unwrap().len(), 4);
    }

    async fn another_workspace_is_not_found_for_a_token(app: TestApp) {
        app.create_workspace("acme").await;
        app.create_workspace("globex").await;
        let (_, token) = app.issue_token("acme", TokenKind::Service).await;
        for path in ["/v1/workspaces/globex", "/v1/workspaces/globex/audit"] {
            let response = app.get(path, Some(&token)).await;
            assert_eq!(response.status(), 404, "{path}");
        }
    }

    async fn requests_without_a_valid_service_token_are_unauthorized(app: TestApp) {
        app.create_workspace("acme").await;
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        for token in [None, Some("nonsense"), Some(scim.as_str())] {
            let response = app.get("/v1/workspaces/acme", token).await;
            assert_eq!(response.status(), 401, "{token:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized");
            assert!(body["error"]["request_id"].is_string());
        }
    }

    async fn duplicate_slugs_are_a_conflict(app: TestApp) {
        app.create_workspace("acme").await;
        let err = app
            .store
            .create_workspace(
                gatehouse::domain::NewWorkspace {
                    slug: "acme".into(),
                    name: "Again".into(),
                    products: vec![],
                    domains: vec![],
                },
                &gatehouse::domain::Actor::Cli,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, gatehouse::storage::StoreError::Conflict(_)), "{err:?}");
    }
}
