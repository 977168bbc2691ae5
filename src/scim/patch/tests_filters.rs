//! PATCH with value filters (`emails[type eq "work"].value`) and on every
//! value of a multi-valued attribute (RFC 7644 §3.5.2).

use serde_json::json;

use super::tests_support::*;

#[test]
fn value_filter_with_sub_attribute() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w@x.y"}]),
    );
    assert_eq!(
        doc["emails"][0],
        json!({"value": "w@x.y", "type": "work", "primary": true})
    );
    assert_eq!(doc["emails"][1], bjensen()["emails"][1]);
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "path": "emails[TYPE eq \"HOME\"].display", "value": "Home"}]),
    );
    assert_eq!(doc["emails"][1]["display"], "Home");
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails[value ew \".org\" or type eq \"work\"].type", "value": "other"}]),
    );
    assert_eq!(
        (
            doc["emails"][0]["type"].as_str(),
            doc["emails"][1]["type"].as_str()
        ),
        (Some("other"), Some("other"))
    );
}

#[test]
fn value_filter_without_match_creates_the_value() {
    for op in ["add", "replace", "Replace"] {
        let doc = patched(
            &minimal(),
            json!([{"op": op, "path": "emails[type eq \"work\"].value", "value": "jo@work.example"}]),
        );
        assert_eq!(
            doc["emails"],
            json!([{"type": "work", "value": "jo@work.example"}]),
            "{op}"
        );
        let doc = patched(
            &bjensen(),
            json!([{"op": op, "path": "phoneNumbers[type eq \"mobile\" and primary eq true].value", "value": "+1 555"}]),
        );
        assert_eq!(
            doc["phoneNumbers"],
            json!([{"type": "mobile", "primary": true, "value": "+1 555"}]),
            "{op}"
        );
    }
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"}]),
    );
    assert_eq!(
        doc["addresses"],
        json!([{"type": "work", "streetAddress": "1 Main St"}])
    );
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {"locality": "Paris"}}]),
    );
    assert_eq!(
        doc["addresses"],
        json!([{"type": "work", "locality": "Paris"}])
    );
    // A filter that does not describe a value cannot create one.
    for path in [
        "emails[type ne \"work\"].value",
        "emails[type eq \"work\" or type eq \"home\"].value",
        "emails[value co \"@\"].value",
        "emails[not (type eq \"x\")].value",
    ] {
        assert_eq!(
            failure_type(
                &minimal(),
                json!([{"op": "replace", "path": path, "value": "a@b.c"}])
            ),
            "noTarget",
            "{path}"
        );
    }
}

#[test]
fn value_filter_without_sub_attribute() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "new@home.org", "type": "home"}}]),
    );
    assert_eq!(
        doc["emails"][1],
        json!({"value": "new@home.org", "type": "home"})
    );
    // add merges into the matching values
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "Home"}}]),
    );
    assert_eq!(
        doc["emails"][1],
        json!({"value": "babs@jensen.org", "type": "home", "display": "Home"})
    );
    let doc = patched(
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
    );
    assert_eq!(doc["emails"].as_array().unwrap().len(), 1);
    let doc = patched(
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq \"work\" or type eq \"home\"]"}]),
    );
    assert!(doc.get("emails").is_none());
    let doc = patched(
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq \"home\"].value"}, {"op": "remove", "path": "emails[type eq \"home\"].type"}]),
    );
    assert_eq!(
        doc["emails"].as_array().unwrap().len(),
        1,
        "emptied values are dropped"
    );
}

#[test]
fn remove_with_filter_matching_nothing_is_no_target() {
    for path in [
        "emails[type eq \"other\"]",
        "emails[type eq \"other\"].value",
        "addresses[type eq \"work\"]",
    ] {
        assert_eq!(
            failure_type(&bjensen(), json!([{"op": "remove", "path": path}])),
            "noTarget",
            "{path}"
        );
    }
    // replace with null is lenient
    let (doc, _) = run(
        user_schema(),
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": null}]),
    )
    .unwrap();
    assert_eq!(doc, bjensen());
}

#[test]
fn sub_attribute_of_every_value() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "remove", "path": "emails.primary"}]),
    );
    assert!(doc["emails"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("primary").is_none()));
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails.display", "value": "E"}]),
    );
    assert!(doc["emails"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["display"] == "E"));
    let doc = patched(
        &minimal(),
        json!([{"op": "add", "path": "roles.value", "value": "admin"}]),
    );
    assert_eq!(doc["roles"], json!([{"value": "admin"}]));
}

#[test]
fn remove_listed_values_of_a_multi_valued_attribute() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "remove", "path": "emails", "value": [{"value": "BABS@jensen.org"}]}]),
    );
    assert_eq!(doc["emails"].as_array().unwrap().len(), 1);
    let (doc, outcome) = run(
        user_schema(),
        &bjensen(),
        json!([{"op": "remove", "path": "emails", "value": [{"value": "nobody@x.y"}]}]),
    )
    .unwrap();
    assert_eq!((doc, outcome.changed), (bjensen(), false));
}

#[test]
fn value_filters_need_multi_valued_attributes() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    for path in [
        format!("{ent}:manager[value eq \"m\"].value"),
        "name[givenName eq \"B\"]".to_string(),
    ] {
        let ops = json!([{"op": "replace", "path": path, "value": "x"}]);
        assert_eq!(failure_type(&bjensen(), ops), "invalidPath", "{path}");
    }
}
