//! Shared helpers for the PATCH tests: request builders and runners that
//! check atomicity (a failed PATCH leaves the document untouched).

use serde_json::{json, Value};

use super::*;

pub(super) use crate::scim::schema::{ENTERPRISE_USER_URN, USER_URN};

pub(super) fn user_schema() -> &'static ResourceSchema {
    ResourceSchema::user()
}

pub(super) fn group_schema() -> &'static ResourceSchema {
    ResourceSchema::group()
}

/// A PatchOp message holding `ops`.
pub(super) fn body(ops: Value) -> Value {
    json!({ "schemas": [PATCH_OP_URN], "Operations": ops })
}

/// Parses and applies `ops`; on error, asserts the document is unchanged.
pub(super) fn run(
    schema: &ResourceSchema,
    doc: &Value,
    ops: Value,
) -> Result<(Value, PatchOutcome), ScimError> {
    let parsed = parse_patch(&body(ops), schema)?;
    let mut work = doc.clone();
    match apply(&mut work, &parsed, schema) {
        Ok(outcome) => Ok((work, outcome)),
        Err(err) => {
            assert_eq!(
                &work, doc,
                "a failed PATCH must leave the document untouched"
            );
            Err(err)
        }
    }
}

/// The patched User document; panics on error.
pub(super) fn patched(doc: &Value, ops: Value) -> Value {
    run(user_schema(), doc, ops.clone())
        .unwrap_or_else(|e| panic!("{ops} should apply: {e}"))
        .0
}

/// The error of a User PATCH; panics on success.
pub(super) fn failure(doc: &Value, ops: Value) -> ScimError {
    match run(user_schema(), doc, ops.clone()) {
        Ok((doc, _)) => panic!("{ops} should fail, got {doc}"),
        Err(e) => e,
    }
}

/// The `scimType` of a User PATCH's error.
pub(super) fn failure_type(doc: &Value, ops: Value) -> &'static str {
    let err = failure(doc, ops);
    assert_eq!(err.status, 400, "{err}");
    err.scim_type.expect("a scimType")
}

/// A small stored User.
pub(super) fn bjensen() -> Value {
    json!({
        "schemas": [USER_URN],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "name": { "givenName": "Barbara", "familyName": "Jensen" },
        "displayName": "Babs Jensen",
        "active": true,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "meta": { "resourceType": "User", "created": "2024-01-02T03:04:05Z" }
    })
}

/// A stored User with only the required attributes.
pub(super) fn minimal() -> Value {
    json!({
        "schemas": [USER_URN],
        "id": "u-1",
        "userName": "jo@example.com"
    })
}

/// A stored Group (members are kept by storage, not in the document).
pub(super) fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        "displayName": "Engineering"
    })
}

/// Members delta of a Group PATCH; asserts the document kept no `members`.
pub(super) fn delta(ops: Value) -> MemberDelta {
    let (doc, outcome) = run(group_schema(), &group(), ops.clone())
        .unwrap_or_else(|e| panic!("{ops} should apply: {e}"));
    assert!(doc.get("members").is_none(), "members written into {doc}");
    outcome.members
}

pub(super) fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
