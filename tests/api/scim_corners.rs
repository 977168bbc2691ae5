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
