//! SCIM corners the IdPs reach and scim2-tester does not: racing creators, timestamp
//! filters at the rendered precision, versions that follow computed `groups`, and the
//! interoperability profile's error types.

use serde_json::{json, Value};

use crate::helpers::on_both_backends;
use crate::scim_support::{urlencode, Scim, GROUP, USER};

on_both_backends! {
    async fn racing_identical_user_posts_make_one_user_and_uniqueness_errors(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        // Entra and Okta retry a POST that timed out: the same body, several times at once.
        let body = json!({"schemas": [USER], "userName": "racer@example.com", "externalId": "r-1",
            "emails": [{"value": "racer@example.com", "type": "work", "primary": true}]});
        let posts = (0..8).map(|_| scim.post("/Users", body.clone()));
        let answers = futures_util::future::join_all(posts).await;
        assert_one_created_rest_uniqueness(&answers);
        let (_, list) = scim.get(&format!("/Users?filter={}", urlencode(r#"userName eq "racer@example.com""#))).await;
        assert_eq!(list["totalResults"], 1, "{list}");
    }

    async fn racing_identical_group_posts_make_one_group_and_uniqueness_errors(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let body = json!({"schemas": [GROUP], "displayName": "Racers", "members": []});
        let posts = (0..8).map(|_| scim.post("/Groups", body.clone()));
        let answers = futures_util::future::join_all(posts).await;
        assert_one_created_rest_uniqueness(&answers);
        let (_, list) = scim.get("/Groups").await;
        assert_eq!(list["totalResults"], 1, "{list}");
    }

    async fn meta_timestamp_filters_agree_with_the_rendered_values(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let id = scim.user("clock@example.com").await;
        scim.user("other@example.com").await;
        let (_, user) = scim.get(&format!("/Users/{id}")).await;
        let (_, group) = scim.post("/Groups", json!({"schemas": [GROUP], "displayName": "Clocks"})).await;
        for (resource, shown, endpoint) in [("User", &user, "/Users"), ("Group", &group, "/Groups")] {
            for attr in ["lastModified", "created"] {
                let at = shown["meta"][attr].as_str().unwrap();
                // Rendered with milliseconds, e.g. 2026-05-01T10:00:00.123Z.
                assert_eq!(at.len(), 24, "{at}");
                let earlier = (chrono::DateTime::parse_from_rfc3339(at).unwrap()
                    - chrono::Duration::milliseconds(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                for (op, value, found) in [
                    ("eq", at, true), ("ge", at, true), ("le", at, true),
                    ("gt", at, false), ("lt", at, false), ("ne", at, false),
                    ("gt", earlier.as_str(), true), ("eq", earlier.as_str(), false),
                ] {
                    let filter = format!(r#"meta.{attr} {op} "{value}" and id eq "{}""#, shown["id"].as_str().unwrap());
                    let (status, list) = scim.get(&format!("{endpoint}?filter={}", urlencode(&filter))).await;
                    assert_eq!(status, 200, "{filter}: {list}");
                    assert_eq!(list["totalResults"], u64::from(found), "{resource}: {filter}");
                }
            }
        }
    }

    async fn a_users_version_moves_when_its_groups_change(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let alice = scim.user("alice@example.com").await;
        let scim_group = scim.group("Engineers").await;
        let (_, service) = app.issue_token("acme", gatehouse::domain::TokenKind::Service).await;
        let (status, admin_group) = app.post("/v1/workspaces/acme/groups", &service, json!({"display_name": "Admins"})).await;
        assert_eq!(status, 201, "{admin_group}");
        let admin_group = admin_group["group"]["id"].as_str().unwrap().to_string();
        let user_path = format!("/Users/{alice}");
        let mut seen = conditional_get(&scim, &user_path, None).await;
        let steps: [(&str, Value); 6] = [
            ("joins by SCIM Group PATCH", json!({"scim": [{"op": "add", "path": "members", "value": [{"value": alice}]}]})),
            ("joins by the admin API", json!({"admin_add": alice})),
            ("its group is renamed", json!({"scim": [{"op": "replace", "path": "displayName", "value": "Engineering"}]})),
            ("leaves by SCIM Group PATCH", json!({"scim": [{"op": "remove", "path": format!("members[value eq \"{alice}\"]")}]})),
            ("joins again", json!({"scim": [{"op": "add", "path": "members", "value": [{"value": alice}]}]})),
            ("its group is deleted", json!({"delete": true})),
        ];
        for (what, step) in steps {
            // lastModified is shown to the millisecond: let one pass so it must move.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            if let Some(ops) = step.get("scim") {
                let (status, body) = scim.patch(&format!("/Groups/{scim_group}"), ops.clone()).await;
                assert_eq!(status, 204, "{what}: {body}");
            } else if step.get("admin_add").is_some() {
                let (status, body) = app.post(&format!("/v1/workspaces/acme/groups/{admin_group}/members"), &service,
                    json!({"member": "alice@example.com"})).await;
                assert_eq!(status, 200, "{what}: {body}");
            } else {
                let (status, body) = scim.send(reqwest::Method::DELETE, &format!("/Groups/{scim_group}"), None).await;
                assert_eq!(status, 204, "{what}: {body}");
            }
            let now = conditional_get(&scim, &user_path, Some(&seen.etag)).await;
            assert_ne!(now.etag, seen.etag, "{what}: the ETag must move");
            assert!(now.last_modified > seen.last_modified, "{what}: {} then {}", seen.last_modified, now.last_modified);
            assert_eq!(now.body["meta"]["version"], now.etag.as_str(), "{what}");
            seen = now;
        }
        let groups: Vec<&str> = seen.body["groups"].as_array().unwrap().iter().map(|g| g["display"].as_str().unwrap()).collect();
        assert_eq!(groups, ["Admins"]);
        // Nothing changed since: the same ETag is 304.
        let response = app.client.get(app.url(&format!("/scim/v2{user_path}"))).bearer_auth(&scim.token)
            .header("If-None-Match", &seen.etag).send().await.unwrap();
        assert_eq!(response.status(), 304);
    }

    async fn unknown_attributes_and_schemas_are_invalid_syntax(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let id = scim.user("known@example.com").await;
        let user = |extra: Value| {
            let mut body = json!({"schemas": [USER], "userName": "new@example.com"});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };
        for (what, method, path, body) in [
            ("unknown attribute", "POST", "/Users".to_string(), user(json!({"favouriteColour": "blue"}))),
            ("unknown sub-attribute", "POST", "/Users".to_string(), user(json!({"name": {"nickname2": "x"}}))),
            ("unknown schema URI", "POST", "/Users".to_string(),
                json!({"schemas": [USER, "urn:example:params:scim:schemas:extension:acme:2.0:User"], "userName": "x@example.com"})),
            ("unknown extension key", "POST", "/Users".to_string(),
                user(json!({"urn:example:params:scim:schemas:extension:acme:2.0:User": {"badge": "7"}}))),
            ("unknown attribute in PUT", "PUT", format!("/Users/{id}"), user(json!({"emails": [{"value": "known@example.com", "label": "x"}]}))),
            ("unknown attribute in a pathless PATCH", "PATCH", format!("/Users/{id}"),
                json!({"schemas": [crate::scim_support::PATCH], "Operations": [{"op": "replace", "value": {"shoeSize": 44}}]})),
            ("unknown schema URI on a Group", "POST", "/Groups".to_string(),
                json!({"schemas": [GROUP, USER], "displayName": "G"})),
        ] {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let (status, body) = scim.send(method, &path, Some(body)).await;
            assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidSyntax")), "{what}: {body}");
        }
        // Entra ID's group URN stays accepted (and ignored).
        let (status, body) = scim.post("/Groups", json!({"schemas": [GROUP,
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "displayName": "Entra"})).await;
        assert_eq!(status, 201, "{body}");
    }

    async fn type_sub_attributes_declare_canonical_values_and_the_profile_is_documented(app: TestApp) {
        let scim = Scim::new(&app, "acme").await;
        let (_, user) = scim.get(&format!("/Schemas/{USER}")).await;
        for attr in user["attributes"].as_array().unwrap() {
            if let Some(kind) = attr["subAttributes"].as_array().and_then(|subs| subs.iter().find(|s| s["name"] == "type")) {
                let values = kind["canonicalValues"].as_array();
                assert!(values.is_some_and(|v| !v.is_empty()), "{}.type declares no canonicalValues", attr["name"]);
            }
        }
        let (status, config) = scim.get("/ServiceProviderConfig").await;
        assert_eq!(status, 200);
        let doc_url = config["documentationUri"].as_str().unwrap();
        assert!(doc_url.starts_with(&app.address), "{doc_url}");
        let doc = app.client.get(doc_url).send().await.unwrap();
        assert_eq!(doc.status(), 200);
        let text = doc.text().await.unwrap();
        for needle in ["interoperability profile", "Deliberately not followed", "PATCH without `path`", "invalidSyntax"] {
            assert!(text.contains(needle), "{needle}");
        }
    }
}

/// A User as a conditional GET with `If-None-Match: old` answered it.
struct Seen {
    etag: String,
    last_modified: String,
    body: Value,
}

/// GET with `If-None-Match` (when given), which must answer 200 with a body.
async fn conditional_get(scim: &Scim<'_>, path: &str, if_none_match: Option<&str>) -> Seen {
    let mut request = scim
        .app
        .client
        .get(scim.app.url(&format!("/scim/v2{path}")))
        .bearer_auth(&scim.token);
    if let Some(etag) = if_none_match {
        request = request.header("If-None-Match", etag);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "the old ETag must not be 304");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    Seen {
        etag,
        last_modified: body["meta"]["lastModified"].as_str().unwrap().to_string(),
        body,
    }
}

/// Exactly one 201; every other answer a 409 with `scimType: uniqueness` (RFC 7644 §3.3).
fn assert_one_created_rest_uniqueness(answers: &[(u16, Value)]) {
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["scimType"], "uniqueness", "{body}");
    }
}
