//! End-to-end stories: an identity team configures Okta or Entra once, and from then on who
//! joins, moves or leaves shows in every access decision, in the webhooks and in the audit
//! trail. Each runs on both backends.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};

use crate::{
    helpers::{on_both_backends, TestApp},
    sso_support::SsoWorkspace,
};
use gatehouse::domain::TokenKind;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ENTRA_GROUP_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";

/// A SCIM client as an IdP would be.
struct Idp<'a> {
    app: &'a TestApp,
    token: String,
}

impl Idp<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json; charset=utf-8")
                .body(body.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, path: &str, body: Value) -> String {
        let (status, body) = self.send(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn patch(&self, path: &str, ops: Value) -> u16 {
        let (status, body) = self
            .send(
                reqwest::Method::PATCH,
                path,
                Some(json!({"schemas": [PATCH], "Operations": ops})),
            )
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
        status
    }
}

async fn can(app: &TestApp, token: &str, who: Value, action: &str, rtype: &str, id: &str) -> bool {
    let mut body = json!({"action": action, "resource": {"type": rtype, "id": id}});
    for (k, v) in who.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, answer) = app
        .post("/v1/workspaces/acme/access/check", token, body)
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["allowed"].as_bool().unwrap()
}

fn user(email: &str) -> Value {
    json!({"user": email})
}

on_both_backends! {
    async fn okta_provisions_pushes_groups_and_a_removal_is_denied_notified_and_audited(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        let token = sso.token.clone();
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let okta = Idp { app: &app, token: scim };
        let hooks = MockServer::start().await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&hooks).await;
        app.post("/v1/workspaces/acme/webhooks", &token, json!({"url": format!("{}/hook", hooks.uri()), "secret": "0123456789abcdef0123"})).await;
        app.post("/v1/workspaces/acme/mapping-rules", &token,
            json!({"match": "display_name_equals", "pattern": "Segment Source Admins", "role": "source.admin"})).await;
        app.post("/v1/workspaces/acme/resources", &token, json!({"type": "source", "id": "ios-prod", "name": "iOS Prod"})).await;

        let person = |email: &str, first: &str| json!({"schemas": [USER], "userName": email,
            "name": {"givenName": first, "familyName": "Okta"}, "emails": [{"primary": true, "value": email, "type": "work"}],
            "displayName": first, "active": true, "password": "Okta-1-password!"});
        let alice = okta.create("/Users", person("alice@example.com", "Alice")).await;
        let bob = okta.create("/Users", person("bob@example.com", "Bob")).await;
        // Group push: look up, create, rename-replace with id, add members.
        let (_, found) = okta.send(reqwest::Method::GET, "/Groups?filter=displayName%20eq%20%22Segment%20Source%20Admins%22", None).await;
        assert_eq!(found["totalResults"], 0);
        let admins = okta.create("/Groups", json!({"schemas": [GROUP], "displayName": "Segment Source Admins", "members": []})).await;
        okta.patch(&format!("/Groups/{admins}"), json!([{"op": "replace", "value": {"id": admins, "displayName": "Segment Source Admins"}}])).await;
        okta.patch(&format!("/Groups/{admins}"), json!([{"op": "add", "path": "members", "value": [{"value": alice, "display": "alice@example.com"}, {"value": bob, "display": "bob@example.com"}]}])).await;
        let ios_team = okta.create("/Groups", json!({"schemas": [GROUP], "displayName": "iOS Team", "members": [{"value": bob}]})).await;
        // The owner grants the iOS team Source admin on iOS Prod only.
        let (status, _) = app.post("/v1/workspaces/acme/grants", &token, json!({"subject": {"type": "group", "id": ios_team},
            "role": "source.admin", "scope": {"type": "instance", "resource": {"type": "source", "id": "ios-prod"}}})).await;
        assert_eq!(status, 201);

        assert!(can(&app, &token, user("alice@example.com"), "source.create", "source", "").await);
        assert!(can(&app, &token, user("bob@example.com"), "source.create", "source", "").await);
        assert!(can(&app, &token, user("bob@example.com"), "source.update", "source", "ios-prod").await);

        // Okta removes Bob from the admins group.
        let before = app.get_json("/v1/workspaces/acme/webhooks", &token).await.1["revision"].as_i64().unwrap();
        okta.patch(&format!("/Groups/{admins}"), json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}])).await;
        assert!(!can(&app, &token, user("bob@example.com"), "source.create", "source", "").await, "denied at the next check");
        assert!(can(&app, &token, user("bob@example.com"), "source.update", "source", "ios-prod").await, "still on iOS Prod");
        assert!(can(&app, &token, user("alice@example.com"), "source.create", "source", "").await);

        // The webhook fires with the removal.
        let started = Instant::now();
        let removal = loop {
            let requests = hooks.received_requests().await.unwrap_or_default();
            let found = requests.iter().flat_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                body["events"].as_array().cloned().unwrap_or_default()
            }).find(|e| e["revision"].as_i64().unwrap() > before && e["change"]["kind"] == "group_members_removed");
            if let Some(found) = found { break found; }
            assert!(started.elapsed() < Duration::from_secs(10), "no webhook for the removal");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(removal["change"]["membership_ids"][0], bob);
        // The timeline shows it, caused by a SCIM request.
        let (_, timeline) = app.get_json("/v1/workspaces/acme/members/bob@example.com/timeline", &token).await;
        let last = timeline["events"].as_array().unwrap().iter().rev()
            .find(|e| e["action"] == "group.members.remove").expect("removal in the timeline").clone();
        assert_eq!(last["cause"], "scim_request");
    }

    async fn entra_provisions_with_its_patch_forms_and_saml_claims_meet_the_scim_groups(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let token = sso.token.clone();
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let entra = Idp { app: &app, token: scim };
        // Test connection: a random GUID filter answers an empty list.
        let (status, probe) = entra.send(reqwest::Method::GET, "/Users?filter=userName%20eq%20%22b0a6f4c2-7d3e-4c55-9a1e-5f2c8d9e0a11%22", None).await;
        assert_eq!((status, probe["totalResults"].as_i64()), (200, Some(0)));
        let alice = entra.create("/Users", json!({"schemas": [USER, ENTERPRISE], "externalId": "alice",
            "userName": "alice@example.com", "active": true, "displayName": "Alice",
            "emails": [{"primary": true, "type": "work", "value": "alice@example.com"}],
            "name": {"formatted": "Alice A", "familyName": "A", "givenName": "Alice"},
            ENTERPRISE: {"department": "Data"}})).await;
        // Default (non-compliant) forms: capitalised ops, string booleans, pathless dotted keys.
        entra.patch(&format!("/Users/{alice}"), json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice@example.com"},
            {"op": "Replace", "value": {"name.givenName": "Alicia", "active": "True"}},
            {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "b0a6f4c2-manager"}])).await;
        let sources = entra.create("/Groups", json!({"schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "0e8c4b71-1111-4a55-9a1e-000000000001", "displayName": "Source Admins", "members": []})).await;
        let readers = entra.create("/Groups", json!({"schemas": [GROUP], "externalId": "0e8c4b71-2222-4a55-9a1e-000000000002",
            "displayName": "Warehouse Readers", "members": []})).await;
        // Default form adds many members at once; aadOptscim062020 uses a filter to remove.
        entra.patch(&format!("/Groups/{sources}"), json!([{"op": "Add", "path": "members", "value": [{"value": alice}]}])).await;
        entra.patch(&format!("/Groups/{readers}"), json!([{"op": "add", "path": "members", "value": [{"value": alice}]}])).await;
        for (group, role) in [(&sources, "source.admin"), (&readers, "warehouse.read")] {
            app.post("/v1/workspaces/acme/grants", &token, json!({"subject": {"type": "group", "id": group}, "role": role, "scope": {"type": "all"}})).await;
        }
        let (_, got) = entra.send(reqwest::Method::GET, "/Groups?filter=displayName%20eq%20%22Source%20Admins%22&excludedAttributes=members", None).await;
        assert!(got["Resources"][0].get("members").is_none());
        let roles = |p: &Value| {
            let mut r: Vec<String> = p["roles"].as_array().unwrap().iter().map(|x| x["role"].as_str().unwrap().to_string()).collect();
            r.sort();
            r
        };
        let (_, scim_roles) = app.get_json("/v1/workspaces/acme/users/alice@example.com/permissions", &token).await;
        // Alice signs in with Entra's object-id group claims.
        let claims = format!("{ENTRA_GROUP_CLAIM}=0e8c4b71-1111-4a55-9a1e-000000000001,0e8c4b71-2222-4a55-9a1e-000000000002");
        let (status, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com", "--attr", &claims]), None).await;
        assert_eq!(status, 303);
        let (_, after_login) = app.get_json("/v1/workspaces/acme/users/alice@example.com/permissions", &token).await;
        assert_eq!(roles(&after_login), roles(&scim_roles));
        assert_eq!(roles(&after_login), ["source.admin", "warehouse.read"]);
        let session = json!({"session": cookie.unwrap()});
        assert!(can(&app, &token, session.clone(), "source.create", "source", "").await);
        assert!(can(&app, &token, session, "warehouse.read", "warehouse", "w").await);
        // aadOptscim062020 removal form.
        entra.patch(&format!("/Groups/{readers}"), json!([{"op": "remove", "path": format!("members[value eq \"{alice}\"]")}])).await;
        assert!(!can(&app, &token, user("alice@example.com"), "warehouse.read", "warehouse", "w").await);
    }

    async fn legacy_grants_and_idp_grants_coexist_and_explain_tells_them_apart(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let file = std::env::temp_dir().join(format!("legacy-{}.jsonl", uuid::Uuid::new_v4()));
        std::fs::write(&file, "{\"email\": \"cora@example.com\", \"role\": \"source_collaborator\", \"sources\": [\"ios-prod\"]}\n").unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["legacy", "import", "--workspace", "acme", "--file", file.to_str().unwrap()])
            .env("GATEHOUSE_DATABASE_URL", &app.db.url).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        tokio::time::sleep(Duration::from_millis(600)).await; // the server notices the CLI's commit
        // Then the workspace connects its IdP: SCIM pushes a group that a rule maps.
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let idp = Idp { app: &app, token: scim };
        app.post("/v1/workspaces/acme/mapping-rules", &token,
            json!({"match": "display_name_prefix", "pattern": "Data ", "role": "warehouse.read"})).await;
        let (_, users) = idp.send(reqwest::Method::GET, "/Users?filter=userName%20eq%20%22cora@example.com%22", None).await;
        let cora = users["Resources"][0]["id"].as_str().unwrap().to_string();
        idp.create("/Groups", json!({"schemas": [GROUP], "displayName": "Data Team", "members": [{"value": cora}]})).await;
        let explain = |action: &str, rtype: &str, id: &str| {
            let body = json!({"user": "cora@example.com", "action": action, "resource": {"type": rtype, "id": id}});
            let app = &app;
            let token = token.clone();
            async move { app.post("/v1/workspaces/acme/access/explain", &token, body).await.1 }
        };
        let legacy = explain("source.update", "source", "ios-prod").await;
        assert_eq!(legacy["allowed"], true);
        assert_eq!(legacy["via"][0]["origin"]["type"], "legacy");
        assert_eq!(legacy["via"][0]["through"]["type"], "direct");
        let from_idp = explain("warehouse.read", "warehouse", "w").await;
        assert_eq!(from_idp["allowed"], true);
        assert_eq!(from_idp["via"][0]["origin"]["type"], "rule");
        assert_eq!(from_idp["via"][0]["through"]["type"], "group");
        assert_eq!(from_idp["via"][0]["through"]["display_name"], "Data Team");
    }

    async fn okta_deprovisioning_ends_the_session_denies_everything_and_keeps_the_record(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let token = sso.token.clone();
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let okta = Idp { app: &app, token: scim };
        let alice = okta.create("/Users", json!({"schemas": [USER], "userName": "alice@example.com",
            "emails": [{"primary": true, "value": "alice@example.com"}], "active": true})).await;
        app.post("/v1/workspaces/acme/grants", &token, json!({"subject": {"type": "user", "id": "alice@example.com"},
            "role": "warehouse.admin", "scope": {"type": "all"}})).await;
        let (_, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), None).await;
        let cookie = cookie.unwrap();
        assert!(can(&app, &token, json!({"session": cookie}), "warehouse.update", "warehouse", "w").await);
        // Okta deactivates (never deletes).
        okta.patch(&format!("/Users/{alice}"), json!([{"op": "replace", "value": {"active": false}}])).await;
        let after = sso.client.get(app.url("/v1/session")).header("cookie", format!("gatehouse_session={cookie}")).send().await.unwrap();
        assert_eq!(after.status(), 401, "the session ended");
        assert!(!can(&app, &token, json!({"session": cookie}), "warehouse.update", "warehouse", "w").await);
        for action in ["warehouse.read", "warehouse.update", "workspace.sign_in"] {
            assert!(!can(&app, &token, user("alice@example.com"), action, "warehouse", "w").await, "{action}");
        }
        let (status, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), None).await;
        assert_eq!(status, 403, "SAML login refused");
        assert!(cookie.is_none());
        let (status, record) = okta.send(reqwest::Method::GET, &format!("/Users/{alice}"), None).await;
        assert_eq!((status, record["active"].as_bool()), (200, Some(false)));
    }
}
