//! Owners manage their workspace from a browser: their session cookie may call the
//! workspace's `/v1/workspaces/{slug}/…` routes; writes need the session's CSRF token in
//! `X-CSRF-Token`; a member's session is refused; another workspace is not found.

use serde_json::json;

use crate::helpers::{on_both_backends, set_password, TestApp};

/// Signs `email` in with a password (an owner or member added beforehand): (cookie, CSRF token).
async fn signed_in(app: &TestApp, email: &str) -> (String, String) {
    set_password(&app.db.url, email, "a long enough password");
    let (status, cookie) = app.password_login(email, "a long enough password").await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    let (_, me) = app.session_of(&cookie).await;
    (cookie, me["csrf_token"].as_str().unwrap().to_string())
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("cookie", format!("gatehouse_session={cookie}"));
    if let Some(csrf) = csrf {
        req = req.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

on_both_backends! {
    async fn an_owners_session_calls_the_admin_api_and_writes_need_the_csrf_token(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "max@example.com"})).await;
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;

        let (status, body) = call(&app, reqwest::Method::GET, "/v1/workspaces/acme/members", &owner, None, None).await;
        assert_eq!(status, 200, "{body}");
        let new_member = json!({"email": "new@example.com"});
        let (status, _) = call(&app, reqwest::Method::POST, "/v1/workspaces/acme/members", &owner, None, Some(new_member.clone())).await;
        assert_eq!(status, 403, "a write without X-CSRF-Token");
        let (status, _) = call(&app, reqwest::Method::POST, "/v1/workspaces/acme/members", &owner, Some("forged"), Some(new_member.clone())).await;
        assert_eq!(status, 403);
        let (status, created) = call(&app, reqwest::Method::POST, "/v1/workspaces/acme/members", &owner, Some(&csrf), Some(new_member)).await;
        assert_eq!(status, 201, "{created}");
        // Audit rows name the owner (by membership).
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit", &token).await;
        let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["actor"]["type"], "owner", "{last}");

        // A member's session: refused, reading and writing alike.
        let (member, member_csrf) = signed_in(&app, "max@example.com").await;
        assert_eq!(call(&app, reqwest::Method::GET, "/v1/workspaces/acme/members", &member, None, None).await.0, 403);
        assert_eq!(call(&app, reqwest::Method::POST, "/v1/workspaces/acme/members", &member, Some(&member_csrf),
            Some(json!({"email": "other@example.com"}))).await.0, 403);

        // Another workspace: not found, as for a token.
        app.workspace_with_token("globex").await;
        assert_eq!(call(&app, reqwest::Method::GET, "/v1/workspaces/globex/members", &owner, None, None).await.0, 404,
            "an owner of acme is nobody in globex");
        assert_eq!(call(&app, reqwest::Method::GET, "/v1/workspaces/nowhere/members", &owner, None, None).await.0, 404);
        // Signed out: 401.
        assert_eq!(app.get_json("/v1/workspaces/acme/members", "").await.0, 401);
    }
}
