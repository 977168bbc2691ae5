//! API tokens: stored hashed, revocable, audited.

use gatehouse::domain::{Actor, TokenKind};
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
}
