//! The owner console (issue 11): signed-out browsers go to `/login`; an owner sees their
//! workspaces, members and a member's roles, and gives a role on one instance with a form that
//! carries the session's CSRF token; the access check then reflects it. Members and other
//! workspaces' owners are refused.

use serde_json::json;

use crate::helpers::{on_both_backends, set_password, test_client, TestApp};

/// Signs `email` in with a password: (cookie, CSRF token).
async fn signed_in(app: &TestApp, email: &str) -> (String, String) {
    set_password(&app.db.url, email, "a long enough password");
    let (status, cookie) = app.password_login(email, "a long enough password").await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    let (_, me) = app.session_of(&cookie).await;
    (cookie, me["csrf_token"].as_str().unwrap().to_string())
}

/// GET as a browser with `cookie` (no redirects followed): (status, Location, body).
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, Option<String>, String) {
    let client = test_client(reqwest::redirect::Policy::none());
    let mut req = client.get(app.url(path));
    if let Some(cookie) = cookie {
        req = req.header("cookie", format!("gatehouse_session={cookie}"));
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, response.text().await.unwrap())
}

/// POSTs a form as a browser: (status, Location).
async fn submit(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>) {
    let client = test_client(reqwest::redirect::Policy::none());
    let response = client
        .post(app.url(path))
        .header("cookie", format!("gatehouse_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (response.status().as_u16(), location)
}

on_both_backends! {
    async fn the_console_sends_signed_out_browsers_to_login_and_shows_owners_their_workspaces(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "max@example.com"})).await;

        let (status, location, _) = page(&app, "/console", None).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/login?return_to=/console"));
        let (status, location, _) = page(&app, "/console/acme/members", None).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/login?return_to=/console/acme/members"));

        let (owner, _) = signed_in(&app, "olga@example.com").await;
        let (status, _, html) = page(&app, "/console", Some(&owner)).await;
        assert_eq!(status, 200);
        assert!(html.contains("href=\"/console/acme\""), "{html}");
        let (status, _, html) = page(&app, "/console/acme/members", Some(&owner)).await;
        assert_eq!(status, 200);
        assert!(html.contains("max@example.com") && html.contains("olga@example.com"), "{html}");
        let (_, _, html) = page(&app, "/console/acme/members?q=MAX", Some(&owner)).await;
        assert!(html.contains("max@example.com") && !html.contains(">olga@example.com<"), "{html}");

        // A member who is no owner, and an owner of another workspace.
        let (member, _) = signed_in(&app, "max@example.com").await;
        let (status, _, html) = page(&app, "/console/acme", Some(&member)).await;
        assert_eq!(status, 403, "{html}");
        let (status, _, _) = page(&app, "/console/acme/members", Some(&member)).await;
        assert_eq!(status, 403);
        app.create_workspace_with_domains("globex", &["globex.test".to_string()]).await;
        let other = app.issue_token("globex", gatehouse::domain::TokenKind::Service).await.1;
        let (status, gil) = app.post("/v1/workspaces/globex/members", &other,
            json!({"email": "gil@globex.test", "kind": "owner"})).await;
        assert_eq!(status, 201, "{gil}");
        let (stranger, _) = signed_in(&app, "gil@globex.test").await;
        let (status, _, html) = page(&app, "/console", Some(&stranger)).await;
        assert_eq!(status, 200);
        assert!(html.contains("/console/globex") && !html.contains("/console/acme"), "{html}");
        let (status, _, _) = page(&app, "/console/acme/members", Some(&stranger)).await;
        assert_eq!(status, 404);
        // Markup from the data is escaped.
        app.post("/v1/workspaces/acme/groups", &token, json!({"display_name": "<script>x</script>"})).await;
        let (_, _, html) = page(&app, "/console/acme/members", Some(&owner)).await;
        assert!(!html.contains("<script>"), "{html}");
    }

    async fn an_owner_gives_source_admin_on_one_source_and_the_check_follows(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let (_, max) = app.post("/v1/workspaces/acme/members", &token, json!({"email": "max@example.com"})).await;
        let max_id = max["id"].as_str().unwrap().to_string();
        for (id, name) in [("ios", "iOS Prod"), ("web", "Web Prod")] {
            app.post("/v1/workspaces/acme/resources", &token, json!({"type": "source", "id": id, "name": name})).await;
        }
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;
        let member_page = format!("/console/acme/members/{max_id}");
        let (status, _, html) = page(&app, &member_page, Some(&owner)).await;
        assert_eq!(status, 200);
        assert!(html.contains("Source Admin") && html.contains("Only iOS Prod"), "{html}");
        assert!(html.contains("All current and future sources"), "{html}");

        let grants = format!("{member_page}/grants");
        let form = [("role", "source.admin"), ("scope", "instance:source:ios")];
        // Without the session's CSRF token nothing happens.
        let (status, _) = submit(&app, &grants, &owner, &[form[0], form[1], ("csrf_token", "forged")]).await;
        assert_eq!(status, 403);
        let check = |resource: &'static str| json!({"user": "max@example.com", "action": "source.update",
            "resource": {"type": "source", "id": resource}});
        let (_, answer) = app.post("/v1/workspaces/acme/access/check", &token, check("ios")).await;
        assert_eq!(answer["allowed"], false);

        let (status, location) = submit(&app, &grants, &owner, &[form[0], form[1], ("csrf_token", &csrf)]).await;
        assert_eq!(status, 303);
        assert!(location.as_deref().unwrap().contains("done="), "{location:?}");
        let (_, answer) = app.post("/v1/workspaces/acme/access/check", &token, check("ios")).await;
        assert_eq!(answer["allowed"], true);
        let (_, answer) = app.post("/v1/workspaces/acme/access/check", &token, check("web")).await;
        assert_eq!(answer["allowed"], false, "only on iOS Prod");
        let (_, html) = (0, page(&app, &member_page, Some(&owner)).await.2);
        assert!(html.contains("only iOS Prod (source)"), "{html}");

        // Audited as the owner.
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit?limit=1000", &token).await;
        let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["actor"]["type"], "owner", "{last}");

        // Revoke it again, and deactivate the member.
        let (_, grants_now) = app.get_json(&format!("/v1/workspaces/acme/grants?subject=user:{max_id}"), &token).await;
        let grant = grants_now["grants"][0]["id"].as_str().unwrap().to_string();
        let (status, _) = submit(&app, &format!("{member_page}/grants/{grant}/revoke"), &owner, &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 303);
        let (_, answer) = app.post("/v1/workspaces/acme/access/check", &token, check("ios")).await;
        assert_eq!(answer["allowed"], false);
        let (status, _) = submit(&app, &format!("{member_page}/settings"), &owner, &[("csrf_token", &csrf), ("active", "false")]).await;
        assert_eq!(status, 303);
        let (_, member) = app.get_json(&format!("/v1/workspaces/acme/members/{max_id}"), &token).await;
        assert_eq!(member["active"], false);
    }
}
