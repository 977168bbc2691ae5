//! Attribute projection for responses: the `attributes` and
//! `excludedAttributes` parameters (RFC 7644 §3.4.2.5, §3.9) combined with
//! each attribute's `returned` characteristic (RFC 7643 §2.2, §7).
//!
//! Rules:
//! - `schemas` and `returned: always` attributes (`id`) are always kept;
//!   `returned: never` ones (`password`) are always dropped.
//! - With `attributes`, only the listed attributes (plus `always` ones) are
//!   kept; `name.givenName` or `emails.value` keep just that sub-attribute
//!   (of every value); an extension URN keeps the whole extension.
//!   `returned: request` attributes appear only when listed.
//! - `excludedAttributes` removes the listed attributes or sub-attributes
//!   (never `always` ones). Given both, `attributes` applies first.
//! - Names match case-insensitively and may be URN-qualified (RFC 7643
//!   §2.1); names the schema does not know are ignored. Document keys the
//!   schema does not know are kept only when `attributes` is absent.

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::{parse_patch_path, AttrPath};
use crate::scim::schema::{doc, AttributeDef, ResourceSchema, Returned};

#[cfg(test)]
mod tests;

/// Parses an `attributes` or `excludedAttributes` parameter (RFC 7644
/// §3.4.2.5): comma-separated attribute names in the notation of RFC 7644
/// §3.10, e.g. `userName,name.givenName,urn:…:enterprise:2.0:User:manager`.
/// Blank entries are skipped. Errors (`400 invalidPath`) for malformed names
/// and value filters.
pub fn parse_attribute_list(text: &str) -> Result<Vec<AttrPath>, ScimError> {
    let mut out = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let path = parse_patch_path(entry)?;
        if path.value_filter.is_some() || path.sub_attr.is_some() {
            return Err(ScimError::invalid_path(format!(
                "\"{entry}\": value filters are not allowed in attribute lists"
            )));
        }
        out.push(path.attr);
    }
    Ok(out)
}

/// One entry of a list, resolved to canonical names.
#[derive(Debug, PartialEq)]
enum Sel<'s> {
    /// A whole extension, named by its URN.
    Extension(&'s str),
    /// An attribute (`ext`: its extension URN) or one of its sub-attributes.
    Attr {
        ext: Option<&'s str>,
        name: &'s str,
        sub: Option<&'s str>,
    },
}

fn resolve<'s>(schema: &'s ResourceSchema, paths: &[AttrPath]) -> Vec<Sel<'s>> {
    let mut out = Vec::new();
    for path in paths {
        if let (Some(urn), None) = (&path.urn, &path.sub) {
            if let Some(ext) = schema.extension(&format!("{urn}:{}", path.name)) {
                out.push(Sel::Extension(ext.id));
                continue;
            }
        }
        if let Some(found) = schema.resolve(path) {
            out.push(Sel::Attr {
                ext: found.extension.map(|e| e.id),
                name: found.attr.name,
                sub: found.sub.map(|s| s.name),
            });
        }
    }
    out
}

/// Which parts of an attribute to keep.
enum Keep<'s> {
    All,
    Subs(Vec<&'s str>),
}

struct Projector<'s> {
    included: Option<Vec<Sel<'s>>>,
    excluded: Vec<Sel<'s>>,
}

impl<'s> Projector<'s> {
    fn whole(list: &[Sel<'s>], ext: Option<&str>, attr: &AttributeDef) -> bool {
        list.iter().any(|s| match s {
            Sel::Extension(id) => ext == Some(*id),
            Sel::Attr { ext: e, name, sub } => *e == ext && *name == attr.name && sub.is_none(),
        })
    }

    fn subs(list: &[Sel<'s>], ext: Option<&str>, attr: &AttributeDef) -> Vec<&'s str> {
        list.iter()
            .filter_map(|s| match s {
                Sel::Attr { ext: e, name, sub } if *e == ext && *name == attr.name => *sub,
                _ => None,
            })
            .collect()
    }

    fn keep(&self, ext: Option<&str>, attr: &AttributeDef) -> Option<Keep<'s>> {
        match attr.returned {
            Returned::Never => return None,
            Returned::Always => return Some(Keep::All),
            _ => {}
        }
        let keep = match &self.included {
            Some(list) if Self::whole(list, ext, attr) => Keep::All,
            Some(list) => {
                let subs = Self::subs(list, ext, attr);
                if subs.is_empty() {
                    return None;
                }
                Keep::Subs(subs)
            }
            None if attr.returned == Returned::Request => return None,
            None => Keep::All,
        };
        (!Self::whole(&self.excluded, ext, attr)).then_some(keep)
    }

    fn keep_sub(&self, ext: Option<&str>, attr: &AttributeDef, keep: &Keep<'_>, key: &str) -> bool {
        let Some(sub) = attr.sub(key) else {
            return matches!(keep, Keep::All) && self.included.is_none();
        };
        match sub.returned {
            Returned::Never => return false,
            Returned::Always => return true,
            _ => {}
        }
        let listed = |list: &[Sel<'s>]| Self::subs(list, ext, attr).contains(&sub.name);
        let included = match keep {
            Keep::Subs(subs) => subs.contains(&sub.name),
            Keep::All if sub.returned == Returned::Request => {
                self.included.as_deref().is_some_and(listed)
            }
            Keep::All => true,
        };
        included && !listed(&self.excluded)
    }

    fn project_value(
        &self,
        ext: Option<&str>,
        attr: &AttributeDef,
        keep: &Keep<'_>,
        value: &Value,
    ) -> Option<Value> {
        let filter_object = |object: &Map<String, Value>| {
            let kept: Map<String, Value> = object
                .iter()
                .filter(|(k, _)| self.keep_sub(ext, attr, keep, k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        };
        let out = match value {
            _ if !attr.is_complex() => value.clone(),
            Value::Object(object) => filter_object(object)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(|item| match item {
                        Value::Object(object) => filter_object(object),
                        other => Some(other.clone()),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        (!doc::is_unassigned(&out) || !attr.is_complex()).then_some(out)
    }

    /// Projects one container (top level or an extension object).
    fn project_object(
        &self,
        schema: &ResourceSchema,
        ext: Option<&str>,
        object: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in object {
            if ext.is_none() && key.eq_ignore_ascii_case("schemas") {
                out.insert(key.clone(), value.clone());
                continue;
            }
            if ext.is_none() {
                if let Some(extension) = schema.extension(key) {
                    if let Value::Object(inner) = value {
                        let inner = self.project_object(schema, Some(extension.id), inner);
                        if !inner.is_empty() {
                            out.insert(key.clone(), Value::Object(inner));
                        }
                    }
                    continue;
                }
            }
            let path = AttrPath {
                urn: Some(ext.unwrap_or(schema.core.id).to_string()),
                name: key.clone(),
                sub: None,
            };
            let Some(found) = schema.resolve(&path) else {
                if self.included.is_none() {
                    out.insert(key.clone(), value.clone());
                }
                continue;
            };
            let attr = found.attr;
            let projected = self
                .keep(ext, attr)
                .and_then(|keep| self.project_value(ext, attr, &keep, value));
            if let Some(projected) = projected {
                out.insert(key.clone(), projected);
            }
        }
        out
    }
}

/// Projects a resource document for a response (RFC 7644 §3.4.2.5, §3.9):
/// see the module documentation for the rules. `attributes` and `excluded`
/// come from [`parse_attribute_list`]; `None` (or an empty list) means the
/// parameter was absent.
pub fn project(
    doc: &Value,
    schema: &ResourceSchema,
    attributes: Option<&[AttrPath]>,
    excluded: Option<&[AttrPath]>,
) -> Value {
    let Value::Object(object) = doc else {
        return doc.clone();
    };
    let projector = Projector {
        included: attributes
            .filter(|a| !a.is_empty())
            .map(|a| resolve(schema, a)),
        excluded: resolve(schema, excluded.unwrap_or_default()),
    };
    Value::Object(projector.project_object(schema, None, object))
}
