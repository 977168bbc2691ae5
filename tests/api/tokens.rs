//! API tokens: stored hashed, revocable, audited.

use chrono::Duration;
use gatehouse::{
    domain::{Actor, TokenKind},
    storage::StoreError,
};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::helpers::{on_both_backends, TestApp};

/// Every column of every api_tokens row, as text, read straight from the database.
async fn token_rows_as_text(app: &TestApp) -> Vec<String> {
    use sqlx::{Column, Connection, Row, ValueRef};
    let mut out = Vec::new();
    macro_rules! dump {
        ($conn:expr) => {{
            let rows = sqlx::query("SELECT * FROM api_tokens")
                .fetch_all(&mut $conn)
                .await
                .unwrap();
            for row in rows {
                for (i, column) in row.columns().iter().enumerate() {
                    let raw = row.try_get_raw(i).unwrap();
                    if raw.is_null() {
                        continue;
                    }
                    let text = row
                        .try_get::<String, _>(i)
                        .or_else(|_| row.try_get::<Vec<u8>, _>(i).map(hex::encode))
                        .unwrap_or_default();
                    out.push(format!("{}={}", column.name(), text));
                }
            }
        }};
    }
    if app.db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        dump!(conn);
    } else {
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        dump!(conn);
    }
    out
}

on_both_backends! {
    async fn token_secrets_are_never_stored_in_clear(app: TestApp) {
        app.create_workspace("acme").await;
        let (_, secret) = app.issue_token("acme", TokenKind::Scim).await;
        let columns = token_rows_as_text(&app).await;
        assert!(!columns.is_empty());
        let random_part = secret.rsplit('_').next().unwrap();
        for column in &columns {
            assert!(!column.contains(random_part), "secret found in {column}");
        }
        let expected_digest = hex::encode(Sha256::digest(secret.as_bytes()));
        assert!(columns.contains(&format!("secret_digest={expected_digest}")), "{columns:?}");
    }

    async fn a_revoked_token_is_refused_at_once(app: TestApp) {
        app.create_workspace("acme").await;
        let (id, token) = app.issue_token("acme", TokenKind::Service).await;
        assert_eq!(app.get("/v1/workspaces/acme", Some(&token)).await.status(), 200);
        app.store.revoke_token(id, &Actor::Cli, None).await.unwrap();
        let response = app.get("/v1/workspaces/acme", Some(&token)).await;
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("revoked"));
    }

    async fn tokens_record_when_they_were_last_used(app: TestApp) {
        app.create_workspace("acme").await;
        let (id, token) = app.issue_token("acme", TokenKind::Service).await;
        let before = app.store.list_tokens(Some("acme")).await.unwrap();
        assert!(before.iter().find(|t| t.id == id).unwrap().last_used_at.is_none());
        app.get("/v1/workspaces/acme", Some(&token)).await;
        let after = app.store.list_tokens(Some("acme")).await.unwrap();
        assert!(after.iter().find(|t| t.id == id).unwrap().last_used_at.is_some());
    }

    async fn issuing_and_revoking_are_audited_and_the_log_is_append_only(app: TestApp) {
        app.create_workspace("acme").await;
        let (id, token) = app.issue_token("acme", TokenKind::Service).await;
        let (other, _) = app.issue_token("acme", TokenKind::Scim).await;
        app.store.revoke_token(other, &Actor::Cli, None).await.unwrap();
        let response = app
            .client
            .get(app.url("/v1/workspaces/acme/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        let actions: Vec<&str> = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["workspace.create", "token.create", "token.create", "token.revoke"]);
        assert_eq!(body["entries"][1]["target"], format!("token:{id}"));
        assert_eq!(body["entries"][1]["actor"]["type"], "cli");

        use sqlx::Connection;
        let update = "UPDATE audit_log SET action = 'forged'";
        let delete = "DELETE FROM audit_log";
        if app.db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            assert!(sqlx::query(update).execute(&mut conn).await.is_err());
            assert!(sqlx::query(delete).execute(&mut conn).await.is_err());
        } else {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            assert!(sqlx::query(update).execute(&mut conn).await.is_err());
            assert!(sqlx::query(delete).execute(&mut conn).await.is_err());
        }
    }

    async fn a_rotated_token_and_its_successor_both_work_during_the_overlap(app: TestApp) {
        app.create_workspace("acme").await;
        let (old_id, old) = app.issue_token("acme", TokenKind::Service).await;
        // Authenticated once, so the old row sits in the token cache during the rotation.
        assert_eq!(app.get("/v1/workspaces/acme", Some(&old)).await.status(), 200);
        let rotated = app
            .store
            .rotate_token(old_id, Duration::hours(24), &Actor::Cli, None)
            .await
            .unwrap();
        let new = rotated.issued.secret.expose_secret().to_string();
        assert_ne!(rotated.issued.token.id, old_id);
        assert_eq!(rotated.issued.token.kind, TokenKind::Service);
        assert_eq!(rotated.issued.token.workspace_slug, "acme");
        let expires = rotated.old.expires_at.expect("the old token expires");
        let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
        assert!((23.9..=24.0).contains(&hours), "{hours}");
        assert_eq!(app.get("/v1/workspaces/acme", Some(&old)).await.status(), 200);
        assert_eq!(app.get("/v1/workspaces/acme", Some(&new)).await.status(), 200);

        // Rotating again during the overlap never pushes the old token's expiry later.
        let again = app
            .store
            .rotate_token(old_id, Duration::hours(48), &Actor::Cli, None)
            .await
            .unwrap();
        assert_eq!(again.old.expires_at, Some(expires));

        let listed = app.store.list_tokens(Some("acme")).await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed.iter().find(|t| t.id == old_id).unwrap().expires_at, Some(expires));

        let (_, service) = app.issue_token("acme", TokenKind::Service).await;
        let (_, body) = app.get_json("/v1/workspaces/acme/audit", &service).await;
        let rotations: Vec<&serde_json::Value> = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "token.rotate")
            .collect();
        assert_eq!(rotations.len(), 2, "{body}");
        assert_eq!(rotations[0]["target"], format!("token:{old_id}"));
        assert_eq!(
            rotations[0]["after"]["replaced_by"]["id"],
            rotated.issued.token.id.to_string()
        );
        assert!(!body.to_string().contains(&new), "the secret is never audited");
    }

    async fn with_no_overlap_the_old_token_fails_at_once(app: TestApp) {
        app.create_workspace("acme").await;
        let (old_id, old) = app.issue_token("acme", TokenKind::Service).await;
        assert_eq!(app.get("/v1/workspaces/acme", Some(&old)).await.status(), 200);
        let rotated = app
            .store
            .rotate_token(old_id, Duration::zero(), &Actor::Cli, None)
            .await
            .unwrap();
        let response = app.get("/v1/workspaces/acme", Some(&old)).await;
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("expired"), "{body}");
        let new = rotated.issued.secret.expose_secret().to_string();
        assert_eq!(app.get("/v1/workspaces/acme", Some(&new)).await.status(), 200);

        // SCIM tokens rotate the same way; an expired one is refused like a revoked one.
        let (scim_id, scim) = app.issue_token("acme", TokenKind::Scim).await;
        assert_eq!(app.get("/scim/v2/Users", Some(&scim)).await.status(), 200);
        app.store.rotate_token(scim_id, Duration::zero(), &Actor::Cli, None).await.unwrap();
        assert_eq!(app.get("/scim/v2/Users", Some(&scim)).await.status(), 403);

        // An expired token cannot be rotated again.
        let again = app.store.rotate_token(old_id, Duration::hours(1), &Actor::Cli, None).await;
        assert!(matches!(again, Err(StoreError::Conflict(ref m)) if m.contains("expired")), "{again:?}");
    }

    async fn expiry_is_enforced_on_cached_tokens(app: TestApp) {
        app.create_workspace("acme").await;
        let (old_id, old) = app.issue_token("acme", TokenKind::Service).await;
        app.store
            .rotate_token(old_id, Duration::milliseconds(1_000), &Actor::Cli, None)
            .await
            .unwrap();
        // Loaded into the token cache (which keeps rows for 2 s) while still valid …
        assert_eq!(app.get("/v1/workspaces/acme", Some(&old)).await.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
        // … and refused from the cached row once the expiry has passed.
        assert_eq!(app.get("/v1/workspaces/acme", Some(&old)).await.status(), 401);
    }

    async fn a_revoked_token_cannot_be_rotated(app: TestApp) {
        app.create_workspace("acme").await;
        let (id, _) = app.issue_token("acme", TokenKind::Service).await;
        app.store.revoke_token(id, &Actor::Cli, None).await.unwrap();
        let refused = app.store.rotate_token(id, Duration::hours(24), &Actor::Cli, None).await;
        assert!(matches!(refused, Err(StoreError::Conflict(ref m)) if m.contains("revoked")), "{refused:?}");
        assert_eq!(app.store.list_tokens(Some("acme")).await.unwrap().len(), 1, "nothing was issued");
        let missing = app
            .store
            .rotate_token(uuid::Uuid::now_v7(), Duration::hours(24), &Actor::Cli, None)
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
    }
}
