//! PATCH value checks: data types (RFC 7643 §2.3), mutability (§2.2),
//! `primary` (§2.4), required attributes and atomicity.

use serde_json::json;

use super::tests_support::*;
use super::*;
use crate::scim::schema::Mutability;

#[test]
fn booleans_accept_true_and_false_strings() {
    for (given, expected) in [
        (json!("False"), false),
        (json!("TRUE"), true),
        (json!("false"), false),
        (json!(true), true),
    ] {
        let doc = patched(
            &bjensen(),
            json!([{"op": "replace", "path": "active", "value": given.clone()}]),
        );
        assert_eq!(doc["active"], json!(expected), "{given}");
        let doc = patched(
            &bjensen(),
            json!([{"op": "replace", "value": {"active": given.clone()}}]),
        );
        assert_eq!(doc["active"], json!(expected), "{given}");
    }
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "path": "emails[type eq \"home\"].primary", "value": "True"}]),
    );
    assert_eq!(doc["emails"][1]["primary"], json!(true));
}

#[test]
fn type_mismatches_are_invalid_value() {
    let table = [
        json!([{"op": "replace", "path": "active", "value": "yes"}]),
        json!([{"op": "replace", "path": "active", "value": 1}]),
        json!([{"op": "replace", "path": "displayName", "value": 12}]),
        json!([{"op": "replace", "path": "displayName", "value": {"x": 1}}]),
        json!([{"op": "replace", "path": "displayName", "value": ["a", "b"]}]),
        json!([{"op": "replace", "path": "userName", "value": true}]),
        json!([{"op": "replace", "path": "name", "value": ["a", "b"]}]),
        json!([{"op": "replace", "path": "name", "value": "Barbara"}]),
        json!([{"op": "replace", "path": "name.givenName", "value": 7}]),
        json!([{"op": "add", "path": "emails", "value": [{"value": 5}]}]),
        json!([{"op": "add", "path": "emails", "value": [{}]}]),
        json!([{"op": "add", "path": "emails", "value": [{"type": null}]}]),
        json!([{"op": "add", "path": "emails", "value": [[{"value": "a"}]]}]),
        json!([{"op": "add", "path": "emails[type eq \"work\"].primary", "value": "maybe"}]),
        json!([{"op": "add", "path": "x509Certificates", "value": [{"value": "not base64!"}]}]),
        json!([{"op": "replace", "value": {"active": "no"}}]),
        json!([{"op": "remove", "path": "emails", "value": [{"value": 3}]}]),
    ];
    for ops in table {
        assert_eq!(
            failure_type(&bjensen(), ops.clone()),
            "invalidValue",
            "{ops}"
        );
    }
    // Sub-attributes the schema does not know are `invalidSyntax`.
    for ops in [
        json!([{"op": "replace", "path": "name", "value": {"nosuch": "x"}}]),
        json!([{"op": "add", "path": "emails", "value": [{"bogus": "x"}]}]),
    ] {
        assert_eq!(
            failure_type(&bjensen(), ops.clone()),
            "invalidSyntax",
            "{ops}"
        );
    }
}

/// A User schema variant with an integer, a decimal, a dateTime and an
/// immutable attribute, to cover the types the standard schemas lack.
fn custom_schema() -> ResourceSchema {
    use crate::scim::filter::AttrType;
    use crate::scim::schema::AttributeDef;
    let mut schema = ResourceSchema::user().clone();
    let attrs = &mut schema.core.attributes;
    attrs.push(AttributeDef::new("loginCount", AttrType::Integer, "test"));
    attrs.push(AttributeDef::new("score", AttrType::Decimal, "test"));
    attrs.push(AttributeDef::new("hired", AttrType::DateTime, "test"));
    attrs.push(
        AttributeDef::new("badge", AttrType::String, "test").mutability(Mutability::Immutable),
    );
    if let Some(nick) = attrs.iter_mut().find(|a| a.name == "nickName") {
        nick.required = true;
    }
    schema
}

fn custom(doc: &Value, ops: Value) -> Result<Value, ScimError> {
    run(&custom_schema(), doc, ops).map(|(doc, _)| doc)
}

#[test]
fn numbers_and_dates_are_not_coerced() {
    let ok = [
        (
            json!({"op": "add", "path": "loginCount", "value": 3}),
            "loginCount",
            json!(3),
        ),
        (
            json!({"op": "add", "path": "score", "value": 2.5}),
            "score",
            json!(2.5),
        ),
        (
            json!({"op": "add", "path": "score", "value": 2}),
            "score",
            json!(2),
        ),
        (
            json!({"op": "add", "path": "hired", "value": "2024-05-06T07:08:09+02:00"}),
            "hired",
            json!("2024-05-06T07:08:09+02:00"),
        ),
    ];
    for (op, key, expected) in ok {
        let doc = custom(&minimal(), json!([op.clone()])).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert_eq!(doc[key], expected, "{op}");
    }
    let bad = [
        json!({"op": "add", "path": "loginCount", "value": "3"}),
        json!({"op": "add", "path": "loginCount", "value": 3.5}),
        json!({"op": "add", "path": "score", "value": "2.5"}),
        json!({"op": "add", "path": "hired", "value": "yesterday"}),
        json!({"op": "add", "path": "hired", "value": 1715000000}),
    ];
    for op in bad {
        let err = custom(&minimal(), json!([op.clone()])).unwrap_err();
        assert_eq!(err.scim_type, Some("invalidValue"), "{op}");
    }
}

#[test]
fn immutable_values_are_set_once() {
    let doc = custom(
        &minimal(),
        json!([{"op": "add", "path": "badge", "value": "B-1"}]),
    )
    .unwrap();
    assert_eq!(doc["badge"], "B-1");
    assert!(
        custom(
            &doc,
            json!([{"op": "replace", "path": "badge", "value": "B-1"}])
        )
        .is_ok(),
        "same value"
    );
    for ops in [
        json!([{"op": "replace", "path": "badge", "value": "B-2"}]),
        json!([{"op": "add", "value": {"badge": "B-2"}}]),
        json!([{"op": "remove", "path": "badge"}]),
    ] {
        let err = custom(&doc, ops.clone()).unwrap_err();
        assert_eq!(err.scim_type, Some("mutability"), "{ops}");
    }
}

#[test]
fn required_attributes_cannot_be_removed() {
    for ops in [
        json!([{"op": "remove", "path": "userName"}]),
        json!([{"op": "replace", "path": "userName", "value": null}]),
        json!([{"op": "replace", "value": {"userName": ""}}]),
    ] {
        assert_eq!(
            failure_type(&bjensen(), ops.clone()),
            "invalidValue",
            "{ops}"
        );
    }
    // Absent before: not this PATCH's doing.
    let err = custom(
        &minimal(),
        json!([{"op": "replace", "path": "displayName", "value": "x"}]),
    );
    assert!(err.is_ok());
}

#[test]
fn read_only_attributes() {
    let table = [
        json!([{"op": "replace", "path": "id", "value": "other"}]),
        json!([{"op": "remove", "path": "id"}]),
        json!([{"op": "replace", "value": {"id": "other"}}]),
        json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
        json!([{"op": "add", "value": {"meta": {"version": "W/\"1\""}}}]),
        json!([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}]),
        json!([{"op": "remove", "path": "groups[value eq \"g1\"]"}]),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "Boss"}]),
    ];
    for ops in table {
        assert_eq!(failure_type(&bjensen(), ops.clone()), "mutability", "{ops}");
    }
    // The resource's own id is ignored (Okta sends it).
    let (doc, outcome) = run(
        user_schema(),
        &bjensen(),
        json!([{"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646"}}]),
    )
    .unwrap();
    assert_eq!((doc, outcome.changed), (bjensen(), false));
    // Read-only sub-attributes inside a value are dropped.
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let doc = patched(
        &minimal(),
        json!([{"op": "add", "path": format!("{ent}:manager"), "value": {"value": "m-1", "displayName": "Boss"}}]),
    );
    assert_eq!(doc[ent]["manager"], json!({"value": "m-1"}));
}

#[test]
fn primary_is_unique() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "n@x.y", "primary": true}]}]),
    );
    let primaries: Vec<bool> = doc["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["primary"] == json!(true))
        .collect();
    assert_eq!(primaries, [false, false, true]);
    assert_eq!(doc["emails"][0]["primary"], json!(false));
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    assert_eq!(
        (
            doc["emails"][0]["primary"].clone(),
            doc["emails"][1]["primary"].clone()
        ),
        (json!(false), json!(true))
    );
    let doc = patched(
        &bjensen(),
        json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"]", "value": {"value": "1", "primary": true}}]),
    );
    assert_eq!(
        doc["emails"][0]["primary"],
        json!(true),
        "other attributes untouched"
    );
    let two = json!([{"op": "add", "path": "emails", "value": [{"value": "a@x.y", "primary": true}, {"value": "b@x.y", "primary": true}]}]);
    assert_eq!(failure_type(&bjensen(), two), "invalidValue");
}

#[test]
fn failures_leave_the_document_untouched() {
    // `run` asserts the document is unchanged on every failure; here the
    // failing operation comes after successful ones.
    let table = [
        json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "add", "path": "emails", "value": [{"value": "x@y.z"}]},
            {"op": "replace", "path": "active", "value": "nope"}
        ]),
        json!([
            {"op": "remove", "path": "emails"},
            {"op": "remove", "path": "emails[type eq \"work\"]"}
        ]),
        json!([
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "x"},
            {"op": "replace", "path": "id", "value": "y"}
        ]),
    ];
    for ops in table {
        let err = failure(&bjensen(), ops.clone());
        assert!(err.detail.starts_with("Operations["), "{}", err.detail);
    }
}

#[test]
fn single_element_arrays_are_unwrapped_for_single_values() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "path": "displayName", "value": ["Solo"]}]),
    );
    assert_eq!(doc["displayName"], "Solo");
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let doc = patched(
        &minimal(),
        json!([{"op": "add", "path": format!("{ent}:manager"), "value": [{"value": "m-2"}]}]),
    );
    assert_eq!(doc[ent]["manager"], json!({"value": "m-2"}));
}

#[test]
fn scalars_for_complex_values_become_value_sub_attributes() {
    let doc = patched(
        &minimal(),
        json!([{"op": "replace", "value": {"emails": "plain@x.y"}}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "plain@x.y"}]));
    let doc = patched(
        &minimal(),
        json!([{"op": "add", "path": "roles", "value": ["a", "b"]}]),
    );
    assert_eq!(doc["roles"], json!([{"value": "a"}, {"value": "b"}]));
}

#[test]
fn add_with_empty_value_is_a_no_op() {
    for value in [json!(null), json!([])] {
        let (doc, outcome) = run(
            user_schema(),
            &bjensen(),
            json!([{"op": "add", "path": "emails", "value": value.clone()}]),
        )
        .unwrap();
        assert_eq!((doc, outcome.changed), (bjensen(), false), "{value}");
    }
}
