//! Several Gatehouse processes on one PostgreSQL: a write on one is honoured by the other
//! at once when the caller passes the revision it got, and within a second otherwise.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{spawn_app, Backend};

/// A second Gatehouse, as its own OS process, over the same database.
struct SecondProcess {
    child: Child,
    address: String,
}

impl SecondProcess {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["--json", "serve"])
            .env("GATEHOUSE_DATABASE_URL", database_url)
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start second gatehouse");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let started: serde_json::Value = serde_json::from_str(&line).expect("start-up line");
        let address = format!("http://{}", started["listening"].as_str().unwrap());
        Self { child, address }
    }
}

impl Drop for SecondProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_revoked_grant_is_denied_by_a_second_process_at_the_returned_revision() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let token = app.workspace_with_token("acme").await;
    let second = SecondProcess::start(&app.db.url);
    let ws = "/v1/workspaces/acme";
    app.post(
        &format!("{ws}/resources"),
        &token,
        json!({"type": "source", "id": "s1", "name": "S1"}),
    )
    .await;
    app.post(
        &format!("{ws}/members"),
        &token,
        json!({"email": "ann@example.com"}),
    )
    .await;
    let (_, grant) = app
        .post(
            &format!("{ws}/grants"),
            &token,
            json!({"subject": {"type": "user", "id": "ann@example.com"},
            "role": "source.admin", "scope": {"type": "all"}}),
        )
        .await;
    let check = |revision: Option<i64>| {
        json!({"user": "ann@example.com", "action": "source.update",
               "resource": {"type": "source", "id": "s1"}, "at_least_revision": revision})
    };
    let granted_at = grant["revision"].as_i64().unwrap();
    let on_second = |body: serde_json::Value| {
        let client = app.client.clone();
        let url = format!("{}{ws}/access/check", second.address);
        let token = token.clone();
        async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(on_second(check(Some(granted_at))).await["allowed"], true);

    // Revoke on the first instance; the second must deny when handed the new revision.
    let (status, revoked) = app
        .delete(
            &format!("{ws}/grants/{}", grant["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(status, 200);
    let revoked_at = revoked["revision"].as_i64().unwrap();
    let answer = on_second(check(Some(revoked_at))).await;
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(answer["revision"].as_i64().unwrap() >= revoked_at);
}

#[tokio::test]
async fn a_second_process_notices_a_new_grant_within_a_second() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let token = app.workspace_with_token("acme").await;
    let second = SecondProcess::start(&app.db.url);
    let ws = "/v1/workspaces/acme";
    app.post(
        &format!("{ws}/members"),
        &token,
        json!({"email": "bo@example.com"}),
    )
    .await;
    let url = format!("{}{ws}/access/check", second.address);
    let body = json!({"user": "bo@example.com", "action": "warehouse.read", "resource": {"type": "warehouse", "id": "w"}});
    let ask = || async {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        response.json::<serde_json::Value>().await.unwrap()["allowed"] == true
    };
    assert!(!ask().await, "the second instance has loaded the workspace");
    app.post(
        &format!("{ws}/grants"),
        &token,
        json!({"subject": {"type": "user", "id": "bo@example.com"},
        "role": "warehouse.read", "scope": {"type": "all"}}),
    )
    .await;
    let granted = Instant::now();
    while !ask().await {
        assert!(
            granted.elapsed() < Duration::from_secs(1),
            "not noticed within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn scim_writes_on_one_instance_show_in_checks_on_another_within_a_second() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let token = app.workspace_with_token("acme").await;
    let (_, scim) = app
        .issue_token("acme", gatehouse::domain::TokenKind::Scim)
        .await;
    let second = SecondProcess::start(&app.db.url);
    let scim_send = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        let request = app
            .client
            .request(method, app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&scim)
            .header("content-type", "application/scim+json")
            .body(body.to_string());
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap_or_default()
        }
    };
    let check_on_second = |user: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/v1/workspaces/acme/access/check", second.address);
        let token = token.clone();
        async move {
            let body = json!({"user": user, "action": "warehouse.read", "resource": {"type": "warehouse", "id": "w"}});
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()["allowed"]
                == true
        }
    };
    let eventually = |want: bool| async move {
        let started = Instant::now();
        while check_on_second("sam@example.com").await != want {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "the second instance did not follow within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let user = scim_send(
        reqwest::Method::POST,
        "/Users",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "sam@example.com"}),
    )
    .await;
    let group = scim_send(
        reqwest::Method::POST,
        "/Groups",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Readers", "members": [{"value": user["id"]}]}),
    )
    .await;
    app.post(
        "/v1/workspaces/acme/grants",
        &token,
        json!({"subject": {"type": "group", "id": group["id"]},
        "role": "warehouse.read", "scope": {"type": "all"}}),
    )
    .await;
    eventually(true).await;
    scim_send(reqwest::Method::PATCH, &format!("/Users/{}", user["id"].as_str().unwrap()),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]})).await;
    eventually(false).await;
}
