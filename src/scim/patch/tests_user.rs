//! PATCH semantics on a User (RFC 7644 §3.5.2.1–§3.5.2.3): paths,
//! multi-valued attributes, pathless operations, extension attributes.

use serde_json::json;

use super::tests_support::*;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// (operations, pointer, expected value at the pointer after the PATCH).
#[test]
fn simple_paths() {
    let table = [
        (
            json!([{"op": "replace", "path": "displayName", "value": "B"}]),
            "/displayName",
            json!("B"),
        ),
        (
            json!([{"op": "add", "path": "nickName", "value": "Babs"}]),
            "/nickName",
            json!("Babs"),
        ),
        (
            json!([{"op": "add", "path": "displayName", "value": "C"}]),
            "/displayName",
            json!("C"),
        ),
        (
            json!([{"op": "replace", "path": "active", "value": false}]),
            "/active",
            json!(false),
        ),
        (
            json!([{"op": "replace", "path": "name.givenName", "value": "Bab"}]),
            "/name",
            json!({"givenName": "Bab", "familyName": "Jensen"}),
        ),
        (
            json!([{"op": "add", "path": "name.middleName", "value": "J"}]),
            "/name/middleName",
            json!("J"),
        ),
        (
            json!([{"op": "replace", "path": "NAME.familyname", "value": "J"}]),
            "/name/familyName",
            json!("J"),
        ),
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Bab"}}]),
            "/name",
            json!({"givenName": "Bab", "familyName": "Jensen"}),
        ),
        (
            json!([{"op": "add", "path": "name", "value": {"formatted": "Ms B J"}}]),
            "/name/formatted",
            json!("Ms B J"),
        ),
        (
            json!([{"op": "replace", "path": "name", "value": {"familyName": null}}]),
            "/name",
            json!({"givenName": "Barbara"}),
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": "b@example.com"}]),
            "/userName",
            json!("b@example.com"),
        ),
        (
            json!([{"op": "replace", "path": "externalId", "value": "E-1"}]),
            "/externalId",
            json!("E-1"),
        ),
        (
            json!([{"op": "replace", "path": "password", "value": "s3cret!"}]),
            "/password",
            json!("s3cret!"),
        ),
        (
            json!([{"op": "replace", "path": "profileUrl", "value": "https://x/y"}]),
            "/profileUrl",
            json!("https://x/y"),
        ),
        (
            json!([{"op": "add", "path": "x509Certificates", "value": [{"value": "TUlJQw=="}]}]),
            "/x509Certificates",
            json!([{"value": "TUlJQw=="}]),
        ),
    ];
    for (ops, pointer, expected) in table {
        let doc = patched(&bjensen(), ops.clone());
        assert_eq!(doc.pointer(pointer), Some(&expected), "{ops}");
    }
}

#[test]
fn removes() {
    let table = [
        (
            json!([{"op": "remove", "path": "displayName"}]),
            "/displayName",
        ),
        (
            json!([{"op": "remove", "path": "name.givenName"}]),
            "/name/givenName",
        ),
        (json!([{"op": "remove", "path": "name"}]), "/name"),
        (json!([{"op": "remove", "path": "emails"}]), "/emails"),
        (
            json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]),
            "/name",
        ),
        (
            json!([{"op": "replace", "path": "displayName", "value": null}]),
            "/displayName",
        ),
        (
            json!([{"op": "replace", "path": "emails", "value": []}]),
            "/emails",
        ),
    ];
    for (ops, pointer) in table {
        let doc = patched(&bjensen(), ops.clone());
        assert_eq!(doc.pointer(pointer), None, "{ops}");
    }
}

#[test]
fn removing_missing_values_is_a_no_op() {
    for path in [
        "nickName",
        "name.middleName",
        "addresses",
        "phoneNumbers.value",
        &format!("{ENT}:department"),
    ] {
        let (doc, outcome) = run(
            user_schema(),
            &bjensen(),
            json!([{"op": "remove", "path": path}]),
        )
        .unwrap();
        assert_eq!(doc, bjensen(), "{path}");
        assert!(outcome.is_noop(), "{path}");
    }
}

#[test]
fn add_to_multi_valued_appends_without_duplicates() {
    let ops = json!([{"op": "add", "path": "emails", "value": [
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "b@other.org", "type": "other"}
    ]}]);
    let doc = patched(&bjensen(), ops);
    let emails = doc["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 3);
    assert_eq!(emails[2], json!({"value": "b@other.org", "type": "other"}));
    let single = patched(
        &minimal(),
        json!([{"op": "add", "path": "emails", "value": {"value": "a@b.c"}}]),
    );
    assert_eq!(single["emails"], json!([{"value": "a@b.c"}]));
}

#[test]
fn replace_multi_valued_replaces_all() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails", "value": [{"value": "new@x.y", "type": "work"}]}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "new@x.y", "type": "work"}]));
}

#[test]
fn extension_attributes() {
    let doc = patched(
        &minimal(),
        json!([
            {"op": "add", "path": format!("{ENT}:department"), "value": "R&D"},
            {"op": "add", "path": format!("{ENT}:manager.value"), "value": "m-1"},
            {"op": "add", "path": "costCenter", "value": "42"},
        ]),
    );
    assert_eq!(
        doc[ENT],
        json!({"department": "R&D", "manager": {"value": "m-1"}, "costCenter": "42"})
    );
    assert_eq!(
        doc["schemas"],
        json!([USER_URN, ENT]),
        "extension URN added to schemas"
    );
    let doc = patched(
        &doc,
        json!([
            {"op": "remove", "path": format!("{ENT}:department")},
            {"op": "remove", "path": format!("{ENT}:manager")},
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User:costCenter"},
        ]),
    );
    assert_eq!(doc, minimal(), "empty extension and its URN dropped");
}

#[test]
fn pathless_add_and_replace() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "value": {
            "nickName": "Babs",
            "name": {"middleName": "J"},
            "emails": [{"value": "x@y.z", "type": "other"}],
            "name.honorificPrefix": "Ms",
            format!("{ENT}:employeeNumber"): "701984",
            ENT: {"division": "Theme Park"},
            "schemas": ["ignored"],
        }}]),
    );
    assert_eq!(doc["nickName"], "Babs");
    assert_eq!(
        doc["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "J", "honorificPrefix": "Ms"})
    );
    assert_eq!(doc["emails"].as_array().unwrap().len(), 3);
    assert_eq!(
        doc[ENT],
        json!({"employeeNumber": "701984", "division": "Theme Park"})
    );
    assert_eq!(doc["schemas"], json!([USER_URN, ENT]));
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "value": {
            "emails": [{"value": "only@x.y"}],
            "DISPLAYNAME": "BJ",
            "userName": "bj",
        }}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "only@x.y"}]));
    assert_eq!(
        (doc["displayName"].as_str(), doc["userName"].as_str()),
        (Some("BJ"), Some("bj"))
    );
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "value": {"emails[type eq \"work\"].value": "w@x.y"}}]),
    );
    assert_eq!(doc["emails"][0]["value"], "w@x.y");
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "value": {USER_URN: {"nickName": "N"}}}]),
    );
    assert_eq!(doc["nickName"], "N");
}

#[test]
fn pathless_unknown_keys_are_invalid_syntax() {
    // Unknown attributes and schema URNs: the message does not follow the schema.
    for value in [
        json!({"nosuch": 1}),
        json!({"name.nosuch": "x"}),
        json!({"emails[": "x"}),
        json!({"urn:x:y:attr": 1}),
        json!({"urn:example:unknown:2.0:User": {"a": 1}}),
    ] {
        assert_eq!(
            failure_type(&bjensen(), json!([{"op": "add", "value": value.clone()}])),
            "invalidSyntax",
            "{value}"
        );
    }
    // A known extension with a value of the wrong type is a bad value, not bad syntax.
    assert_eq!(
        failure_type(&bjensen(), json!([{"op": "add", "value": {ENT: "x"}}])),
        "invalidValue"
    );
}

#[test]
fn stored_case_variants_are_canonicalised() {
    let mut doc = minimal();
    doc["DisplayName"] = json!("old");
    let out = patched(
        &doc,
        json!([{"op": "replace", "path": "displayName", "value": "new"}]),
    );
    assert_eq!(
        (out.get("DisplayName"), out["displayName"].as_str()),
        (None, Some("new"))
    );
}

#[test]
fn outcome_reports_changes() {
    let (_, outcome) = run(
        user_schema(),
        &bjensen(),
        json!([{"op": "replace", "path": "displayName", "value": "Babs Jensen"}]),
    )
    .unwrap();
    assert!(!outcome.changed && outcome.is_noop());
    let (_, outcome) = run(
        user_schema(),
        &bjensen(),
        json!([{"op": "replace", "path": "displayName", "value": "X"}]),
    )
    .unwrap();
    assert!(outcome.changed && outcome.members.is_empty());
}
