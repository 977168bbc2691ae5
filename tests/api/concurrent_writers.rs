//! Writers of one workspace at once: concurrent change sets share a transaction (group
//! commit), yet the change feed stays gap-free and in order, every write lands once, and a
//! change set that fails inside a shared transaction fails alone.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::helpers::{on_both_backends, TestApp};
use crate::scim_support::{urlencode, Scim, USER};
use gatehouse::domain::TokenKind;

/// The whole change feed, walked with `limit` and `cursor`.
async fn feed(app: &TestApp, token: &str, slug: &str) -> Vec<Value> {
    let path = format!("/v1/workspaces/{slug}/changes");
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=7&cursor={c}"),
            None => format!("{path}?limit=7"),
        };
        let (status, body) = app.get_json(&url, token).await;
        assert_eq!(status, 200, "{url}: {body}");
        events.extend(body["changes"].as_array().unwrap().iter().cloned());
        match body.get("next_cursor") {
            Some(Value::String(next)) => cursor = Some(next.clone()),
            _ => return events,
        }
    }
}

on_both_backends! {
    async fn thirty_two_concurrent_scim_creators_leave_a_gap_free_feed(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let (_, service) = app.issue_token("acme", TokenKind::Service).await;
        let before = feed(&app, &service, "acme").await;
        let start = before.last().map(|e| e["revision"].as_i64().unwrap()).unwrap_or(0);

        let names: Vec<String> = (0..32).map(|i| format!("creator{i}@example.com")).collect();
        // Four more posts of the first name race the others: they fail (uniqueness) inside
        // whatever shared transaction they land in, and must take nothing else with them.
        let bodies = names.iter().chain(std::iter::repeat_n(&names[0], 4)).map(|name| {
            json!({"schemas": [USER], "userName": name, "active": true,
                "emails": [{"value": name, "type": "work", "primary": true}]})
        });
        let answers = futures_util::future::join_all(bodies.map(|body| scim.post("/Users", body))).await;
        let created = answers.iter().filter(|(status, _)| *status == 201).count();
        let refused = answers.iter().filter(|(status, body)| *status == 409 && body["scimType"] == "uniqueness").count();
        assert_eq!((created, refused), (32, 4), "{answers:?}");

        let events = feed(&app, &service, "acme").await;
        assert_eq!(events[..before.len()], before[..], "the feed's past changed");
        let revisions: Vec<i64> = events[before.len()..].iter().map(|e| e["revision"].as_i64().unwrap()).collect();
        let expected: Vec<i64> = (start + 1..=start + revisions.len() as i64).collect();
        assert_eq!(revisions, expected, "revisions with a gap, a repeat or out of order");
        let event_ids: BTreeSet<&str> = events.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
        assert_eq!(event_ids.len(), events.len(), "an event id repeats");
        // Each creator's membership appears once in the feed.
        let mut upserts: BTreeMap<String, usize> = BTreeMap::new();
        for event in &events[before.len()..] {
            if event["change"]["kind"] == "member_upserted" {
                *upserts.entry(event["change"]["member"]["email"].as_str().unwrap().to_lowercase()).or_default() += 1;
            }
        }
        let expected_upserts: BTreeMap<String, usize> = names.iter().map(|n| (n.clone(), 1)).collect();
        assert_eq!(upserts, expected_upserts);

        // Every user exists once, and this instance answers with all of them (read-your-writes).
        let (_, list) = scim.get("/Users?count=100").await;
        assert_eq!(list["totalResults"], 32, "{list}");
        let listed: BTreeSet<String> = list["Resources"].as_array().unwrap().iter()
            .map(|u| u["userName"].as_str().unwrap().to_string()).collect();
        assert_eq!(listed, names.iter().cloned().collect::<BTreeSet<_>>());
        for name in &names {
            let (_, found) = scim.get(&format!("/Users?filter={}", urlencode(&format!("userName eq \"{name}\"")))).await;
            assert_eq!(found["totalResults"], 1, "{name}: {found}");
        }
        let (_, members) = app.get_json("/v1/workspaces/acme/members?limit=100", &service).await;
        assert_eq!(members["members"].as_array().unwrap().len(), 32, "{members}");
    }

    async fn two_owners_demoted_at_once_leave_one_owner(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        // Both added before the server first loads the workspace (its index sees them then).
        for email in ["ann@example.com", "bo@example.com"] {
            app.add_member_as_operator("acme", email).await;
        }
        for email in ["ann@example.com", "bo@example.com"] {
            let (status, body) = app.call(reqwest::Method::PATCH, &format!("/v1/workspaces/acme/members/{email}"),
                &token, Some(json!({"kind": "owner"}))).await;
            assert_eq!(status, 200, "{body}");
        }
        // Whether or not both land in one shared transaction, the second sees the first.
        let paths = ["ann@example.com", "bo@example.com"].map(|email| format!("/v1/workspaces/acme/members/{email}"));
        let demotions = paths.iter().map(|path| {
            app.call(reqwest::Method::PATCH, path, &token, Some(json!({"kind": "member"})))
        });
        let answers = futures_util::future::join_all(demotions).await;
        let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{answers:?}");
        let (_, members) = app.get_json("/v1/workspaces/acme/members", &token).await;
        let owners = members["members"].as_array().unwrap().iter().filter(|m| m["kind"] == "owner").count();
        assert_eq!(owners, 1, "{members}");
    }
}
