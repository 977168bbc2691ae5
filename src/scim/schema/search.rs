//! The search document of a resource: its SCIM document with every string value of a
//! `caseExact: false` attribute case-folded by the one rule of
//! [`crate::domain::case_fold`]. Filters and `sortBy` read it (values are folded the same way
//! in Rust), responses read the document as sent, so case-insensitive matching is the same on
//! PostgreSQL and SQLite and follows the `caseExact` each attribute declares in `/Schemas`.

use serde_json::{Map, Value};

use super::{find, AttributeDef, ResourceSchema};
use crate::domain::case_fold::fold_case;
use crate::scim::filter::AttrType;

/// The search copy of a User or Group document ([`crate::domain::query::SearchDocument`]).
pub fn search_document(kind: crate::domain::query::DocumentKind, doc: &Value) -> Value {
    match kind {
        crate::domain::query::DocumentKind::User => ResourceSchema::user().search_document(doc),
        crate::domain::query::DocumentKind::Group => ResourceSchema::group().search_document(doc),
    }
}

impl ResourceSchema {
    /// `doc` with the strings of its case-insensitive attributes folded; keys, structure and
    /// every other value unchanged (keys the schema does not know are kept as they are).
    pub fn search_document(&self, doc: &Value) -> Value {
        let Value::Object(map) = doc else {
            return doc.clone();
        };
        let mut out = Map::with_capacity(map.len());
        for (key, value) in map {
            let folded = if let Some(extension) = self.extension(key) {
                match value {
                    Value::Object(inner) => {
                        Value::Object(fold_object(&extension.attributes, inner))
                    }
                    other => other.clone(),
                }
            } else if let Some(attr) = find(&self.common, key).or(self.core.attribute(key)) {
                fold_value(attr, value)
            } else {
                value.clone()
            };
            out.insert(key.clone(), folded);
        }
        Value::Object(out)
    }
}

fn fold_object(attrs: &[AttributeDef], map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| {
            let folded = match find(attrs, key) {
                Some(attr) => fold_value(attr, value),
                None => value.clone(),
            };
            (key.clone(), folded)
        })
        .collect()
}

fn fold_value(attr: &AttributeDef, value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| fold_single(attr, v)).collect()),
        other => fold_single(attr, other),
    }
}

fn fold_single(attr: &AttributeDef, value: &Value) -> Value {
    let textual = matches!(
        attr.attr_type,
        AttrType::String | AttrType::Reference | AttrType::Binary
    );
    match value {
        Value::String(text) if textual && !attr.case_exact => Value::String(fold_case(text)),
        Value::Object(map) if attr.is_complex() => {
            Value::Object(fold_object(&attr.sub_attributes, map))
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::scim::schema::{ResourceSchema, ENTERPRISE_USER_URN, USER_URN};

    #[test]
    fn folds_exactly_the_case_insensitive_strings() {
        let doc = json!({
            "schemas": [USER_URN],
            "userName": "ÜBER",
            "externalId": "Ext-ΣΑ",
            "name": {"familyName": "MÜLLER", "givenName": "ΟΔΟΣ"},
            "emails": [{"value": "A@EXAMPLE.COM", "type": "Work", "primary": true}],
            "active": true,
            ENTERPRISE_USER_URN: {"department": "ПРОДАЖИ", "manager": {"value": "Id-1"}},
            "unknownKey": "KEPT",
        });
        let search = ResourceSchema::user().search_document(&doc);
        assert_eq!(
            search,
            json!({
                "schemas": [USER_URN],
                "userName": "über",
                "externalId": "Ext-ΣΑ",
                "name": {"familyName": "müller", "givenName": "οδοσ"},
                "emails": [{"value": "a@example.com", "type": "work", "primary": true}],
                "active": true,
                ENTERPRISE_USER_URN: {"department": "продажи", "manager": {"value": "Id-1"}},
                "unknownKey": "KEPT",
            })
        );
    }
}
