//! The `/v1` contract (issue 12): the generated OpenAPI document covers every mounted route and
//! validates as OpenAPI 3; every list pages the same way (`limit`, opaque `cursor`,
//! `next_cursor` absent on the last page); creates answer 201 with `Location`.

use std::collections::BTreeSet;

use gatehouse::adapters::api::OPERATIONS;
use serde_json::{json, Value};

use crate::helpers::{on_both_backends, TestApp};

#[tokio::test]
async fn the_generated_document_covers_every_mounted_route_and_only_those() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let response = app.get("/v1/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    let mounted: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|op| (op.method.to_string(), op.path.to_string()))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "mounted, not documented: {undocumented:?}"
    );
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    let ids: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.id).collect();
    assert_eq!(ids.len(), OPERATIONS.len(), "operation ids repeat");
    assert!(
        unmounted.is_empty(),
        "documented, not mounted: {unmounted:?}"
    );
    let w = "/v1/workspaces/{slug}";
    for path in [
        format!("{w}/mapping-rules"),
        format!("{w}/webhooks"),
        format!("{w}/webhooks/{{id}}/dead-letters"),
        format!("{w}/sso/connections"),
        format!("{w}/members/{{member}}/timeline"),
        format!("{w}/changes/stream"),
        "/v1/session".to_string(),
    ] {
        assert!(doc["paths"][&path].is_object(), "{path} is not documented");
    }
    // Every route is mounted from the one list in adapters/api/mod.rs.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/adapters/api");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "mod.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for needle in [".route(", "web::resource(", "web::scope("] {
            assert!(
                !source.contains(needle),
                "{} mounts a route itself ({needle})",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn the_generated_document_validates_as_openapi_3() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let text = app
        .get("/v1/openapi.json", None)
        .await
        .text()
        .await
        .unwrap();
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/.venv/bin/python");
    if !std::path::Path::new(python).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "conformance/.venv is missing (scripts/test makes it)"
        );
        eprintln!("skipped: no conformance/.venv (run conformance/setup-venv)");
        return;
    }
    let file =
        std::env::temp_dir().join(format!("gatehouse-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "the document does not validate:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Follows `next_cursor` from `path` (which has no query) at `limit=2`, answering every item
/// of `field` in order, and checks each page's size.
async fn walk(app: &TestApp, token: &str, path: &str, field: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let (status, body) = app.get_json(&url, token).await;
        assert_eq!(status, 200, "{url}: {body}");
        let page = body[field]
            .as_array()
            .unwrap_or_else(|| panic!("{url}: no {field}: {body}"));
        assert!(page.len() <= 2, "{url}: {} items", page.len());
        items.extend(page.iter().cloned());
        match body.get("next_cursor") {
            Some(Value::String(next)) => {
                assert_eq!(page.len(), 2, "{url}: a short page before the last");
                cursor = Some(next.clone());
            }
            None => return items,
            Some(other) => panic!("{url}: next_cursor is {other}"),
        }
    }
    panic!("{path}: the cursors never end");
}

/// `walk`, then checks that each of `expected` came back exactly once (by `key`).
async fn walk_expecting(
    app: &TestApp,
    token: &str,
    path: &str,
    field: &str,
    key: &str,
    expected: &[String],
) {
    let items = walk(app, token, path, field).await;
    let keys: Vec<String> = items
        .iter()
        .map(|i| match &i[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let unique: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "{path}: an item came twice: {keys:?}"
    );
    for want in expected {
        assert!(
            unique.contains(want),
            "{path}: {want} missing from {keys:?}"
        );
    }
}

/// POSTs `body` to `path`, checks `201` and a `Location` that reads back, and answers the body.
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{path}");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    assert!(location.starts_with(path), "{path}: Location {location}");
    let (status, _) = app.get_json(&location, token).await;
    assert_eq!(status, 200, "GET {location}");
    created
}

on_both_backends! {
    async fn every_list_pages_with_limit_and_cursor(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let w = "/v1/workspaces/acme";
        let mut emails = Vec::new();
        let mut member_ids = Vec::new();
        for i in 0..5 {
            let email = format!("person{i}@example.com");
            let member = create(&app, &token, &format!("{w}/members"), json!({"email": email})).await;
            assert_eq!(member["email"], email);
            assert!(member["revision"].is_i64(), "{member}");
            member_ids.push(member["id"].as_str().unwrap().to_string());
            emails.push(email);
        }
        let mut group_ids = Vec::new();
        for i in 0..5 {
            let group = create(&app, &token, &format!("{w}/groups"), json!({"display_name": format!("team {i}")})).await;
            group_ids.push(group["id"].as_str().unwrap().to_string());
        }
        let mut resource_ids = Vec::new();
        for i in 0..5 {
            let id = format!("src-{i}");
            create(&app, &token, &format!("{w}/resources"),
                json!({"type": "source", "id": id, "name": format!("Source {i}")})).await;
            resource_ids.push(id);
        }
        let mut grant_ids = Vec::new();
        for member in &member_ids {
            let grant = create(&app, &token, &format!("{w}/grants"), json!({
                "subject": {"type": "user", "id": member},
                "role": "source.read",
                "scope": {"type": "all"},
            })).await;
            grant_ids.push(grant["id"].as_str().unwrap().to_string());
        }
        for member in &member_ids[..3] {
            let (status, body) = app.post(&format!("{w}/groups/{}/members", group_ids[0]), &token,
                json!({"member": member})).await;
            assert!(status == 200 || status == 201, "{body}");
        }

        walk_expecting(&app, &token, &format!("{w}/members"), "members", "email", &emails).await;
        walk_expecting(&app, &token, &format!("{w}/groups"), "groups", "id", &group_ids).await;
        walk_expecting(&app, &token, &format!("{w}/resources"), "resources", "id", &resource_ids).await;
        walk_expecting(&app, &token, &format!("{w}/grants"), "grants", "id", &grant_ids).await;
        walk_expecting(&app, &token, &format!("{w}/groups/{}/members", group_ids[0]), "members", "member",
            &[]).await;
        let in_group = walk(&app, &token, &format!("{w}/groups/{}/members", group_ids[0]), "members").await;
        assert_eq!(in_group.len(), 3, "{in_group:?}");

        // The audit log and the change feed: ids and revisions only increase, none repeats.
        let audit = walk(&app, &token, &format!("{w}/audit"), "entries").await;
        let (_, everything) = app.get_json(&format!("{w}/audit?limit=1000"), &token).await;
        assert_eq!(audit.len(), everything["entries"].as_array().unwrap().len());
        assert!(audit.windows(2).all(|p| p[0]["id"].as_i64() < p[1]["id"].as_i64()));
        assert!(audit.len() >= 20, "{}", audit.len());
        let changes = walk(&app, &token, &format!("{w}/changes"), "changes").await;
        assert!(changes.windows(2).all(|p| p[0]["revision"].as_i64() < p[1]["revision"].as_i64()));
        assert!(changes.len() >= 20, "{}", changes.len());
        // The older parameters keep working one release.
        let (_, old) = app.get_json(&format!("{w}/audit?after={}&limit=3", audit[1]["id"]), &token).await;
        assert_eq!(old["entries"][0]["id"], audit[2]["id"]);
        assert_eq!(old["next_after"], audit[4]["id"]);
        let (_, old) = app.get_json(&format!("{w}/changes?after_revision={}", changes[1]["revision"]), &token).await;
        assert_eq!(old["changes"][0]["revision"], changes[2]["revision"]);

        let timeline = walk(&app, &token, &format!("{w}/members/{}/timeline", member_ids[0]), "events").await;
        assert!(timeline.len() >= 3, "{timeline:?}");
        assert!(timeline.windows(2).all(|p| p[0]["id"].as_i64() < p[1]["id"].as_i64()));

        // Invitations (made by an owner) and mapping rules.
        let (status, owner) = app.post(&format!("{w}/members"), &token,
            json!({"email": "boss@example.com", "kind": "owner"})).await;
        assert_eq!(status, 201, "{owner}");
        let mut invite_ids = Vec::new();
        for i in 0..3 {
            let invite = create_without_get(&app, &token, &format!("{w}/invites"), json!({
                "email": format!("invitee{i}@example.com"), "invited_by": "boss@example.com",
            })).await;
            assert!(invite["code"].is_string());
            invite_ids.push(invite["id"].as_str().unwrap().to_string());
        }
        walk_expecting(&app, &token, &format!("{w}/invites"), "invites", "id", &invite_ids).await;
        let mut rule_ids = Vec::new();
        for i in 0..3 {
            let rule = create_without_get(&app, &token, &format!("{w}/mapping-rules"), json!({
                "match": "display_name_equals", "pattern": format!("team {i}"), "role": "source.read",
            })).await;
            rule_ids.push(rule["id"].as_str().unwrap().to_string());
        }
        walk_expecting(&app, &token, &format!("{w}/mapping-rules"), "rules", "id", &rule_ids).await;

        // A cursor this API did not give out is a 400 in the envelope.
        let (status, body) = app.get_json(&format!("{w}/members?cursor=%2A%2A"), &token).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
}

/// POSTs and checks `201` and a `Location` under `path` (for resources with no GET of one).
async fn create_without_get(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{path}: {body}");
    assert!(
        location.is_some_and(|l| l.starts_with(path)),
        "{path}: no Location"
    );
    body
}
