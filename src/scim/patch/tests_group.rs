//! PATCH on Groups: `members` changes go to the [`MemberDelta`], never into
//! the document (Okta and Microsoft Entra ID request bodies included).

use serde_json::json;

use super::tests_support::*;
use super::*;

fn group_doc(ops: Value) -> (Value, PatchOutcome) {
    run(group_schema(), &group(), ops.clone()).unwrap_or_else(|e| panic!("{ops}: {e}"))
}

fn group_failure(ops: Value) -> ScimError {
    run(group_schema(), &group(), ops.clone()).expect_err(&ops.to_string())
}

#[test]
fn okta_group_push_rename_with_own_id() {
    let (doc, outcome) = group_doc(json!([{
        "op": "replace",
        "value": {"id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b", "displayName": "Test SCIMv2"}
    }]));
    assert_eq!(doc["displayName"], "Test SCIMv2");
    assert_eq!(doc["id"], "abf4dd94-a4c0-4f67-89c9-76b03340cb9b");
    assert!(outcome.changed && outcome.members.is_empty());
    let err = group_failure(
        json!([{"op": "replace", "value": {"id": "someone-else", "displayName": "X"}}]),
    );
    assert_eq!(err.scim_type, Some("mutability"));
}

#[test]
fn okta_add_and_remove_members() {
    let added = delta(json!([{
        "op": "add",
        "path": "members",
        "value": [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}]
    }]));
    assert_eq!(
        added,
        MemberDelta {
            add: ids(&["23a35c27-23d3-4c03-b4c5-6443c09e7173"]),
            ..Default::default()
        }
    );
    let removed = delta(
        json!([{"op": "remove", "path": "members[value eq \"23a35c27-23d3-4c03-b4c5-6443c09e7173\"]"}]),
    );
    assert_eq!(
        removed,
        MemberDelta {
            remove: ids(&["23a35c27-23d3-4c03-b4c5-6443c09e7173"]),
            ..Default::default()
        }
    );
}

#[test]
fn entra_add_and_remove_members() {
    let added = delta(
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}]),
    );
    assert_eq!(added.add, ids(&["f648f8d5ea4e4cd38e9c"]));
    let removed = delta(
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}]),
    );
    assert_eq!(
        removed,
        MemberDelta {
            remove: ids(&["f648f8d5ea4e4cd38e9c"]),
            ..Default::default()
        }
    );
}

#[test]
fn entra_many_members_in_one_add() {
    let members: Vec<Value> = (0..250)
        .map(|i| json!({"value": format!("user-{i}")}))
        .collect();
    let added = delta(json!([{"op": "Add", "path": "members", "value": members}]));
    assert_eq!(added.add.len(), 250);
    assert_eq!(
        (added.add[0].as_str(), added.add[249].as_str()),
        ("user-0", "user-249")
    );
}

#[test]
fn entra_rename_group() {
    let (doc, outcome) = group_doc(
        json!([{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]),
    );
    assert_eq!(
        doc["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    assert!(outcome.members.is_empty());
}

#[test]
fn member_operation_table() {
    let table = [
        (
            json!([{"op": "remove", "path": "members"}]),
            MemberDelta {
                replace_all: Some(vec![]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}, {"value": "a"}]}]),
            MemberDelta {
                replace_all: Some(ids(&["a", "b"])),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "replace", "path": "members", "value": []}]),
            MemberDelta {
                replace_all: Some(vec![]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "add", "value": {"members": [{"value": "a"}], "displayName": "Eng"}}]),
            MemberDelta {
                add: ids(&["a"]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "replace", "value": {"members": [{"value": "c"}]}}]),
            MemberDelta {
                replace_all: Some(ids(&["c"])),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\"]"}]),
            MemberDelta {
                remove: ids(&["a", "b"]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "add", "path": "MEMBERS", "value": {"value": "a"}}]),
            MemberDelta {
                add: ids(&["a"]),
                ..Default::default()
            },
        ),
        // Later operations fold into earlier ones.
        (
            json!([{"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}, {"op": "remove", "path": "members[value eq \"a\"]"}]),
            MemberDelta {
                add: ids(&["b"]),
                remove: ids(&["a"]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "remove", "path": "members", "value": [{"value": "a"}]}, {"op": "add", "path": "members", "value": [{"value": "a"}]}]),
            MemberDelta {
                add: ids(&["a"]),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}, {"op": "replace", "path": "members", "value": [{"value": "a"}]}, {"op": "add", "path": "members", "value": [{"value": "b"}]}, {"op": "remove", "path": "members[value eq \"a\"]"}]),
            MemberDelta {
                replace_all: Some(ids(&["b"])),
                ..Default::default()
            },
        ),
        (
            json!([{"op": "remove", "path": "members"}, {"op": "add", "path": "members", "value": [{"value": "n"}]}]),
            MemberDelta {
                replace_all: Some(ids(&["n"])),
                ..Default::default()
            },
        ),
    ];
    for (ops, expected) in table {
        assert_eq!(delta(ops.clone()), expected, "{ops}");
    }
}

#[test]
fn member_errors() {
    let table = [
        (
            json!([{"op": "add", "path": "members", "value": [{"display": "no value"}]}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "members", "value": ["plain-id"]}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"value": ""}]}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
            "invalidValue",
        ),
        (
            json!([{"op": "remove", "path": "members[display eq \"Babs\"]"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "remove", "path": "members[value ne \"a\"]"}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "members[value eq \"a\"]", "value": {"value": "b"}}]),
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "members[value eq \"a\"].value", "value": "b"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "members.display", "value": "b"}]),
            "mutability",
        ),
        (
            json!([{"op": "add", "path": "displayName", "value": 5}]),
            "invalidValue",
        ),
        (
            json!([{"op": "remove", "path": "displayName"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "userName", "value": "x"}]),
            "invalidPath",
        ),
    ];
    for (ops, scim_type) in table {
        assert_eq!(
            group_failure(ops.clone()).scim_type,
            Some(scim_type),
            "{ops}"
        );
    }
}

#[test]
fn stored_members_are_left_alone() {
    let mut doc = group();
    doc["members"] = json!([{"value": "old"}]);
    let (after, outcome) = run(
        group_schema(),
        &doc,
        json!([{"op": "remove", "path": "members"}]),
    )
    .unwrap();
    assert_eq!(after, doc);
    assert!(!outcome.changed && !outcome.is_noop());
}

#[test]
fn users_write_members_like_attributes_would() {
    // The User schema has no `members`; out-of-band handling is per schema.
    assert_eq!(
        failure_type(
            &bjensen(),
            json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}])
        ),
        "invalidPath"
    );
}
