//! A hostile tenant. Workspace `evil`, with its own service and SCIM tokens, its own real IdP
//! (the pysaml2 test IdP with a key pair of its own) and its own verified domain, tries every
//! route family against workspace `victim` and against the accounts of victim's people
//! (accounts are global: one person, many workspaces). Afterwards victim's export is byte for
//! byte what it was, its people's passwords and sessions are untouched, and nothing evil
//! received names a global account id.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    helpers::{on_both_backends, set_password, TestApp},
    sso_support::{idp, SsoWorkspace},
};
use gatehouse::domain::TokenKind;

const VICTIM_IDP: &str = "https://idp.victim.test/metadata";
const EVIL_IDP: &str = "https://idp.evil.test/metadata";
const CEO: &str = "ceo@victim.test";
const ALICE: &str = "alice@victim.test";
const CEO_PASSWORD: &str = "the ceo's own password";
const ATTACKER_PASSWORD: &str = "attacker-chosen password";

/// Victim's export as JSON text, with the export's own timestamp blanked (the one field that
/// differs between two exports of the same state).
async fn victim_export(app: &TestApp) -> String {
    let workspace = app.store.workspace_fresh("victim").await.unwrap().unwrap();
    let mut export = app.store.export_workspace(workspace.id).await.unwrap();
    export.exported_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    serde_json::to_string_pretty(&export).unwrap()
}

/// (account id, password hash) of each of victim's people, and every session row.
async fn credentials(app: &TestApp) -> (Vec<(Uuid, Option<String>)>, Vec<String>) {
    let mut accounts = Vec::new();
    for email in [CEO, ALICE] {
        accounts.push(
            app.store
                .account_password(email)
                .await
                .unwrap()
                .expect("account"),
        );
    }
    (accounts, app.session_rows().await)
}

/// A signed response from evil's IdP for `email`, aimed at `target`'s ACS.
fn evil_idp_response(target: &SsoWorkspace<'_>, email: &str) -> String {
    idp(&[
        "response",
        "--entity-id",
        EVIL_IDP,
        "--key",
        "second",
        "--sp-entity-id",
        &target.sp_entity(),
        "--acs-url",
        &target.acs(),
        "--name-id",
        email,
    ])
}

async fn scim(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = req.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn scim_user(email: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email,
           "emails": [{"value": email, "type": "work", "primary": true}], "active": true})
}

on_both_backends! {
    async fn a_hostile_workspace_cannot_reach_another_workspaces_people(app: TestApp) {
        // ---- victim: its domain, its IdP, an owner with a password, alice by SCIM and SSO --
        let victim = SsoWorkspace::custom(&app, "victim", &["victim.test"], VICTIM_IDP, None, false).await;
        let (_, victim_scim) = app.issue_token("victim", TokenKind::Scim).await;
        let (status, _) = app.post("/v1/workspaces/victim/members", &victim.token, json!({"email": CEO, "kind": "owner"})).await;
        assert_eq!(status, 201);
        set_password(&app.db.url, CEO, CEO_PASSWORD);
        let (status, alice_user) = scim(&app, reqwest::Method::POST, "/Users", &victim_scim, Some(scim_user(ALICE))).await;
        assert_eq!(status, 201, "{alice_user}");
        let alice_id = alice_user["id"].as_str().unwrap().to_string();
        let (status, group) = scim(&app, reqwest::Method::POST, "/Groups", &victim_scim, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
            "members": [{"value": alice_id}]}))).await;
        assert_eq!(status, 201, "{group}");
        let group_id = group["id"].as_str().unwrap().to_string();
        let (status, _) = app.post("/v1/workspaces/victim/resources", &victim.token,
            json!({"type": "source", "id": "ios-prod", "name": "iOS Prod"})).await;
        assert_eq!(status, 201);
        let (status, grant) = app.post("/v1/workspaces/victim/grants", &victim.token, json!({
            "subject": {"type": "group", "id": group_id}, "role": "source.admin",
            "scope": {"type": "instance", "resource": {"type": "source", "id": "ios-prod"}}})).await;
        assert_eq!(status, 201, "{grant}");
        let grant_id = grant["grant"]["id"].as_str().or(grant["id"].as_str()).unwrap().to_string();
        let (status, ceo_session) = app.password_login(CEO, CEO_PASSWORD).await;
        assert_eq!(status, 303);
        let ceo_session = ceo_session.unwrap();
        let (request_id, _) = victim.start_login("/").await;
        let response = victim.response(&["--in-response-to", &request_id, "--name-id", ALICE]);
        let (status, alice_session, _) = victim.post_acs(&response, None).await;
        assert_eq!(status, 303, "alice signs in to victim by SSO");
        let alice_session = alice_session.unwrap();
        let victim_ws = app.store.workspace_fresh("victim").await.unwrap().unwrap();
        let alice_account = app.store.membership_account(victim_ws.id, alice_id.parse().unwrap()).await.unwrap().unwrap();
        let (ceo_account, _) = app.store.account_password(CEO).await.unwrap().unwrap();

        let export_before = victim_export(&app).await;
        let credentials_before = credentials(&app).await;

        // ---- evil: its own domain, IdP (own key pair), tokens, JIT on ----------------------
        let evil = SsoWorkspace::custom(&app, "evil", &["evil.test"], EVIL_IDP, Some("second"), true).await;
        let (_, evil_scim) = app.issue_token("evil", TokenKind::Scim).await;
        let t = &evil.token;
        let (status, _) = app.call(reqwest::Method::PATCH, "/v1/workspaces/evil", t,
            Some(json!({"settings": {"jit_provisioning": true, "scim_roles": true, "allow_idp_managed_owners": true}}))).await;
        assert_eq!(status, 200);
        let (status, _) = app.post("/v1/workspaces/evil/members", t, json!({"email": "boss@evil.test", "kind": "owner"})).await;
        assert_eq!(status, 201);

        // 1. Invitations never set another person's password.
        let (status, invite) = app.post("/v1/workspaces/evil/invites", t, json!({"email": CEO, "invited_by": "boss@evil.test"})).await;
        assert_eq!(status, 201, "{invite}");
        let code = invite["code"].as_str().unwrap().to_string();
        let (status, body) = app.post("/v1/workspaces/evil/invites/accept", t, json!({"code": code, "password": ATTACKER_PASSWORD})).await;
        assert_eq!(status, 400, "a workspace never sets a password: {body}");
        let (status, body) = app.post("/v1/workspaces/evil/invites/accept", t, json!({"code": code})).await;
        assert_eq!(status, 403, "outside evil's domains the invitee decides: {body}");
        let page = crate::helpers::test_client(reqwest::redirect::Policy::none())
            .post(app.url(&format!("/invites/{code}")))
            .form(&[("password", ATTACKER_PASSWORD), ("password_again", ATTACKER_PASSWORD)])
            .send().await.unwrap();
        assert!(matches!(page.status().as_u16(), 403 | 409), "an existing account is never given a password");
        assert!(crate::helpers::session_cookie(&page).is_none());

        // 2. Domains are not evil's to claim.
        let (status, _) = app.call(reqwest::Method::PATCH, "/v1/workspaces/evil", t,
            Some(json!({"domains": ["evil.test", "victim.test"]}))).await;
        assert_eq!(status, 400);
        let (status, _) = app.post("/v1/workspaces/evil/domains", t, json!({"domain": "victim.test"})).await;
        assert_eq!(status, 409);
        let (status, _) = app.post("/v1/workspaces/evil/domains/victim.test/verify", t, json!({})).await;
        assert_eq!(status, 404);

        // 3. Evil's IdP speaks only for evil.test: not for victim's owner, not for a new hire of
        //    victim.test (JIT creates nothing), and never at victim's ACS.
        for email in [CEO, ALICE, "newhire@victim.test"] {
            let (status, cookie, _) = evil.post_acs(&evil_idp_response(&evil, email), None).await;
            assert_eq!(status, 403, "evil's IdP asserting {email}");
            assert!(cookie.is_none());
        }
        assert!(app.store.account_password("newhire@victim.test").await.unwrap().is_none());
        let (status, cookie, _) = victim.post_acs(&evil_idp_response(&victim, CEO), None).await;
        assert_eq!(status, 403, "victim's ACS trusts only victim's IdP");
        assert!(cookie.is_none());
        // Evil's own people sign in through it.
        let (status, cookie, _) = evil.post_acs(&evil_idp_response(&evil, "mallory@evil.test"), None).await;
        assert_eq!(status, 303);
        assert!(cookie.is_some());

        // 4. The email-first page routes victim.test to victim, the one that verified it.
        let (form_cookie, token) = app.form_token("/login").await;
        let routed = evil.client.post(app.url("/login")).header("cookie", form_cookie)
            .form(&[("email", "anyone@victim.test"), ("return_to", "/"), ("csrf_token", &token)]).send().await.unwrap();
        assert_eq!(routed.headers()["location"].to_str().unwrap().split('?').next().unwrap(), "/saml/victim/login");

        // 5. Evil's service token resolves no session of victim's people, and extends none.
        for session in [&ceo_session, &alice_session] {
            let (status, body) = app.post("/v1/workspaces/evil/access/explain", t, json!({"session": session,
                "action": "workspace.sign_in", "resource": {"type": "workspace", "id": ""}})).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["allowed"], false, "{body}");
        }

        // 6. SCIM: evil may provision alice's address, but it links nothing of hers.
        let (status, evil_alice) = scim(&app, reqwest::Method::POST, "/Users", &evil_scim, Some(scim_user(ALICE))).await;
        assert_eq!(status, 201, "{evil_alice}");
        let mut owner = scim_user(CEO);
        owner["roles"] = json!([{"value": "workspace.owner"}]);
        let (status, _) = scim(&app, reqwest::Method::POST, "/Users", &evil_scim, Some(owner)).await;
        assert!(status == 201 || status == 400, "{status}");
        let evil_alice_id = evil_alice["id"].as_str().unwrap().to_string();
        let (status, _) = scim(&app, reqwest::Method::PATCH, &format!("/Users/{evil_alice_id}"), &evil_scim, Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}]}))).await;
        assert_eq!(status, 200);
        assert_eq!(scim(&app, reqwest::Method::GET, &format!("/Users/{alice_id}"), &evil_scim, None).await.0, 404);
        assert_eq!(scim(&app, reqwest::Method::GET, &format!("/Groups/{group_id}"), &evil_scim, None).await.0, 404);
        let (_, bulk) = scim(&app, reqwest::Method::POST, "/Bulk", &evil_scim, Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
            {"method": "PATCH", "path": format!("/Groups/{group_id}"), "data": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": evil_alice_id}]}]}},
            {"method": "DELETE", "path": format!("/Users/{alice_id}")}]}))).await;
        assert_eq!(bulk["Operations"][0]["status"], "404", "{bulk}");
        assert_eq!(bulk["Operations"][1]["status"], "404", "{bulk}");
        let (status, evil_group) = scim(&app, reqwest::Method::POST, "/Groups", &evil_scim, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
            "members": [{"value": alice_id}]}))).await;
        assert_eq!(status, 400, "victim's user is no member evil can name: {evil_group}");

        // 7. Admin API: victim's objects are not found; evil's own rows about victim's people
        //    confer nothing and name no account.
        for path in ["", "/members", "/groups", "/grants", "/resources", "/audit", "/changes",
                     "/webhooks", "/mapping-rules", "/domains", "/sso/connections", "/invites",
                     "/changes/stream"] {
            let (status, body) = app.get_json(&format!("/v1/workspaces/victim{path}"), t).await;
            assert_eq!(status, 404, "GET {path}");
            assert!(body["error"]["message"].as_str().unwrap().contains("workspace"), "GET {path}: {body}");
        }
        assert_eq!(app.get_json(&format!("/v1/workspaces/victim/members/{alice_id}"), t).await.0, 404);
        let (status, _) = app.post("/v1/workspaces/evil/grants", t, json!({
            "subject": {"type": "user", "id": alice_id}, "role": "source.admin", "scope": {"type": "all"}})).await;
        assert_eq!(status, 404, "a membership of victim is no subject in evil");
        let (status, added) = app.post("/v1/workspaces/evil/members", t, json!({"email": CEO, "kind": "owner"})).await;
        assert_eq!(status, 409, "evil already asked for the ceo through SCIM or the invitation: {added}");
        let (_, members) = app.get_json("/v1/workspaces/evil/members", t).await;
        let ceo_in_evil = members["members"].as_array().unwrap().iter().find(|m| m["email"] == CEO).cloned();
        if let Some(m) = ceo_in_evil {
            assert_eq!(m["awaiting_consent"], true, "{m}");
        }
        // A rule of evil's matching victim's group name reaches only evil's groups.
        let (status, rule) = app.post("/v1/workspaces/evil/mapping-rules", t, json!({
            "match": "display_name_equals", "pattern": "Engineering", "role": "source.admin"})).await;
        assert_eq!(status, 201, "{rule}");
        let (status, _) = app.post("/v1/workspaces/evil/groups", t, json!({"display_name": "Engineering"})).await;
        assert_eq!(status, 201);

        // 8. The people themselves see no trace of evil in their sessions.
        for session in [&ceo_session, &alice_session] {
            let (status, me) = app.session_of(session).await;
            assert_eq!(status, 200);
            let slugs: Vec<&str> = me["workspaces"].as_array().unwrap().iter().map(|w| w["slug"].as_str().unwrap()).collect();
            assert_eq!(slugs, ["victim"], "{me}");
        }

        // 9. A crafted import naming any of victim's ids is refused whole.
        let evil_ws = app.store.workspace_fresh("evil").await.unwrap().unwrap();
        let mut crafted = app.store.export_workspace(evil_ws.id).await.unwrap();
        crafted.workspace.id = Uuid::now_v7();
        crafted.workspace.slug = "evil-two".into();
        crafted.workspace.domains = vec![];
        let access = gatehouse::service::AccessService::new(app.store.clone());
        let ctx = gatehouse::storage::ChangeContext {
            actor: gatehouse::domain::Actor::Cli, request_id: None, provenance: "cli" };
        let victim_group: Uuid = group_id.parse().unwrap();
        let victim_member: Uuid = alice_id.parse().unwrap();
        let victim_grant: Uuid = grant_id.parse().unwrap();
        let mut with_group = crafted.clone();
        with_group.groups.push(gatehouse::domain::transfer::ExportedGroup {
            id: victim_group, display_name: "Owned by evil".into(), external_id: None,
            scim_doc: Some(json!({"displayName": "Owned"})), members: vec![] });
        let mut with_member = crafted.clone();
        with_member.members[0].id = victim_member;
        for g in &mut with_member.groups {
            g.members.clear();
        }
        with_member.grants.clear();
        let mut with_grant = crafted.clone();
        with_grant.grants.push(gatehouse::access::Grant {
            id: victim_grant,
            subject: gatehouse::access::Subject::User(with_grant.members[0].id),
            role: "source.read".into(), scope: gatehouse::access::Scope::All,
            origin: gatehouse::access::GrantOrigin::Manual });
        for doc in [with_group, with_member, with_grant] {
            let err = access.import_workspace(doc, gatehouse::domain::transfer::ImportTrust::OwnExport, &ctx).await.unwrap_err();
            assert!(err.to_string().contains("exists already"), "{err}");
        }
        assert!(app.store.workspace_fresh("evil-two").await.unwrap().is_none());

        // 10. Nothing evil can read names a global account.
        let mut seen = String::new();
        for path in ["/members", "/changes", "/audit", "/invites"] {
            seen.push_str(&app.get_json(&format!("/v1/workspaces/evil{path}"), t).await.1.to_string());
        }
        seen.push_str(&scim(&app, reqwest::Method::GET, "/Users", &evil_scim, None).await.1.to_string());
        for account in [alice_account, ceo_account] {
            assert!(!seen.contains(&account.to_string()), "evil saw account id {account}");
        }

        // ---- afterwards: victim is exactly as it was ---------------------------------------
        assert_eq!(victim_export(&app).await, export_before, "victim's export changed");
        assert_eq!(credentials(&app).await.0, credentials_before.0, "a password changed");
        let sessions_after = credentials(&app).await.1;
        for row in &credentials_before.1 {
            assert!(sessions_after.contains(row), "session changed or ended: {row}");
        }
        let (status, _) = app.password_login(CEO, ATTACKER_PASSWORD).await;
        assert_eq!(status, 401, "the attacker's password signs nobody in");
        let (status, _) = app.password_login(CEO, CEO_PASSWORD).await;
        assert_eq!(status, 303, "the ceo's own password still works");
    }

    async fn a_person_accepts_or_declines_what_a_workspace_asked_without_their_domain(app: TestApp) {
        let victim = SsoWorkspace::custom(&app, "victim", &["victim.test"], VICTIM_IDP, None, false).await;
        app.post("/v1/workspaces/victim/members", &victim.token, json!({"email": CEO, "kind": "owner"})).await;
        set_password(&app.db.url, CEO, CEO_PASSWORD);
        app.create_workspace_with_domains("partner", &[]).await;
        let (_, partner) = app.issue_token("partner", TokenKind::Service).await;
        app.post("/v1/workspaces/partner/resources", &partner, json!({"type": "source", "id": "web", "name": "Web"})).await;
        let (status, added) = app.post("/v1/workspaces/partner/members", &partner, json!({"email": CEO})).await;
        assert_eq!(status, 201, "{added}");
        assert_eq!(added["member"]["awaiting_consent"], true, "{added}");
        let member_id = added["member"]["id"].as_str().unwrap().to_string();
        app.post("/v1/workspaces/partner/grants", &partner, json!({
            "subject": {"type": "user", "id": member_id}, "role": "source.read", "scope": {"type": "all"}})).await;
        let check = json!({"user": CEO, "action": "source.read", "resource": {"type": "source", "id": "web"}});
        let (_, answer) = app.post("/v1/workspaces/partner/access/explain", &partner, check.clone()).await;
        assert_eq!(answer["allowed"], false);
        assert_eq!(answer["reason"], "awaiting_consent", "{answer}");

        // The person sees the request on / and accepts it.
        let (_, session) = app.password_login(CEO, CEO_PASSWORD).await;
        let session = session.unwrap();
        let (_, me) = app.session_of(&session).await;
        assert_eq!(me["workspaces"].as_array().unwrap().len(), 1, "{me}");
        let home = app.client.get(app.url("/")).header("cookie", format!("gatehouse_session={session}"))
            .send().await.unwrap().text().await.unwrap();
        assert!(home.contains("Workspace partner") && home.contains("id=\"accept-partner\""), "{home}");
        let csrf = me["csrf_token"].as_str().unwrap();
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        let forged = client.post(app.url(&format!("/memberships/{member_id}")))
            .header("cookie", format!("gatehouse_session={session}"))
            .form(&[("workspace", "partner"), ("answer", "accept"), ("csrf_token", "forged")])
            .send().await.unwrap();
        assert_eq!(forged.status().as_u16(), 403, "a cross-site form cannot answer for the person");
        let accepted = client.post(app.url(&format!("/memberships/{member_id}")))
            .header("cookie", format!("gatehouse_session={session}"))
            .form(&[("workspace", "partner"), ("answer", "accept"), ("csrf_token", csrf)])
            .send().await.unwrap();
        assert_eq!(accepted.status().as_u16(), 303);
        let (_, answer) = app.post("/v1/workspaces/partner/access/check", &partner, check.clone()).await;
        assert_eq!(answer["allowed"], true, "{answer}");
        let (_, me) = app.session_of(&session).await;
        assert_eq!(me["workspaces"].as_array().unwrap().len(), 2, "{me}");
        let (_, audit) = app.get_json("/v1/workspaces/partner/audit", &partner).await;
        let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["actor"]["type"], "person", "{last}");

        // A second workspace's request is declined: the membership goes.
        app.create_workspace_with_domains("other", &[]).await;
        let (_, other) = app.issue_token("other", TokenKind::Service).await;
        let (_, added) = app.post("/v1/workspaces/other/members", &other, json!({"email": CEO})).await;
        let other_member = added["member"]["id"].as_str().unwrap().to_string();
        let declined = client.post(app.url(&format!("/memberships/{other_member}")))
            .header("cookie", format!("gatehouse_session={session}"))
            .form(&[("workspace", "other"), ("answer", "decline"), ("csrf_token", csrf)])
            .send().await.unwrap();
        assert_eq!(declined.status().as_u16(), 303);
        assert_eq!(app.get_json(&format!("/v1/workspaces/other/members/{other_member}"), &other).await.0, 404);
        // Nobody else can answer for the person.
        let (_, added) = app.post("/v1/workspaces/other/members", &other, json!({"email": "someone@else.test"})).await;
        let someone = added["member"]["id"].as_str().unwrap().to_string();
        let refused = client.post(app.url(&format!("/memberships/{someone}")))
            .header("cookie", format!("gatehouse_session={session}"))
            .form(&[("workspace", "other"), ("answer", "accept"), ("csrf_token", csrf)])
            .send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 404);
    }

    async fn an_invitation_link_proves_no_mailbox(app: TestApp) {
        let _victim = SsoWorkspace::custom(&app, "victim", &["victim.test"], VICTIM_IDP, None, false).await;
        app.create_workspace_with_domains("evil", &["evil.test".to_string()]).await;
        let (_, evil) = app.issue_token("evil", TokenKind::Service).await;
        app.post("/v1/workspaces/evil/members", &evil, json!({"email": "boss@evil.test", "kind": "owner"})).await;
        let invite = |email: &str| json!({"email": email, "invited_by": "boss@evil.test"});
        let choose = async |code: &str| {
            let (cookie, token) = app.form_token(&format!("/invites/{code}")).await;
            crate::helpers::test_client(reqwest::redirect::Policy::none())
                .post(app.url(&format!("/invites/{code}")))
                .header("cookie", cookie)
                .form(&[("password", ATTACKER_PASSWORD), ("password_again", ATTACKER_PASSWORD), ("csrf_token", &token)])
                .send().await.unwrap()
        };

        // 1. An address of a domain another workspace verified gets no account from evil's link
        //    (victim's SCIM would otherwise link it later, with evil's password on it).
        let (_, created) = app.post("/v1/workspaces/evil/invites", &evil, invite("newhire@victim.test")).await;
        let response = choose(created["code"].as_str().unwrap()).await;
        assert_eq!(response.status().as_u16(), 409, "managed by their organisation");
        assert!(app.store.account_password("newhire@victim.test").await.unwrap().is_none());

        // 2. Elsewhere the link's holder gets an account, but it answers no other workspace's
        //    requests: those need an invitation of their own.
        let (_, created) = app.post("/v1/workspaces/evil/invites", &evil, invite("contractor@freemail.test")).await;
        let response = choose(created["code"].as_str().unwrap()).await;
        assert_eq!(response.status().as_u16(), 303);
        let evil_session = crate::helpers::session_cookie(&response).unwrap();
        app.create_workspace_with_domains("partner", &[]).await;
        let (_, partner) = app.issue_token("partner", TokenKind::Service).await;
        let (_, asked) = app.post("/v1/workspaces/partner/members", &partner, json!({"email": "contractor@freemail.test"})).await;
        let asked = asked["member"]["id"].as_str().unwrap().to_string();
        let home = app.client.get(app.url("/")).header("cookie", format!("gatehouse_session={evil_session}"))
            .send().await.unwrap().text().await.unwrap();
        assert!(!home.contains("Workspace partner"), "{home}");
        let (_, me) = app.session_of(&evil_session).await;
        let answered = crate::helpers::test_client(reqwest::redirect::Policy::none())
            .post(app.url(&format!("/memberships/{asked}")))
            .header("cookie", format!("gatehouse_session={evil_session}"))
            .form(&[("workspace", "partner"), ("answer", "accept"), ("csrf_token", me["csrf_token"].as_str().unwrap())])
            .send().await.unwrap();
        assert_ne!(answered.status().as_u16(), 303);
        let (_, member) = app.get_json(&format!("/v1/workspaces/partner/members/{asked}"), &partner).await;
        assert_eq!(member["awaiting_consent"], true, "{member}");

        // 3. When the domain's own workspace links that account, the link's holder loses it:
        //    the password goes and every session ends.
        app.create_workspace_with_domains("freemail", &["freemail.test".to_string()]).await;
        let (_, company) = app.issue_token("freemail", TokenKind::Service).await;
        let (status, _) = app.post("/v1/workspaces/freemail/members", &company, json!({"email": "contractor@freemail.test"})).await;
        assert_eq!(status, 201);
        assert_eq!(app.session_of(&evil_session).await.0, 401, "the holder's session ended");
        assert_eq!(app.password_login("contractor@freemail.test", ATTACKER_PASSWORD).await.0, 401);
        let (_, hash) = app.store.account_password("contractor@freemail.test").await.unwrap().unwrap();
        assert!(hash.is_none(), "the holder's password is gone");
    }
}
