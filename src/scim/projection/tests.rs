//! Tests of `attributes` / `excludedAttributes` projection (RFC 7644
//! §3.4.2.5) and attribute list parsing.

use serde_json::{json, Value};

use super::*;
use crate::scim::schema::{ENTERPRISE_USER_URN as ENT, USER_URN};

fn user_doc() -> Value {
    json!({
        "schemas": [USER_URN, ENT],
        "id": "u-1",
        "externalId": "e-1",
        "userName": "bjensen",
        "password": "secret",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "b@work.example", "type": "work", "primary": true},
            {"value": "b@home.example", "type": "home"}
        ],
        "active": true,
        "meta": {"resourceType": "User", "lastModified": "2024-01-01T00:00:00Z"},
        ENT: {"department": "R&D", "manager": {"value": "m-1", "displayName": "Boss"}},
        "x-internal": 7
    })
}

fn list(text: &str) -> Vec<AttrPath> {
    parse_attribute_list(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn with(attributes: &str, excluded: &str) -> Value {
    let (a, e) = (list(attributes), list(excluded));
    project(&user_doc(), ResourceSchema::user(), Some(&a), Some(&e))
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn default_drops_never_returned() {
    let out = project(&user_doc(), ResourceSchema::user(), None, None);
    let mut expected = user_doc();
    expected.as_object_mut().unwrap().remove("password");
    assert_eq!(out, expected);
    assert_eq!(with("", ""), expected, "empty lists mean absent parameters");
}

#[test]
fn attributes_limit_output() {
    let table: [(&str, Value); 12] = [
        (
            "userName",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "userName": "bjensen"}),
        ),
        (
            "USERNAME",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "userName": "bjensen"}),
        ),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "userName": "bjensen"}),
        ),
        (
            "name.givenName",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "name": {"givenName": "Barbara"}}),
        ),
        (
            "Name.FamilyName,active",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "name": {"familyName": "Jensen"}, "active": true}),
        ),
        (
            "emails.value",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "emails": [{"value": "b@work.example"}, {"value": "b@home.example"}]}),
        ),
        (
            "emails",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", "emails": user_doc()["emails"]}),
        ),
        ("password", json!({"schemas": [USER_URN, ENT], "id": "u-1"})),
        (
            "nosuch,name.nosuch",
            json!({"schemas": [USER_URN, ENT], "id": "u-1"}),
        ),
        (
            "department",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", ENT: {"department": "R&D"}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", ENT: {"manager": {"value": "m-1"}}}),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            json!({"schemas": [USER_URN, ENT], "id": "u-1", ENT: user_doc()[ENT]}),
        ),
    ];
    for (attributes, expected) in table {
        let a = list(attributes);
        assert_eq!(
            project(&user_doc(), ResourceSchema::user(), Some(&a), None),
            expected,
            "{attributes}"
        );
    }
    let out = with("meta.lastModified,emails.type", "");
    assert_eq!(out["meta"], json!({"lastModified": "2024-01-01T00:00:00Z"}));
    assert_eq!(out["emails"], json!([{"type": "work"}, {"type": "home"}]));
    assert!(
        out.get("x-internal").is_none(),
        "unknown keys only in default output"
    );
}

#[test]
fn excluded_attributes_remove() {
    let out = with("", "emails,name.familyName,id,nosuch");
    assert_eq!(
        keys(&out),
        [
            "active",
            "externalId",
            "id",
            "meta",
            "name",
            "schemas",
            ENT,
            "userName",
            "x-internal"
        ]
    );
    assert_eq!(out["name"], json!({"givenName": "Barbara"}));
    let out = with("", "EMAILS.TYPE,emails.primary,meta");
    assert_eq!(
        out["emails"],
        json!([{"value": "b@work.example"}, {"value": "b@home.example"}])
    );
    assert!(out.get("meta").is_none());
    let out = with("", ENT);
    assert!(out.get(ENT).is_none());
    let out = with("", "department,manager");
    assert!(
        out.get(ENT).is_none(),
        "the emptied extension disappears: {out}"
    );
    let out = with("", "name.givenName,name.familyName");
    assert!(out.get("name").is_none());
}

#[test]
fn attributes_then_excluded() {
    let out = with("name,userName", "name.givenName");
    assert_eq!(
        out,
        json!({"schemas": [USER_URN, ENT], "id": "u-1", "userName": "bjensen", "name": {"familyName": "Jensen"}})
    );
}

#[test]
fn returned_request_needs_asking() {
    use crate::scim::filter::AttrType;
    use crate::scim::schema::AttributeDef;
    let mut schema = ResourceSchema::user().clone();
    schema.core.attributes.push(
        AttributeDef::new("secretQuestion", AttrType::String, "test").returned(Returned::Request),
    );
    if let Some(name) = schema.core.attributes.iter_mut().find(|a| a.name == "name") {
        name.sub_attributes.push(
            AttributeDef::new("phonetic", AttrType::String, "test").returned(Returned::Request),
        );
    }
    let mut doc = user_doc();
    doc["secretQuestion"] = json!("pet?");
    doc["name"]["phonetic"] = json!("BAR-bra");
    let out = project(&doc, &schema, None, None);
    assert!(out.get("secretQuestion").is_none());
    assert_eq!(
        out["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen"})
    );
    let a = list("secretQuestion,name.phonetic");
    let out = project(&doc, &schema, Some(&a), None);
    assert_eq!(out["secretQuestion"], "pet?");
    assert_eq!(out["name"], json!({"phonetic": "BAR-bra"}));
    let a = list("name");
    let out = project(&doc, &schema, Some(&a), None);
    assert_eq!(
        out["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen"})
    );
}

#[test]
fn group_projection() {
    let doc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g-1",
        "displayName": "Eng",
        "members": [{"value": "u-1", "display": "B", "type": "User"}]
    });
    let a = list("displayName");
    let out = project(&doc, ResourceSchema::group(), Some(&a), None);
    assert_eq!(keys(&out), ["displayName", "id", "schemas"]);
    let e = list("members");
    let out = project(&doc, ResourceSchema::group(), None, Some(&e));
    assert!(out.get("members").is_none());
    let a = list("members.value");
    let out = project(&doc, ResourceSchema::group(), Some(&a), None);
    assert_eq!(out["members"], json!([{"value": "u-1"}]));
    assert_eq!(
        project(&json!("x"), ResourceSchema::group(), None, None),
        json!("x")
    );
}

#[test]
fn attribute_lists_parse() {
    let parsed = list(" userName, name.givenName ,,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value ");
    let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "userName",
            "name.givenName",
            &format!("{ENT}:manager.value")
        ]
    );
    assert!(list("").is_empty() && list(" , ").is_empty());
    for bad in [
        "emails[type eq \"work\"]",
        "bad name",
        "1abc",
        "name..x",
        "emails[type eq \"work\"].value",
    ] {
        let err = parse_attribute_list(bad).unwrap_err();
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some("invalidPath")),
            "{bad}"
        );
    }
}
