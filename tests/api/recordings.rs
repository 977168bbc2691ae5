//! Replays the request sequences that Okta and Microsoft Entra ID send, as recorded (from the
//! vendors' public documentation) under `conformance/recordings/{okta,entra}/*.json`, against
//! a real server on both backends.
//!
//! A recording is an ordered list of steps:
//!
//! ```json
//! { "name": "…",
//!   "request": { "method": "PATCH", "path": "/Users/{{user_id}}", "headers": {…}?, "body": {…}? },
//!   "expect":  { "status": 200, "body_contains": {…}?, "body_lacks": ["/password"]?,
//!                "capture": { "user_id": "/id" }? },
//!   "known_bug": "…"? }
//! ```
//!
//! `path` is relative to `/scim/v2` and written as the IdP writes it (spaces and quotes in
//! filters are percent-encoded when sent). `{{var}}` anywhere in a request or an expectation is
//! replaced by a value captured (JSON pointer) from an earlier response; a string that is
//! exactly `"{{var}}"` becomes the captured JSON value itself. `{{base}}` is the SCIM base URL.
//! `body_contains` is a subset: objects need the listed keys, arrays need each expected element
//! to be contained in some element. `body_lacks` lists pointers that must not resolve.
//! A step's `known_bug` (a server bug reported, not yet fixed) is printed with its failure.
//!
//! Every step runs even after one fails (unless a capture it needs is missing), and the test
//! then fails listing every failed step of the file.

use std::collections::BTreeMap;

use gatehouse::domain::TokenKind;
use serde_json::Value;

use crate::helpers::{on_both_backends, TestApp};

const RECORDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/recordings");

/// Every recording, each replayed by one test below (`every_recording_is_replayed` keeps this
/// list in step with the files on disk).
const FILES: &[&str] = &[
    "okta/01-spec-test.json",
    "okta/02-user-lifecycle.json",
    "okta/03-group-push.json",
    "entra/01-users.json",
    "entra/02-groups.json",
];

on_both_backends! {
    async fn okta_spec_test(app: TestApp) {
        replay(&app, "okta/01-spec-test.json").await
    }

    async fn okta_user_lifecycle(app: TestApp) {
        replay(&app, "okta/02-user-lifecycle.json").await
    }

    async fn okta_group_push(app: TestApp) {
        replay(&app, "okta/03-group-push.json").await
    }

    async fn entra_users(app: TestApp) {
        replay(&app, "entra/01-users.json").await
    }

    async fn entra_groups(app: TestApp) {
        replay(&app, "entra/02-groups.json").await
    }
}

#[test]
fn every_recording_is_replayed() {
    let mut on_disk = Vec::new();
    for vendor in std::fs::read_dir(RECORDINGS).expect("conformance/recordings") {
        let vendor = vendor.unwrap().path();
        if !vendor.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&vendor).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                let relative = file.strip_prefix(RECORDINGS).unwrap();
                on_disk.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "tests/api/recordings.rs must replay every file under conformance/recordings (FILES and a test each)"
    );
    for file in FILES {
        let steps = load(file);
        assert!(!steps.is_empty(), "{file} has no steps");
        for (i, step) in steps.iter().enumerate() {
            for key in ["name", "request", "expect"] {
                assert!(step.get(key).is_some(), "{file} step {}: no {key}", i + 1);
            }
            assert!(
                step["expect"]["status"].is_u64(),
                "{file} step {}: expect.status must be a number",
                i + 1
            );
        }
    }
}

fn load(file: &str) -> Vec<Value> {
    let path = format!("{RECORDINGS}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    match serde_json::from_str(&text) {
        Ok(Value::Array(steps)) => steps,
        Ok(_) => panic!("{path}: a recording is a JSON array of steps"),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Replays one recording in a fresh workspace with a SCIM token; panics listing every failed step.
async fn replay(app: &TestApp, file: &str) {
    app.create_workspace("idp").await;
    let (_, token) = app.issue_token("idp", TokenKind::Scim).await;
    let base = app.url("/scim/v2");
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    vars.insert("base".into(), Value::String(base.clone()));

    let steps = load(file);
    let mut failures: Vec<String> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let label = format!(
            "{file} step {} \"{}\"",
            i + 1,
            step["name"].as_str().unwrap_or("?")
        );
        let (request, expect) = match (
            substitute(&step["request"], &vars),
            substitute(&step["expect"], &vars),
        ) {
            (Ok(r), Ok(e)) => (r, e),
            (Err(missing), _) | (_, Err(missing)) => {
                failures.push(format!(
                    "{label}: needs {{{{{missing}}}}}, which an earlier step failed to capture; \
                     the rest of the file was not run"
                ));
                break;
            }
        };

        let method = request["method"].as_str().expect("request.method");
        let path = request["path"].as_str().expect("request.path");
        // The recording's headers replace the defaults (never added twice).
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("Accept", "application/scim+json".parse().unwrap());
        let body = request.get("body").filter(|b| !b.is_null());
        if body.is_some() {
            headers.insert("Content-Type", "application/scim+json".parse().unwrap());
        }
        for (name, value) in request
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let name =
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
            let value = value.as_str().expect("header values are strings");
            headers.insert(name, value.parse().expect("a header value"));
        }
        let mut builder = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method"),
                format!("{base}{path}"),
            )
            .headers(headers)
            .bearer_auth(&token);
        if let Some(body) = body {
            builder = builder.body(serde_json::to_vec(body).unwrap());
        }
        let response = builder.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let actual: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };

        let mut problems = Vec::new();
        let want_status = expect["status"].as_u64().expect("expect.status");
        if u64::from(status) != want_status {
            problems.push(format!("status {status}, expected {want_status}"));
        }
        if let Some(expected) = expect.get("body_contains") {
            if let Err(why) = json_contains(expected, &actual) {
                problems.push(format!("body does not contain the expected: {why}"));
            }
        }
        for pointer in expect
            .get("body_lacks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pointer = pointer.as_str().expect("body_lacks holds JSON pointers");
            if actual.pointer(pointer).is_some() {
                problems.push(format!("body has {pointer}, which it must not"));
            }
        }
        for (var, pointer) in expect
            .get("capture")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let pointer = pointer.as_str().expect("capture values are JSON pointers");
            match actual.pointer(pointer) {
                Some(value) => {
                    vars.insert(var.clone(), value.clone());
                }
                None => problems.push(format!("nothing at {pointer} to capture as {{{{{var}}}}}")),
            }
        }

        if !problems.is_empty() {
            let known = step
                .get("known_bug")
                .and_then(Value::as_str)
                .map(|b| format!("\n    KNOWN SERVER BUG: {b}"))
                .unwrap_or_default();
            let sent = body.map(|b| format!(" {b}")).unwrap_or_default();
            let shown: String = text.chars().take(800).collect();
            failures.push(format!(
                "{label}: {}{known}\n    sent: {method} {path}{sent}\n    got:  {status} {shown}",
                problems.join("; ")
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} steps of conformance/recordings/{file} failed:\n\n{}\n",
        failures.len(),
        steps.len(),
        failures.join("\n\n")
    );
}

/// `value` with every `{{var}}` replaced; `Err(var)` names a variable nobody captured.
fn substitute(value: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
                if is_var_name(name) {
                    return vars.get(name).cloned().ok_or_else(|| name.to_string());
                }
            }
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(len) = rest[start + 2..].find("}}") else {
                    break;
                };
                let name = &rest[start + 2..start + 2 + len];
                if !is_var_name(name) {
                    out.push_str(&rest[..start + 2]);
                    rest = &rest[start + 2..];
                    continue;
                }
                out.push_str(&rest[..start]);
                match vars.get(name) {
                    Some(Value::String(v)) => out.push_str(v),
                    Some(other) => out.push_str(&other.to_string()),
                    None => return Err(name.to_string()),
                }
                rest = &rest[start + 2 + len + 2..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn is_var_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `actual` contains `expected`: objects have (at least) the expected keys with
/// contained values, arrays have each expected element contained in some actual element,
/// scalars are equal. `Err` says where (JSON pointer) and why not.
fn json_contains(expected: &Value, actual: &Value) -> Result<(), String> {
    contains_at(expected, actual, "")
}

fn contains_at(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    let here = if at.is_empty() { "/" } else { at };
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match got.get(key) {
                    Some(found) => contains_at(value, found, &pointer)?,
                    None => return Err(format!("{pointer}: missing (expected {value})")),
                }
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(got)) => {
            for (i, item) in want.iter().enumerate() {
                if !got.iter().any(|g| contains_at(item, g, "").is_ok()) {
                    return Err(format!(
                        "{at}/{i}: no element contains {item}; the array is {actual}"
                    ));
                }
            }
            Ok(())
        }
        (Value::Object(_), _) => Err(format!("{here}: expected an object, got {actual}")),
        (Value::Array(_), _) => Err(format!("{here}: expected an array, got {actual}")),
        _ if expected == actual => Ok(()),
        _ => Err(format!("{here}: expected {expected}, got {actual}")),
    }
}

#[test]
fn json_contains_follows_its_rules() {
    use serde_json::json;
    let actual = json!({
        "id": "u1", "active": false, "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}]
    });
    assert!(json_contains(&json!({}), &actual).is_ok());
    assert!(json_contains(&json!({"name": {"givenName": "A"}}), &actual).is_ok());
    assert!(json_contains(
        &json!({"emails": [{"type": "home"}, {"value": "a@x"}]}),
        &actual
    )
    .is_ok());
    assert!(json_contains(&json!({"emails": []}), &actual).is_ok());

    let err = json_contains(&json!({"active": true}), &actual).unwrap_err();
    assert!(err.starts_with("/active:"), "{err}");
    let err = json_contains(&json!({"name": {"middleName": "C"}}), &actual).unwrap_err();
    assert!(err.starts_with("/name/middleName: missing"), "{err}");
    let err = json_contains(&json!({"emails": [{"type": "other"}]}), &actual).unwrap_err();
    assert!(err.starts_with("/emails/0: no element"), "{err}");
    assert!(
        json_contains(&json!({"active": "false"}), &actual).is_err(),
        "no type coercion"
    );
    assert!(json_contains(&json!({"id": 1}), &actual).is_err());
    assert!(json_contains(&json!([1]), &json!({"a": 1})).is_err());
}

#[test]
fn substitute_replaces_captured_values() {
    use serde_json::json;
    let mut vars = BTreeMap::new();
    vars.insert("id".to_string(), json!("abc"));
    vars.insert("n".to_string(), json!(3));
    let got = substitute(
        &json!({"path": "/Users/{{id}}?x={{n}}", "whole": "{{n}}", "keep": "{{not a var}}", "list": ["{{id}}"]}),
        &vars,
    )
    .unwrap();
    assert_eq!(
        got,
        json!({"path": "/Users/abc?x=3", "whole": 3, "keep": "{{not a var}}", "list": ["abc"]})
    );
    assert_eq!(
        substitute(&json!("x {{missing}}"), &vars),
        Err("missing".to_string())
    );
}
