//! Invitations: only owners invite; they carry grants, expire, can be revoked, single use.
//! Accepting is the invitee's act, at `/invites/{code}`: a new person chooses a password, a
//! person with an account signs in first; a workspace accepts for someone only inside its own
//! verified domains.

use serde_json::json;

use crate::helpers::{on_both_backends, session_cookie, set_password, test_client, TestApp};

/// An owner of `acme` (domain example.com) and an invitation for `email`: (token, code).
async fn invitation(app: &TestApp, email: &str) -> (String, String) {
    let token = app.workspace_with_token("acme").await;
    app.post(
        "/v1/workspaces/acme/members",
        &token,
        json!({"email": "olga@example.com", "kind": "owner"}),
    )
    .await;
    let (status, created) = app
        .post(
            "/v1/workspaces/acme/invites",
            &token,
            json!({"email": email, "invited_by": "olga@example.com"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    (token, created["code"].as_str().unwrap().to_string())
}

async fn page(app: &TestApp, code: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req =
        test_client(reqwest::redirect::Policy::none()).get(app.url(&format!("/invites/{code}")));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("gatehouse_session={c}"));
    }
    let response = req.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn submit(
    app: &TestApp,
    code: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = test_client(reqwest::redirect::Policy::none())
        .post(app.url(&format!("/invites/{code}")))
        .form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("gatehouse_session={c}"));
    }
    req.send().await.unwrap()
}

/// Posts the new-account form as the browser that opened the invitation page (its
/// pre-session cookie and the form's CSRF token), with these fields.
async fn submit_new_person(
    app: &TestApp,
    code: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (form_cookie, token) = app.form_token(&format!("/invites/{code}")).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    test_client(reqwest::redirect::Policy::none())
        .post(app.url(&format!("/invites/{code}")))
        .header("cookie", form_cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

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

    async fn a_new_person_chooses_a_password_on_the_invitation_page(app: TestApp) {
        let (token, code) = invitation(&app, "pat@other.org").await;
        let (status, body) = page(&app, &code, None).await;
        assert_eq!(status, 200);
        assert!(body.contains("pat@other.org") && body.contains("id=\"password_again\""), "{body}");
        let response = submit(&app, &code, None, &[("password", "a long enough password"), ("password_again", "a long enough password")]).await;
        assert_eq!(response.status().as_u16(), 403, "a form posted from another site creates nothing");
        let response = submit_new_person(&app, &code, &[("password", "short"), ("password_again", "short")]).await;
        assert_eq!(response.status().as_u16(), 400, "a too short password uses nothing up");
        let response = submit_new_person(&app, &code, &[("password", "a long enough password"), ("password_again", "another one entirely")]).await;
        assert_eq!(response.status().as_u16(), 400);
        let response = submit_new_person(&app, &code, &[("password", "a long enough password"), ("password_again", "a long enough password")]).await;
        assert_eq!(response.status().as_u16(), 303);
        let cookie = session_cookie(&response).expect("signed in");
        let (_, me) = app.session_of(&cookie).await;
        assert_eq!(me["email"], "pat@other.org");
        assert_eq!(me["workspaces"][0]["slug"], "acme");
        assert_eq!(app.password_login("pat@other.org", "a long enough password").await.0, 303);
        // Used once.
        assert_eq!(page(&app, &code, None).await.0, 410);
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit", &token).await;
        let accepted = audit["entries"].as_array().unwrap().iter().rev()
            .find(|e| e["action"] == "member.upsert").unwrap().clone();
        assert_eq!(accepted["actor"]["type"], "person", "{accepted}");
    }

    async fn a_person_with_an_account_signs_in_before_accepting(app: TestApp) {
        let (token, code) = invitation(&app, "pat@other.org").await;
        // Pat has an account already (another workspace's, and a password of their own).
        app.create_workspace_with_domains("home", &["other.org".to_string()]).await;
        app.add_member_as_operator("home", "pat@other.org").await;
        set_password(&app.db.url, "pat@other.org", "pat's own password");
        // The page is the same whether or not the address has an account.
        let (_, body) = page(&app, &code, None).await;
        assert!(body.contains("id=\"sign-in\"") && body.contains("id=\"password_again\""), "{body}");
        // Nobody can give pat's account a password through the invitation.
        let response = submit_new_person(&app, &code, &[("password", "attacker chosen password"), ("password_again", "attacker chosen password")]).await;
        assert_eq!(response.status().as_u16(), 409);
        assert!(session_cookie(&response).is_none());
        assert_eq!(app.password_login("pat@other.org", "attacker chosen password").await.0, 401);
        // Signed in as somebody else: told so, nothing happens.
        app.add_member_as_operator("home", "kim@other.org").await;
        set_password(&app.db.url, "kim@other.org", "kim's own password!");
        let (_, kim) = app.password_login("kim@other.org", "kim's own password!").await;
        let kim = kim.unwrap();
        let (_, body) = page(&app, &code, Some(&kim)).await;
        assert!(body.contains("This invitation is for pat@other.org"), "{body}");
        let (_, kim_me) = app.session_of(&kim).await;
        let response = submit(&app, &code, Some(&kim), &[("csrf_token", kim_me["csrf_token"].as_str().unwrap())]).await;
        assert_eq!(response.status().as_u16(), 409);
        // Pat signs in and accepts (the form carries the session's CSRF token).
        let (_, pat) = app.password_login("pat@other.org", "pat's own password").await;
        let pat = pat.unwrap();
        let (_, body) = page(&app, &code, Some(&pat)).await;
        assert!(body.contains("name=\"csrf_token\""), "{body}");
        let response = submit(&app, &code, Some(&pat), &[("csrf_token", "forged")]).await;
        assert_eq!(response.status().as_u16(), 403);
        let (_, me) = app.session_of(&pat).await;
        let response = submit(&app, &code, Some(&pat), &[("csrf_token", me["csrf_token"].as_str().unwrap())]).await;
        assert_eq!(response.status().as_u16(), 303);
        let (_, me) = app.session_of(&pat).await;
        let slugs: Vec<&str> = me["workspaces"].as_array().unwrap().iter().map(|w| w["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["acme", "home"]);
        let (_, check) = app.post("/v1/workspaces/acme/access/check", &token, json!({"user": "pat@other.org",
            "action": "workspace.sign_in", "resource": {"type": "workspace", "id": ""}})).await;
        assert_eq!(check["allowed"], true);
    }

    async fn a_workspace_accepts_for_someone_only_inside_its_domains(app: TestApp) {
        let (token, code) = invitation(&app, "pat@other.org").await;
        let (status, body) = app.post("/v1/workspaces/acme/invites/accept", &token, json!({"code": code, "password": "whatever it is"})).await;
        assert_eq!(status, 400, "{body}");
        let (status, body) = app.post("/v1/workspaces/acme/invites/accept", &token, json!({"code": code})).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("/invites/"), "{body}");
        // The invitation is still open for pat.
        assert_eq!(page(&app, &code, None).await.0, 200);
        assert_eq!(page(&app, "gh_invite_not-a-real-code", None).await.0, 404);
    }
}
