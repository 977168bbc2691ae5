//! Tests of `parse_patch`: the PatchOp message structure (RFC 7644 §3.5.2).

use serde_json::json;

use super::tests_support::*;
use super::*;

fn parse(body: Value) -> Result<Vec<PatchOp>, ScimError> {
    parse_patch(&body, user_schema())
}

fn parse_err(body: Value) -> (u16, &'static str) {
    let err = parse(body.clone()).expect_err(&body.to_string());
    (err.status, err.scim_type.expect("scimType"))
}

#[test]
fn message_structure_errors() {
    let op = json!({"op": "add", "path": "displayName", "value": "x"});
    let table = [
        (json!([]), "invalidSyntax"),
        (json!({"Operations": [op]}), "invalidSyntax"),
        (
            json!({"schemas": "urn:ietf:params:scim:api:messages:2.0:PatchOp", "Operations": [op]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [USER_URN], "Operations": [op]}),
            "invalidSyntax",
        ),
        (json!({"schemas": [PATCH_OP_URN]}), "invalidSyntax"),
        (
            json!({"schemas": [PATCH_OP_URN], "Operations": []}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP_URN], "Operations": op}),
            "invalidSyntax",
        ),
        (body(json!(["add"])), "invalidSyntax"),
        (
            body(json!([{"op": "move", "path": "displayName"}])),
            "invalidSyntax",
        ),
        (
            body(json!([{"op": 1, "path": "displayName"}])),
            "invalidSyntax",
        ),
        (
            body(json!([{"path": "displayName", "value": "x"}])),
            "invalidSyntax",
        ),
        (
            body(json!([{"op": "add", "path": 3, "value": "x"}])),
            "invalidSyntax",
        ),
        (body(json!([{"op": "remove"}])), "noTarget"),
        (body(json!([{"op": "remove", "path": ""}])), "noTarget"),
        (
            body(json!([{"op": "add", "path": "displayName"}])),
            "invalidValue",
        ),
        (body(json!([{"op": "replace"}])), "invalidValue"),
        (body(json!([{"op": "add", "value": "x"}])), "invalidValue"),
        (
            body(json!([{"op": "replace", "value": [{"displayName": "x"}]}])),
            "invalidValue",
        ),
        (
            body(json!([{"op": "add", "path": "emails[", "value": "x"}])),
            "invalidPath",
        ),
        (
            body(json!([{"op": "add", "path": "nosuch", "value": "x"}])),
            "invalidPath",
        ),
        (
            body(json!([{"op": "add", "path": "name.nosuch", "value": "x"}])),
            "invalidPath",
        ),
        (
            body(json!([{"op": "remove", "path": "emails[nosuch eq 1]"}])),
            "invalidPath",
        ),
        (
            body(json!([{"op": "remove", "path": "active[value eq true]"}])),
            "invalidPath",
        ),
        (
            body(json!([{"op": "remove", "path": "urn:example:nope:attr"}])),
            "invalidPath",
        ),
    ];
    for (message, scim_type) in table {
        assert_eq!(parse_err(message.clone()), (400, scim_type), "{message}");
    }
}

#[test]
fn op_names_and_operations_key_are_case_insensitive() {
    for (name, kind) in [
        ("add", OpKind::Add),
        ("Add", OpKind::Add),
        ("ADD", OpKind::Add),
        ("replace", OpKind::Replace),
        ("Replace", OpKind::Replace),
        ("remove", OpKind::Remove),
        ("Remove", OpKind::Remove),
    ] {
        for key in ["Operations", "operations", "OPERATIONS"] {
            let message = json!({
                "schemas": [PATCH_OP_URN],
                key: [{"op": name, "path": "displayName", "value": "x"}],
            });
            let ops = parse(message).expect(name);
            assert_eq!(ops[0].op, kind, "{name}");
        }
    }
}

#[test]
fn error_names_the_operation() {
    let message = body(json!([
        {"op": "add", "path": "displayName", "value": "x"},
        {"op": "add", "path": "bogus", "value": "x"}
    ]));
    let err = parse(message).unwrap_err();
    assert!(err.detail.starts_with("Operations[1]: "), "{}", err.detail);
}

#[test]
fn parsed_operations_keep_path_and_value() {
    let ops = parse(body(json!([
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@b.c"},
        {"op": "add", "path": "  ", "value": {"nickName": "Babs"}},
        {"op": "remove", "path": "emails", "value": null},
    ])))
    .unwrap();
    let path = ops[0].path.as_ref().unwrap();
    assert_eq!(path.attr.path.to_string(), "emails");
    assert!(path.value_filter.is_some());
    assert_eq!(
        path.sub_attr.as_ref().unwrap().path.to_string(),
        "emails.value"
    );
    assert_eq!(
        ops[0].path_text.as_deref(),
        Some("emails[type eq \"work\"].value")
    );
    assert_eq!(ops[0].value, Some(json!("a@b.c")));
    assert_eq!(
        (ops[1].path.is_none(), ops[1].path_text.is_none()),
        (true, true)
    );
    assert_eq!(ops[2].value, Some(Value::Null));
}

#[test]
fn paths_resolve_case_insensitively_and_with_urns() {
    let ops = parse(body(json!([
        {"op": "add", "path": "NAME.GIVENNAME", "value": "x"},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "x"},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "x"},
        {"op": "add", "path": "department", "value": "x"},
    ])))
    .unwrap();
    let canonical: Vec<String> = ops
        .iter()
        .map(|op| op.path.as_ref().unwrap().attr.path.to_string())
        .collect();
    assert_eq!(
        canonical,
        [
            "name.givenName".to_string(),
            "displayName".to_string(),
            format!("{ENTERPRISE_USER_URN}:manager.value"),
            format!("{ENTERPRISE_USER_URN}:department"),
        ]
    );
}

#[test]
fn remove_may_carry_a_value() {
    let ops = parse(body(json!([
        {"op": "remove", "path": "emails", "value": [{"value": "x@y.z"}]}
    ])))
    .unwrap();
    assert_eq!(ops[0].op, OpKind::Remove);
    assert!(ops[0].value.is_some());
}

#[test]
fn pathless_remove_applied_directly_is_no_target() {
    let op = PatchOp {
        op: OpKind::Remove,
        path: None,
        path_text: None,
        value: None,
    };
    let mut doc = bjensen();
    let err = apply(&mut doc, &[op], user_schema()).unwrap_err();
    assert_eq!(err.scim_type, Some("noTarget"));
    assert_eq!(doc, bjensen());
}

#[test]
fn apply_refuses_non_object_documents() {
    let mut doc = json!([1, 2]);
    let err = apply(&mut doc, &[], user_schema()).unwrap_err();
    assert_eq!(err.status, 500);
}
