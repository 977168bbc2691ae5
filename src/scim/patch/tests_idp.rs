//! The PATCH requests Okta and Microsoft Entra ID send to User endpoints, as
//! shown in their public SCIM integration documentation.

use serde_json::{json, Value};

use super::tests_support::*;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn full(message: Value) -> Value {
    let ops = message["Operations"].clone();
    assert_eq!(
        message,
        body(ops.clone()),
        "test bodies are full PatchOp messages"
    );
    ops
}

#[test]
fn okta_deactivate_user() {
    let ops = full(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]
    }));
    let (doc, outcome) = run(user_schema(), &bjensen(), ops).unwrap();
    assert_eq!(doc["active"], json!(false));
    assert!(outcome.changed);
}

#[test]
fn okta_password_change() {
    let ops = json!([{"op": "replace", "value": {"password": "t1meMa$heen"}}]);
    assert_eq!(patched(&bjensen(), ops)["password"], "t1meMa$heen");
}

#[test]
fn entra_update_multi_and_single_valued() {
    let ops = full(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
        ]
    }));
    let doc = patched(&bjensen(), ops.clone());
    assert_eq!(doc["emails"][0]["value"], "updatedEmail@microsoft.com");
    assert_eq!(doc["name"]["familyName"], "updatedFamilyName");
    // A user provisioned without emails: the work email is created.
    let doc = patched(&minimal(), ops);
    assert_eq!(
        doc["emails"],
        json!([{"type": "work", "value": "updatedEmail@microsoft.com"}])
    );
    assert_eq!(doc["name"], json!({"familyName": "updatedFamilyName"}));
}

#[test]
fn entra_user_name_and_disable() {
    let doc = patched(
        &bjensen(),
        json!([
            {"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}
        ]),
    );
    assert_eq!(
        doc["userName"],
        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    );
    for value in [json!(false), json!("False")] {
        let doc = patched(
            &bjensen(),
            json!([{"op": "Replace", "path": "active", "value": value}]),
        );
        assert_eq!(doc["active"], json!(false));
    }
    let doc = patched(
        &bjensen(),
        json!([{"op": "Replace", "value": {"active": "False"}}]),
    );
    assert_eq!(doc["active"], json!(false));
}

#[test]
fn entra_manager_as_plain_id() {
    for op in ["Add", "Replace"] {
        let doc = patched(
            &minimal(),
            json!([{
                "op": op,
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": "2819c223-7f76-453a-919d-413861904646"
            }]),
        );
        assert_eq!(
            doc[ENT],
            json!({"manager": {"value": "2819c223-7f76-453a-919d-413861904646"}}),
            "{op}"
        );
        assert_eq!(doc["schemas"], json!([USER_URN, ENT]));
        let doc = patched(
            &doc,
            json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
        );
        assert_eq!(doc, minimal(), "{op}");
    }
    let doc = patched(
        &minimal(),
        json!([{"op": "Add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "m-9"}}]),
    );
    assert_eq!(doc[ENT]["manager"], json!({"value": "m-9"}));
}

#[test]
fn entra_pathless_replace_with_dotted_keys() {
    let doc = patched(
        &bjensen(),
        json!([{"op": "replace", "value": {"name.givenName": "Jo", "name.familyName": "Do"}}]),
    );
    assert_eq!(doc["name"], json!({"givenName": "Jo", "familyName": "Do"}));
    let doc = patched(
        &minimal(),
        json!([{"op": "Add", "value": {
            "displayName": "Jo Do",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "123",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
            "addresses[type eq \"work\"].locality": "Lyon"
        }}]),
    );
    assert_eq!(
        doc[ENT],
        json!({"employeeNumber": "123", "department": "Sales"})
    );
    assert_eq!(
        doc["addresses"],
        json!([{"type": "work", "locality": "Lyon"}])
    );
}

#[test]
fn entra_add_attributes_with_value_paths() {
    let doc = patched(
        &minimal(),
        json!([
            {"op": "Add", "path": "externalId", "value": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 425 555 0100"},
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 425 555 0101"},
            {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Microsoft Way"},
            {"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "98052"},
            {"op": "Add", "path": "title", "value": "Engineer"}
        ]),
    );
    assert_eq!(
        doc["phoneNumbers"],
        json!([
            {"type": "mobile", "value": "+1 425 555 0100"},
            {"type": "work", "value": "+1 425 555 0101"}
        ])
    );
    assert_eq!(
        doc["addresses"],
        json!([{"type": "work", "streetAddress": "1 Microsoft Way", "postalCode": "98052"}])
    );
    assert_eq!(doc["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
}
