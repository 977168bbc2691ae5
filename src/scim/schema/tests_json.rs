//! Tests of the discovery JSON (`/Schemas`, `/ResourceTypes`) and of the
//! `schemas` check of resource bodies.

use serde_json::{json, Value};

use super::*;

fn check_attribute(attr: &Value) {
    for key in [
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
    ] {
        assert!(attr.get(key).is_some(), "{key} missing in {attr}");
    }
    assert!(["readOnly", "readWrite", "immutable", "writeOnly"]
        .contains(&attr["mutability"].as_str().unwrap()));
    assert!(["always", "never", "default", "request"].contains(&attr["returned"].as_str().unwrap()));
    assert!(["none", "server", "global"].contains(&attr["uniqueness"].as_str().unwrap()));
    match attr["type"].as_str().unwrap() {
        "complex" => {
            let subs = attr["subAttributes"].as_array().expect("subAttributes");
            assert!(!subs.is_empty());
            subs.iter().for_each(check_attribute);
        }
        "reference" => assert!(
            !attr["referenceTypes"].as_array().unwrap().is_empty(),
            "{attr}"
        ),
        "string" | "boolean" | "decimal" | "integer" | "dateTime" | "binary" => {
            assert!(attr.get("subAttributes").is_none());
        }
        other => panic!("unknown type {other}"),
    }
}

#[test]
fn schemas_json_shape() {
    let body = schemas_json("https://example.com/scim/v2/");
    assert_eq!(body["schemas"], json!([LIST_RESPONSE_URN]));
    assert_eq!(
        (body["totalResults"].as_u64(), body["startIndex"].as_u64()),
        (Some(3), Some(1))
    );
    let resources = body["Resources"].as_array().unwrap();
    let ids: Vec<&str> = resources
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [USER_URN, ENTERPRISE_USER_URN, GROUP_URN]);
    for resource in resources {
        assert_eq!(resource["schemas"], json!([SCHEMA_URN]));
        assert_eq!(resource["meta"]["resourceType"], "Schema");
        let location = format!(
            "https://example.com/scim/v2/Schemas/{}",
            resource["id"].as_str().unwrap()
        );
        assert_eq!(resource["meta"]["location"], location.as_str());
        assert!(resource["name"].is_string() && resource["description"].is_string());
        let attributes = resource["attributes"].as_array().unwrap();
        assert!(!attributes.is_empty());
        attributes.iter().for_each(check_attribute);
    }
    let user = &resources[0];
    let password = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "password")
        .unwrap();
    assert_eq!(
        (
            password["mutability"].as_str(),
            password["returned"].as_str()
        ),
        (Some("writeOnly"), Some("never"))
    );
}

#[test]
fn single_schema_json() {
    let user = schema_json("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", "http://h").unwrap();
    assert_eq!(user["id"], USER_URN);
    assert_eq!(
        user["meta"]["location"],
        format!("http://h/Schemas/{USER_URN}")
    );
    assert!(schema_json(ENTRA_GROUP_URN, "http://h").is_none());
    assert!(schema_json("nope", "http://h").is_none());
}

#[test]
fn resource_types_json_shape() {
    let body = resource_types_json("https://example.com/scim/v2");
    assert_eq!(body["schemas"], json!([LIST_RESPONSE_URN]));
    assert_eq!(body["totalResults"], 2);
    let user = &body["Resources"][0];
    assert_eq!(user["schemas"], json!([RESOURCE_TYPE_URN]));
    assert_eq!(
        (
            user["id"].as_str(),
            user["name"].as_str(),
            user["endpoint"].as_str()
        ),
        (Some("User"), Some("User"), Some("/Users"))
    );
    assert_eq!(user["schema"], USER_URN);
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": ENTERPRISE_USER_URN, "required": false}])
    );
    assert_eq!(
        user["meta"],
        json!({"resourceType": "ResourceType", "location": "https://example.com/scim/v2/ResourceTypes/User"})
    );
    let group = &body["Resources"][1];
    assert_eq!(
        (group["endpoint"].as_str(), group["schema"].as_str()),
        (Some("/Groups"), Some(GROUP_URN))
    );
    assert!(group.get("schemaExtensions").is_none());
    assert_eq!(
        resource_type_json("group", "http://h").unwrap()["id"],
        "Group"
    );
    assert!(resource_type_json("Device", "http://h").is_none());
}

#[test]
fn resource_schemas_check_schemas() {
    let user = ResourceSchema::user();
    let group = ResourceSchema::group();
    assert!(user.check_schemas(Some(&json!([USER_URN]))).is_ok());
    assert!(user
        .check_schemas(Some(&json!([USER_URN, ENTERPRISE_USER_URN.to_uppercase()])))
        .is_ok());
    assert!(group
        .check_schemas(Some(&json!([GROUP_URN, ENTRA_GROUP_URN])))
        .is_ok());
    assert!(group.is_ignored_urn(ENTRA_GROUP_URN) && !user.is_ignored_urn(ENTRA_GROUP_URN));
    let kind = |schema: &ResourceSchema, value: Option<Value>| {
        schema.check_schemas(value.as_ref()).unwrap_err().scim_type
    };
    assert_eq!(kind(user, None), Some("invalidSyntax"));
    assert_eq!(kind(user, Some(json!(USER_URN))), Some("invalidSyntax"));
    assert_eq!(kind(user, Some(json!([1]))), Some("invalidSyntax"));
    assert_eq!(
        kind(user, Some(json!([ENTERPRISE_USER_URN]))),
        Some("invalidValue")
    );
    assert_eq!(
        kind(user, Some(json!([USER_URN, ENTRA_GROUP_URN]))),
        Some("invalidSyntax")
    );
    assert_eq!(kind(group, Some(json!([USER_URN]))), Some("invalidSyntax"));
    assert_eq!(
        ResourceSchema::by_name("USER").map(|r| r.endpoint),
        Some("/Users")
    );
    assert!(ResourceSchema::by_name("Schema").is_none());
}
