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

on_both_backends! {
    async fn the_scim_and_sign_in_logs_show_refusals_with_their_reason_and_no_secrets(app: TestApp) {
        let sso = crate::sso_support::SsoWorkspace::new(&app, true).await;
        let token = sso.token.clone();
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        sso.member("alice@example.com").await;
        let (_, scim) = app.issue_token("acme", gatehouse::domain::TokenKind::Scim).await;
        let user = "urn:ietf:params:scim:schemas:core:2.0:User";

        // SCIM: a refused create (no userName) and a good one, both carrying a password.
        let client = test_client(reqwest::redirect::Policy::none());
        let refused = client.post(app.url("/scim/v2/Users")).bearer_auth(&scim)
            .header("content-type", "application/scim+json")
            .body(json!({"schemas": [user], "password": "Sup3r-secret-one"}).to_string())
            .send().await.unwrap();
        assert_eq!(refused.status(), 400);
        let created = client.post(app.url("/scim/v2/Users")).bearer_auth(&scim)
            .header("content-type", "application/scim+json")
            .body(json!({"schemas": [user], "userName": "newbie@example.com", "password": "Sup3r-secret-two"}).to_string())
            .send().await.unwrap();
        assert_eq!(created.status(), 201);

        // Sign-ins: a wrong password, and an SSO answer for another audience.
        set_password(&app.db.url, "alice@example.com", "the right password!");
        let (status, _) = app.password_login("alice@example.com", "a-wrong-password-123").await;
        assert_eq!(status, 401);
        let wrong_audience = sso.response(&["--name-id", "alice@example.com", "--audience", "https://other.example.com/sp"]);
        let (status, _, _) = sso.post_acs(&wrong_audience, None).await;
        assert_eq!(status, 403);

        let (owner, _) = signed_in(&app, "olga@example.com").await;
        let (status, _, scim_log) = page(&app, "/console/acme/scim?refused=true", Some(&owner)).await;
        assert_eq!(status, 200);
        assert!(scim_log.contains("POST /scim/v2/Users") && scim_log.contains("400"), "{scim_log}");
        assert!(!scim_log.contains("201"), "refusals only: {scim_log}");
        let (_, _, everything) = page(&app, "/console/acme/scim", Some(&owner)).await;
        assert!(everything.contains("201"), "{everything}");
        let (_, _, sign_ins) = page(&app, "/console/acme/sign-ins", Some(&owner)).await;
        assert!(sign_ins.contains("wrong_password") && sign_ins.contains("alice@example.com"), "{sign_ins}");
        assert!(sign_ins.contains("/saml/acme/acs") && sign_ins.contains("<code>audience</code>"), "{sign_ins}");
        for page in [&everything, &sign_ins] {
            for secret in ["Sup3r-secret", "a-wrong-password", "the right password", scim.as_str(), token.as_str(),
                &wrong_audience[..40]] {
                assert!(!page.contains(secret), "{secret} is in the log");
            }
        }
        // Nor in the table itself.
        let stored = crate::helpers::count_rows(&app,
            "SELECT COUNT(*) FROM activity_log WHERE detail LIKE '%secret%' OR detail LIKE '%password!%' \
             OR path LIKE '%?%'").await;
        assert_eq!(stored, 0);
        // Another workspace's owner never sees these logs.
        let (member, _) = signed_in(&app, "alice@example.com").await;
        let (status, _, _) = page(&app, "/console/acme/sign-ins", Some(&member)).await;
        assert_eq!(status, 403);
    }
}

on_both_backends! {
    async fn the_sso_page_shows_the_values_to_copy_connects_an_idp_and_warns_of_expiry(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;
        let (status, _, html) = page(&app, "/console/acme/sso", Some(&owner)).await;
        assert_eq!(status, 200);
        let acs = app.url("/saml/acme/acs");
        assert!(html.contains(&acs) && html.contains(&app.url("/saml/acme/metadata")), "{html}");
        assert!(html.contains("No identity provider is connected yet."));

        let xml = crate::certificate_watch::metadata_expiring_in(5);
        let (status, _) = submit(&app, "/console/acme/sso", &owner, &[("csrf_token", "forged"), ("metadata_xml", &xml)]).await;
        assert_eq!(status, 403);
        let (status, location) = submit(&app, "/console/acme/sso", &owner, &[("csrf_token", &csrf), ("metadata_xml", &xml)]).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().contains("done="));
        let (_, _, html) = page(&app, "/console/acme/sso", Some(&owner)).await;
        assert!(html.contains("https://idp.expiring.test"), "{html}");
        assert!(html.contains("certificate expires in"), "{html}");
        let (_, connections) = app.get_json("/v1/workspaces/acme/sso/connections", &token).await;
        assert_eq!(connections["connections"].as_array().unwrap().len(), 1);
        // A broken document is refused with its reason, on the page.
        let (_, location) = submit(&app, "/console/acme/sso", &owner, &[("csrf_token", &csrf), ("metadata_xml", "<nope")]).await;
        assert!(location.unwrap().contains("error="));
    }
}

/// The text of the element with `id` in `html` (for values shown once).
fn text_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start + id.len() + 6..];
    rest[..rest.find('<').unwrap()].to_string()
}

/// POSTs a form and answers the page it renders (no redirect).
async fn submit_page(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let client = test_client(reqwest::redirect::Policy::none());
    let response = client
        .post(app.url(path))
        .header("cookie", format!("gatehouse_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

on_both_backends! {
    async fn owners_manage_scim_tokens_and_invitations_in_the_console(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;

        // A SCIM token, shown once, that works; rotated; revoked.
        let (status, html) = submit_page(&app, "/console/acme/scim/tokens", &owner, &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 200, "{html}");
        let secret = text_of(&html, "secret");
        let scim_get = |secret: String| {
            let app = &app;
            async move {
                app.client.get(app.url("/scim/v2/Users")).bearer_auth(secret).send().await.unwrap().status().as_u16()
            }
        };
        assert_eq!(scim_get(secret.clone()).await, 200);
        let (_, page_html) = (0, page(&app, "/console/acme/scim", Some(&owner)).await.2);
        assert!(!page_html.contains(&secret), "the secret is shown only once");
        let tokens = app.store.list_tokens(Some("acme")).await.unwrap();
        let scim_token = tokens.iter().find(|t| t.kind == gatehouse::domain::TokenKind::Scim).unwrap();
        let (status, html) = submit_page(&app, &format!("/console/acme/scim/tokens/{}/rotate", scim_token.id), &owner,
            &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 200);
        let rotated = text_of(&html, "secret");
        assert_eq!(scim_get(rotated.clone()).await, 200);
        let newest = app.store.list_tokens(Some("acme")).await.unwrap().into_iter()
            .find(|t| t.kind == gatehouse::domain::TokenKind::Scim && t.expires_at.is_none()).unwrap();
        let (status, _) = submit(&app, &format!("/console/acme/scim/tokens/{}/revoke", newest.id), &owner,
            &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 303);
        assert_eq!(scim_get(rotated).await, 403, "a revoked token is refused");
        // Another workspace's token cannot be reached through this console.
        app.create_workspace_with_domains("globex", &["globex.test".into()]).await;
        let (other_id, other_secret) = app.issue_token("globex", gatehouse::domain::TokenKind::Scim).await;
        let (status, _) = submit(&app, &format!("/console/acme/scim/tokens/{other_id}/revoke"), &owner,
            &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 404);
        assert_eq!(scim_get(other_secret).await, 200);

        // An invitation with a role: the link shown once; listed; revoked.
        let (status, html) = submit_page(&app, "/console/acme/invites", &owner, &[("csrf_token", &csrf),
            ("email", "new@example.com"), ("kind", "member"), ("role", "source.read")]).await;
        assert_eq!(status, 200, "{html}");
        let link = text_of(&html, "invite-link");
        assert!(link.contains("/invites/"), "{link}");
        let (_, _, list) = page(&app, "/console/acme/invites", Some(&owner)).await;
        assert!(list.contains("new@example.com") && list.contains("source.read") && list.contains("open until"), "{list}");
        let code = link.rsplit('/').next().unwrap();
        assert!(!list.contains(code), "the code is shown only once");
        let (_, invites) = app.get_json("/v1/workspaces/acme/invites", &token).await;
        let id = invites["invites"][0]["id"].as_str().unwrap().to_string();
        let (status, _) = submit(&app, &format!("/console/acme/invites/{id}/revoke"), &owner, &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 303);
        let (_, _, list) = page(&app, "/console/acme/invites", Some(&owner)).await;
        assert!(list.contains("revoked"), "{list}");
    }
}

on_both_backends! {
    async fn the_audit_page_filters_by_action_actor_member_and_time(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let (_, max) = app.post("/v1/workspaces/acme/members", &token, json!({"email": "max@example.com"})).await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "zoe@example.com"})).await;
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;
        let max_id = max["id"].as_str().unwrap().to_string();
        submit(&app, &format!("/console/acme/members/{max_id}/grants"), &owner,
            &[("csrf_token", &csrf), ("role", "source.read"), ("scope", "all")]).await;

        let (status, _, all) = page(&app, "/console/acme/audit", Some(&owner)).await;
        assert_eq!(status, 200);
        assert!(all.contains("member.upsert") && all.contains("grant.create"), "{all}");
        let (_, _, grants) = page(&app, "/console/acme/audit?action=grant.", Some(&owner)).await;
        assert!(grants.contains("grant.create") && !grants.contains("member.upsert"), "{grants}");
        let (_, _, by_owner) = page(&app, "/console/acme/audit?actor=owner", Some(&owner)).await;
        assert!(by_owner.contains("grant.create") && !by_owner.contains("member.upsert"), "{by_owner}");
        let (_, _, about_max) = page(&app, "/console/acme/audit?member=max%40example.com", Some(&owner)).await;
        assert!(about_max.contains(&max_id), "{about_max}");
        let rows = about_max.matches("<tr>").count();
        assert!(rows >= 3, "a header, the membership and the grant: {about_max}");
        let (_, _, none) = page(&app, "/console/acme/audit?since=2000-01-01&until=2000-01-02", Some(&owner)).await;
        assert!(none.contains("No entry matches"), "{none}");
    }
}

on_both_backends! {
    async fn the_sign_in_log_tells_a_wrong_key_from_content_changed_after_signing(app: TestApp) {
        let sso = crate::sso_support::SsoWorkspace::new(&app, true).await;
        app.post("/v1/workspaces/acme/members", &sso.token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        sso.member("alice@example.com").await;
        let wrong_key = sso.response(&["--name-id", "alice@example.com", "--key", "attacker"]);
        assert_eq!(sso.post_acs(&wrong_key, None).await.0, 403);
        let tampered = sso.attack("tamper-after-sign", &["--name-id", "alice@example.com"]);
        assert_eq!(sso.post_acs(&tampered, None).await.0, 403);
        let (owner, _) = signed_in(&app, "olga@example.com").await;
        let (_, _, log) = page(&app, "/console/acme/sign-ins?refused=true", Some(&owner)).await;
        assert!(log.contains("<code>untrusted_certificate</code>"), "{log}");
        assert!(log.contains("<code>tampered</code>"), "{log}");
        assert!(log.contains("re-import its metadata"), "{log}");
    }
}

on_both_backends! {
    async fn a_rule_is_previewed_before_it_is_saved(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "olga@example.com", "kind": "owner"})).await;
        let mut ids = Vec::new();
        for email in ["a@example.com", "b@example.com", "c@example.com"] {
            let (_, m) = app.post("/v1/workspaces/acme/members", &token, json!({"email": email})).await;
            ids.push(m["id"].as_str().unwrap().to_string());
        }
        for (name, members) in [("eng-web", &ids[..2]), ("eng-ios", &ids[1..]), ("sales", &ids[..1])] {
            let (_, g) = app.post("/v1/workspaces/acme/groups", &token, json!({"display_name": name})).await;
            for m in members {
                app.post(&format!("/v1/workspaces/acme/groups/{}/members", g["id"].as_str().unwrap()), &token,
                    json!({"member": m})).await;
            }
        }
        let (owner, csrf) = signed_in(&app, "olga@example.com").await;
        let rule = [("csrf_token", csrf.as_str()), ("match", "display_name_prefix"), ("pattern", "eng-"),
            ("role", "source.admin")];
        let (status, html) = submit_page(&app, "/console/acme/rules", &owner, &[rule[0], rule[1], rule[2], rule[3],
            ("step", "preview")]).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("This rule gives Source Admin to 3 members of 2 groups (eng-ios, eng-web)."), "{html}");
        let (_, rules) = app.get_json("/v1/workspaces/acme/mapping-rules", &token).await;
        assert_eq!(rules["rules"].as_array().unwrap().len(), 0, "a preview saves nothing");
        let (status, _) = submit(&app, "/console/acme/rules", &owner, &[rule[0], rule[1], rule[2], rule[3],
            ("step", "save")]).await;
        assert_eq!(status, 303);
        let (_, rules) = app.get_json("/v1/workspaces/acme/mapping-rules", &token).await;
        assert_eq!(rules["rules"].as_array().unwrap().len(), 1);
        let check = json!({"user": "c@example.com", "action": "source.update", "resource": {"type": "source", "id": "x"}});
        app.post("/v1/workspaces/acme/resources", &token, json!({"type": "source", "id": "x", "name": "X"})).await;
        let (_, answer) = app.post("/v1/workspaces/acme/access/check", &token, check).await;
        assert_eq!(answer["allowed"], true);
        let (_, _, html) = page(&app, "/console/acme/groups", Some(&owner)).await;
        assert!(html.contains("name starts with") && html.contains("eng-web"), "{html}");
    }
}
