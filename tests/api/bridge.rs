//! The bridge: mapping rules, SCIM roles, webhooks (at least once, in order, across a
//! restart), the change stream and a member's timeline.

use std::time::{Duration, Instant};

use gatehouse::{
    access::{Change, Member, MemberKind},
    domain::{Actor, TokenKind},
    service::webhooks::signature,
    storage::ChangeContext,
};
use serde_json::{json, Value};
use uuid::Uuid;
use wiremock::{matchers::path, Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{on_both_backends, spawn_instance, TestApp};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SECRET: &str = "webhook-secret-0123456789";

async fn scim_post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn scim_patch(app: &TestApp, token: &str, path: &str, ops: Value) -> u16 {
    app.client.patch(app.url(&format!("/scim/v2{path}"))).bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}).to_string())
        .send().await.unwrap().status().as_u16()
}

async fn allowed(app: &TestApp, token: &str, user: &str, action: &str, rtype: &str) -> bool {
    app.post(
        "/v1/workspaces/acme/access/check",
        token,
        json!({"user": user, "action": action, "resource": {"type": rtype, "id": "x"}}),
    )
    .await
    .1["allowed"]
        .as_bool()
        .unwrap()
}

/// Every delivered event, in arrival order, with each request's signature checked.
async fn delivered(server: &MockServer) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for request in server.received_requests().await.unwrap_or_default() {
        out.extend(events_of(&request));
    }
    out
}

fn events_of(request: &Request) -> Vec<(i64, String)> {
    let body = String::from_utf8(request.body.clone()).unwrap();
    let header = request
        .headers
        .get("gatehouse-signature")
        .unwrap()
        .to_str()
        .unwrap();
    let t: i64 = header
        .trim_start_matches("t=")
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(header, signature(SECRET, t, &body), "signature");
    let parsed: Value = serde_json::from_str(&body).unwrap();
    parsed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["revision"].as_i64().unwrap(),
                e["event_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn wait_for(server: &MockServer, last_revision: i64, within: Duration) -> Vec<(i64, String)> {
    let started = Instant::now();
    loop {
        let events = delivered(server).await;
        if events.iter().any(|(r, _)| *r >= last_revision) || started.elapsed() > within {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deliveries are complete and in order: first arrivals of each event are strictly
/// increasing and cover `first..=last` (re-deliveries after a failure are allowed).
fn assert_complete_and_ordered(events: &[(i64, String)], first: i64, last: i64) {
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<i64> = events
        .iter()
        .filter(|(_, id)| seen.insert(id.clone()))
        .map(|(r, _)| *r)
        .collect();
    assert!(
        firsts.windows(2).all(|w| w[0] < w[1]),
        "out of order: {firsts:?}"
    );
    assert_eq!(firsts.first().copied(), Some(first));
    assert_eq!(firsts.last().copied(), Some(last));
    assert_eq!(firsts.len() as i64, last - first + 1, "lost events");
}

async fn webhook(app: &TestApp, token: &str, server: &MockServer) {
    let (status, body) = app
        .post(
            "/v1/workspaces/acme/webhooks",
            token,
            json!({"url": format!("{}/hook", server.uri()), "secret": SECRET}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn make_changes(app: &TestApp, token: &str, n: usize) -> i64 {
    let mut revision = 0;
    for i in 0..n {
        let (_, body) = app
            .post(
                "/v1/workspaces/acme/resources",
                token,
                json!({"type": "warehouse", "id": format!("wh-{i}"), "name": "W"}),
            )
            .await;
        revision = body["revision"].as_i64().unwrap();
    }
    revision
}

on_both_backends! {
    async fn mapping_rules_follow_groups_whoever_makes_them(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let (status, rule) = app.post("/v1/workspaces/acme/mapping-rules", &token,
            json!({"match": "display_name_equals", "pattern": "Segment Source Admins", "role": "source.admin"})).await;
        assert_eq!(status, 201, "{rule}");
        let alice = scim_post(&app, &scim, "/Users", json!({"schemas": [USER], "userName": "alice@example.com"})).await;
        let group = scim_post(&app, &scim, "/Groups", json!({"schemas": [GROUP], "displayName": "Segment Source Admins",
            "members": [{"value": alice["id"]}]})).await;
        assert!(allowed(&app, &token, "alice@example.com", "source.create", "source").await);
        // A hand-made group matching a prefix rule gets the role too.
        app.post("/v1/workspaces/acme/mapping-rules", &token,
            json!({"match": "display_name_prefix", "pattern": "Warehouse ", "role": "warehouse.read"})).await;
        let (_, manual) = app.post("/v1/workspaces/acme/groups", &token, json!({"display_name": "Warehouse Viewers"})).await;
        app.post(&format!("/v1/workspaces/acme/groups/{}/members", manual["group"]["id"].as_str().unwrap()), &token,
            json!({"member": "alice@example.com"})).await;
        assert!(allowed(&app, &token, "alice@example.com", "warehouse.read", "warehouse").await);
        // Renaming the group away from the rule takes the role away.
        assert_eq!(scim_patch(&app, &scim, &format!("/Groups/{}", group["id"].as_str().unwrap()),
            json!([{"op": "replace", "value": {"displayName": "Former Admins"}}])).await, 204);
        assert!(!allowed(&app, &token, "alice@example.com", "source.create", "source").await);
        // Removing a rule removes exactly its grants.
        let (_, rules) = app.get_json("/v1/workspaces/acme/mapping-rules", &token).await;
        let prefix = rules["rules"].as_array().unwrap().iter().find(|r| r["match_kind"] == "display_name_prefix").unwrap().clone();
        app.delete(&format!("/v1/workspaces/acme/mapping-rules/{}", prefix["id"].as_str().unwrap()), &token).await;
        assert!(!allowed(&app, &token, "alice@example.com", "warehouse.read", "warehouse").await);
        // Owner mapping needs the workspace setting.
        let (status, _) = app.post("/v1/workspaces/acme/mapping-rules", &token,
            json!({"match": "display_name_equals", "pattern": "Admins", "role": "workspace.owner"})).await;
        assert_eq!(status, 400);
    }

    async fn scim_roles_become_grants_when_enabled(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme", &token, Some(json!({"settings": {"scim_roles": true}}))).await;
        let user = scim_post(&app, &scim, "/Users", json!({"schemas": [USER], "userName": "ro@example.com",
            "roles": [{"value": "warehouse.read"}]})).await;
        assert!(allowed(&app, &token, "ro@example.com", "warehouse.read", "warehouse").await);
        let id = user["id"].as_str().unwrap();
        assert_eq!(scim_patch(&app, &scim, &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "roles", "value": [{"value": "protocols.read"}]}])).await, 200);
        assert!(!allowed(&app, &token, "ro@example.com", "warehouse.read", "warehouse").await);
        assert!(allowed(&app, &token, "ro@example.com", "tracking_plan.read", "tracking_plan").await);
        let response = app.client.patch(app.url(&format!("/scim/v2/Users/{id}"))).bearer_auth(&scim)
            .header("content-type", "application/scim+json")
            .body(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "roles", "value": [{"value": "no.such.role"}]}]}).to_string())
            .send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["scimType"], "invalidValue");
    }

    async fn webhooks_deliver_signed_events_in_order_through_failures(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        // Down at first (500 twice), then fine.
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(500)).up_to_n_times(2).mount(&server).await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        webhook(&app, &token, &server).await;
        let (_, list) = app.get_json("/v1/workspaces/acme/webhooks", &token).await;
        let first = list["revision"].as_i64().unwrap() + 1;
        let last = make_changes(&app, &token, 5).await;
        let events = wait_for(&server, last, Duration::from_secs(10)).await;
        assert_complete_and_ordered(&events, first, last);
    }

    async fn a_slow_webhook_times_out_and_is_retried(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let server = MockServer::start().await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(8)))
            .up_to_n_times(1).mount(&server).await;
        Mock::given(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        webhook(&app, &token, &server).await;
        let (_, list) = app.get_json("/v1/workspaces/acme/webhooks", &token).await;
        let first = list["revision"].as_i64().unwrap() + 1;
        let last = make_changes(&app, &token, 2).await;
        let started = Instant::now();
        let events = loop {
            let events = delivered(&server).await;
            // The first (timed-out) request is recorded too; wait for the retry.
            if server.received_requests().await.unwrap_or_default().len() >= 2 || started.elapsed() > Duration::from_secs(15) {
                break events;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_complete_and_ordered(&events, first, last);
    }
}

#[tokio::test]
async fn webhooks_lose_nothing_and_keep_order_across_a_restart_during_a_burst() {
    let Some(mut app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let token = app.workspace_with_token("acme").await;
    let server = MockServer::start().await;
    // A receiver that takes a little while, so the restart lands mid-burst.
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(30)))
        .mount(&server)
        .await;
    webhook(&app, &token, &server).await;
    let workspace = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
    let first = workspace.revision + 1;
    // 1,000 changes in ten commits.
    let access = gatehouse::service::AccessService::new(app.store.clone());
    let ctx = ChangeContext {
        actor: Actor::Cli,
        request_id: None,
        provenance: "cli",
    };
    let mut last = 0;
    for batch in 0..10 {
        let mut changes = Vec::new();
        for i in 0..100 {
            changes.push(
                Change::MemberUpserted {
                    member: Member {
                        id: Uuid::now_v7(),
                        email: format!("u{batch}-{i}@example.com"),
                        kind: MemberKind::Member,
                        active: true,
                        awaiting_consent: false,
                    },
                }
                .into(),
            );
        }
        last = access.commit(&workspace, changes, &ctx).await.unwrap();
        if batch == 4 {
            // Restart: stop this instance mid-delivery and start another on the same database.
            app.stopper.take().unwrap().stop().await;
        }
    }
    assert_eq!(last - first + 1, 1000);
    let second = spawn_instance(&app.db.url).await;
    let events = wait_for(&server, last, Duration::from_secs(60)).await;
    assert_complete_and_ordered(&events, first, last);
    second.stopper.stop().await;
}

on_both_backends! {
    async fn the_change_stream_and_the_timeline_tell_what_happened(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let (_, scim) = app.issue_token("acme", TokenKind::Scim).await;
        let user = scim_post(&app, &scim, "/Users", json!({"schemas": [USER], "userName": "tim@example.com"})).await;
        app.post("/v1/workspaces/acme/grants", &token, json!({"subject": {"type": "user", "id": "tim@example.com"},
            "role": "warehouse.read", "scope": {"type": "all"}})).await;
        let group = scim_post(&app, &scim, "/Groups", json!({"schemas": [GROUP], "displayName": "Team",
            "members": [{"value": user["id"]}]})).await;
        let _ = group;
        let (_, timeline) = app.get_json("/v1/workspaces/acme/members/tim@example.com/timeline", &token).await;
        let causes: Vec<(&str, &str)> = timeline["events"].as_array().unwrap().iter()
            .map(|e| (e["action"].as_str().unwrap(), e["cause"].as_str().unwrap())).collect();
        assert!(causes.contains(&("member.upsert", "scim_request")), "{causes:?}");
        assert!(causes.contains(&("grant.create", "api")), "{causes:?}");
        assert!(causes.contains(&("group.members.add", "scim_request")), "{causes:?}");
        // The SSE stream replays the feed from a revision.
        let mut response = app.client.get(app.url("/v1/workspaces/acme/changes/stream?after_revision=0"))
            .bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk()).await.unwrap().unwrap().unwrap();
        let text = String::from_utf8_lossy(&chunk);
        assert!(text.starts_with("id: 1\nevent: change\ndata: "), "{text}");
    }
}

on_both_backends! {
    async fn the_rules_file_is_the_desired_state_of_its_rules(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        app.post("/v1/workspaces/acme/groups", &token, json!({"display_name": "Warehouse Team"})).await;
        app.post("/v1/workspaces/acme/members", &token, json!({"email": "w@example.com"})).await;
        let (_, groups) = app.get_json("/v1/workspaces/acme/groups", &token).await;
        let group = groups["groups"][0]["id"].as_str().unwrap().to_string();
        app.post(&format!("/v1/workspaces/acme/groups/{group}/members"), &token, json!({"member": "w@example.com"})).await;
        let dir = std::env::temp_dir().join(format!("rules-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("rules.toml");
        let write = |body: &str| std::fs::write(&file, body).unwrap();
        let apply = || {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
                .args(["--json", "rules", "apply", "--file", file.to_str().unwrap()])
                .env("GATEHOUSE_DATABASE_URL", &app.db.url)
                .output().unwrap();
            assert!(out.status.success(), "{out:?}");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            v["applied"][0]["changed"].as_i64().unwrap()
        };
        write("[[workspace]]\nslug = \"acme\"\n[[workspace.rule]]\nmatch = \"display_name_prefix\"\npattern = \"Warehouse\"\nrole = \"warehouse.admin\"\n");
        assert_eq!(apply(), 1);
        assert_eq!(apply(), 0, "applying the same file again changes nothing");
        // The server learns of the other process's write through the revision poll.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(allowed(&app, &token, "w@example.com", "warehouse.update", "warehouse").await);
        write("[[workspace]]\nslug = \"acme\"\n");
        assert_eq!(apply(), 1);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(!allowed(&app, &token, "w@example.com", "warehouse.update", "warehouse").await);
    }
}
