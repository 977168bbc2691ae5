//! JSON representations for the discovery endpoints: `/Schemas` (RFC 7643
//! §7, RFC 7644 §4) and `/ResourceTypes` (RFC 7643 §6), as list responses
//! (RFC 7644 §3.4.2) or single resources.

use serde_json::{json, Map, Value};

use super::{AttributeDef, ResourceSchema, SchemaDef, RESOURCE_TYPE_URN, SCHEMA_URN};
use crate::scim::filter::AttrType;

/// Schema URN of list responses (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Every distinct schema served (core schemas and extensions), in order.
fn all_schemas() -> Vec<&'static SchemaDef> {
    let mut out: Vec<&'static SchemaDef> = Vec::new();
    for resource in ResourceSchema::all() {
        for schema in std::iter::once(&resource.core).chain(&resource.extensions) {
            if !out.iter().any(|s| s.id == schema.id) {
                out.push(schema);
            }
        }
    }
    out
}

fn list_response(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": resources.len(),
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// One attribute with every characteristic of RFC 7643 §7 (`name`, `type`,
/// `multiValued`, `description`, `required`, `caseExact`, `mutability`,
/// `returned`, `uniqueness`), plus `canonicalValues` when defined,
/// `referenceTypes` for references and `subAttributes` for complex ones.
pub(super) fn attribute_json(attr: &AttributeDef) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), attr.name.into());
    out.insert("type".into(), attr.attr_type.to_string().into());
    out.insert("multiValued".into(), attr.multi_valued.into());
    out.insert("description".into(), attr.description.into());
    out.insert("required".into(), attr.required.into());
    out.insert("caseExact".into(), attr.case_exact.into());
    out.insert("mutability".into(), attr.mutability.as_str().into());
    out.insert("returned".into(), attr.returned.as_str().into());
    out.insert("uniqueness".into(), attr.uniqueness.as_str().into());
    if !attr.canonical_values.is_empty() {
        out.insert("canonicalValues".into(), attr.canonical_values.into());
    }
    if attr.attr_type == AttrType::Reference {
        out.insert("referenceTypes".into(), attr.reference_types.into());
    }
    if attr.attr_type == AttrType::Complex {
        let subs: Vec<Value> = attr.sub_attributes.iter().map(attribute_json).collect();
        out.insert("subAttributes".into(), subs.into());
    }
    Value::Object(out)
}

fn schema_resource(schema: &SchemaDef, base_url: &str) -> Value {
    let attributes: Vec<Value> = schema.attributes.iter().map(attribute_json).collect();
    json!({
        "schemas": [SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), schema.id),
        },
    })
}

/// The body of `GET /Schemas` (RFC 7644 §4, RFC 7643 §7): a list response of
/// every Schema resource, each with `meta.resourceType` `"Schema"` and
/// `meta.location` under `base_url` (e.g. `https://host/scim/v2`).
pub fn schemas_json(base_url: &str) -> Value {
    let resources = all_schemas()
        .into_iter()
        .map(|s| schema_resource(s, base_url))
        .collect();
    list_response(resources)
}

/// The body of `GET /Schemas/{id}` (RFC 7644 §4), or `None` for an unknown
/// URN (compared case-insensitively).
pub fn schema_json(id: &str, base_url: &str) -> Option<Value> {
    all_schemas()
        .into_iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| schema_resource(s, base_url))
}

fn resource_type_resource(resource: &ResourceSchema, base_url: &str) -> Value {
    let extensions: Vec<Value> = resource
        .extensions
        .iter()
        .map(|e| json!({ "schema": e.id, "required": false }))
        .collect();
    let mut out = json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": resource.name,
        "name": resource.name,
        "endpoint": resource.endpoint,
        "description": resource.description,
        "schema": resource.core.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), resource.name),
        },
    });
    if !extensions.is_empty() {
        out["schemaExtensions"] = extensions.into();
    }
    out
}

/// The body of `GET /ResourceTypes` (RFC 7644 §4, RFC 7643 §6): User (with
/// the Enterprise User extension in `schemaExtensions`) and Group.
pub fn resource_types_json(base_url: &str) -> Value {
    let resources = ResourceSchema::all()
        .into_iter()
        .map(|r| resource_type_resource(r, base_url))
        .collect();
    list_response(resources)
}

/// The body of `GET /ResourceTypes/{name}` (RFC 7644 §4), or `None` for an
/// unknown name (compared case-insensitively).
pub fn resource_type_json(name: &str, base_url: &str) -> Option<Value> {
    ResourceSchema::by_name(name).map(|r| resource_type_resource(r, base_url))
}
