//! Invitations: only owners invite; they carry grants, expire, can be revoked, single use.

use serde_json::json;

use crate::helpers::on_both_backends;

on_both_backends! {
    async fn owners_invite_with_grants_and_an_invitation_is_used_once(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let ws = "/v1/workspaces/acme";
        app.post(&format!("{ws}/members"), &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        app.post(&format!("{ws}/members"), &token, json!({"email": "max@example.com"})).await;
        app.post(&format!("{ws}/resources"), &token, json!({"type": "source", "id": "ios-prod", "name": "iOS Prod"})).await;
        let invite = json!({"email": "new@example.com", "invited_by": "olga@example.com",
            "grants": [{"role": "source.admin", "scope": {"type": "instance", "resource": {"type": "source", "id": "ios-prod"}}}]});

        // A member is not an owner: no invitations.
        let mut by_member = invite.clone();
        by_member["invited_by"] = json!("max@example.com");
        let (status, body) = app.post(&format!("{ws}/invites"), &token, by_member).await;
        assert_eq!(status, 403, "{body}");

        let (status, created) = app.post(&format!("{ws}/invites"), &token, invite).await;
        assert_eq!(status, 201, "{created}");
        let code = created["code"].as_str().unwrap().to_string();
        assert!(code.starts_with("gh_invite_"));
        let (_, listed) = app.get_json(&format!("{ws}/invites"), &token).await;
        assert!(!listed.to_string().contains(&code), "codes are never listed");
        assert!(listed["invites"][0]["expires_at"].is_string());

        let (status, accepted) = app.post(&format!("{ws}/invites/accept"), &token, json!({"code": code})).await;
        assert_eq!(status, 200, "{accepted}");
        let (_, check) = app.post(&format!("{ws}/access/check"), &token, json!({"user": "new@example.com",
            "action": "source.update", "resource": {"type": "source", "id": "ios-prod"},
            "at_least_revision": accepted["revision"]})).await;
        assert_eq!(check["allowed"], true);
        let (_, explained) = app.post(&format!("{ws}/access/explain"), &token, json!({"user": "new@example.com",
            "action": "source.update", "resource": {"type": "source", "id": "ios-prod"}})).await;
        assert_eq!(explained["via"][0]["role"], "source.admin");

        let (status, _) = app.post(&format!("{ws}/invites/accept"), &token, json!({"code": code})).await;
        assert_eq!(status, 409, "single use");
    }

    async fn revoked_and_expired_invitations_cannot_be_accepted(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let ws = "/v1/workspaces/acme";
        app.post(&format!("{ws}/members"), &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let invite = |email: &str| json!({"email": email, "invited_by": "olga@example.com"});
        let (_, first) = app.post(&format!("{ws}/invites"), &token, invite("a@example.com")).await;
        let id = first["invite"]["id"].as_str().unwrap();
        let (status, _) = app.delete(&format!("{ws}/invites/{id}"), &token).await;
        assert_eq!(status, 200);
        let (status, _) = app.post(&format!("{ws}/invites/accept"), &token, json!({"code": first["code"]})).await;
        assert_eq!(status, 409);

        let (_, second) = app.post(&format!("{ws}/invites"), &token, invite("b@example.com")).await;
        let id = second["invite"]["id"].as_str().unwrap();
        // Move the expiry into the past, straight in the database.
        let past = chrono::Utc::now() - chrono::Duration::hours(1);
        let id = uuid::Uuid::parse_str(id).unwrap();
        use sqlx::Connection;
        let sql = "UPDATE invites SET expires_at = $1 WHERE id = $2";
        if app.db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sql).bind(past).bind(id).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sql).bind(past).bind(id).execute(&mut conn).await.unwrap();
        }
        let (status, body) = app.post(&format!("{ws}/invites/accept"), &token, json!({"code": second["code"]})).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("expired"));
        let (_, check) = app.post(&format!("{ws}/access/check"), &token, json!({"user": "b@example.com",
            "action": "workspace.sign_in", "resource": {"type": "workspace"}})).await;
        assert_eq!(check["allowed"], false, "nothing half-written");
    }
}
