//! Applying one PATCH operation to a working copy of the document
//! (RFC 7644 §3.5.2.1 add, §3.5.2.2 remove, §3.5.2.3 replace). See the
//! module documentation of [`super`] for the rules chosen.

use serde_json::{Map, Value};

use super::remove::remove;
use super::values::{self, unwrap_single};
use super::{members, select, MemberDelta, OpKind, PatchOp};
use crate::scim::error::ScimError;
use crate::scim::filter::{parse_patch_path, validate_patch_path, TypedFilter, TypedPatchPath};
use crate::scim::schema::{doc, AttributeDef, Mutability, ResourceSchema, SchemaDef};

type Object = Map<String, Value>;

/// State shared by the operations of one [`super::apply`] call.
pub(super) struct Cx<'s> {
    pub schema: &'s ResourceSchema,
    /// The resource's own `id`, for Okta's `{"id": …}` in replace values.
    pub id: Option<String>,
    pub members: MemberDelta,
}

/// A resolved operation target.
pub(super) struct Target<'a> {
    /// The extension holding the attribute (`None`: top level).
    pub ext: Option<&'a SchemaDef>,
    /// The top-level attribute.
    pub attr: &'a AttributeDef,
    /// The value filter of `attr[…]`.
    pub filter: Option<&'a TypedFilter>,
    /// The sub-attribute (`name.givenName` or `emails[…].value`).
    pub sub: Option<&'a AttributeDef>,
    /// The path as written, for messages.
    pub text: String,
}

impl<'s> Cx<'s> {
    fn target<'a>(&self, path: &'a TypedPatchPath, text: String) -> Result<Target<'a>, ScimError>
    where
        's: 'a,
    {
        let unknown = || ScimError::invalid_path(format!("unknown attribute \"{text}\""));
        let found = self.schema.resolve(&path.attr.path).ok_or_else(unknown)?;
        let sub = match &path.sub_attr {
            Some(sub) => Some(
                self.schema
                    .resolve(&sub.path)
                    .and_then(|r| r.sub)
                    .ok_or_else(unknown)?,
            ),
            None => found.sub,
        };
        if path.value_filter.is_some() && !found.attr.multi_valued {
            return Err(ScimError::invalid_path(format!(
                "\"{text}\": a value filter needs a multi-valued attribute"
            )));
        }
        Ok(Target {
            ext: found.extension,
            attr: found.attr,
            filter: path.value_filter.as_ref(),
            sub,
            text,
        })
    }

    pub(super) fn apply_op(&mut self, work: &mut Object, op: &PatchOp) -> Result<(), ScimError> {
        match (&op.path, &op.value) {
            (Some(path), value) => {
                let text = op
                    .path_text
                    .clone()
                    .unwrap_or_else(|| path.attr.path.to_string());
                let target = self.target(path, text)?;
                self.apply_target(work, op.op, &target, value.as_ref())
            }
            (None, _) if op.op == OpKind::Remove => {
                Err(ScimError::no_target("\"remove\" requires a \"path\""))
            }
            (None, Some(Value::Object(fields))) => self.pathless(work, op.op, fields, None),
            (None, _) => Err(ScimError::invalid_value(
                "without \"path\", \"value\" must be an object of attributes",
            )),
        }
    }

    /// `add`/`replace` without path: each key is the path of its own
    /// operation; a schema URN key holds that schema's attributes.
    fn pathless(
        &mut self,
        work: &mut Object,
        op: OpKind,
        fields: &Object,
        urn: Option<&str>,
    ) -> Result<(), ScimError> {
        for (key, value) in fields {
            if urn.is_none() {
                if key.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                let schema_urn = if key.eq_ignore_ascii_case(self.schema.core.id) {
                    Some(self.schema.core.id)
                } else {
                    self.schema.extension(key).map(|e| e.id)
                };
                if let Some(schema_urn) = schema_urn {
                    match value {
                        Value::Object(inner) => self.pathless(work, op, inner, Some(schema_urn))?,
                        Value::Null if schema_urn != self.schema.core.id => {
                            if op == OpKind::Replace {
                                doc::remove(work, schema_urn);
                            }
                        }
                        other => {
                            return Err(ScimError::invalid_value(format!(
                                "\"{key}\" must be an object of attributes, got {}",
                                values::kind(other)
                            )))
                        }
                    }
                    continue;
                }
            }
            let text = match urn {
                Some(urn) => format!("{urn}:{key}"),
                None => key.clone(),
            };
            let path = parse_patch_path(&text)
                .and_then(|p| validate_patch_path(p, self.schema))
                .map_err(|e| {
                    // Unknown attributes (and unknown schema URNs as keys) are `invalidSyntax`,
                    // as the interoperability profile asks.
                    ScimError::invalid_syntax(format!(
                        "unknown attribute \"{text}\" in value ({e})"
                    ))
                })?;
            let target = self.target(&path, text)?;
            self.apply_target(work, op, &target, Some(value))?;
        }
        Ok(())
    }

    fn apply_target(
        &mut self,
        work: &mut Object,
        op: OpKind,
        target: &Target<'_>,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        if target.attr.mutability == Mutability::ReadOnly {
            let own_id = target.ext.is_none()
                && target.attr.name == "id"
                && op != OpKind::Remove
                && value.and_then(Value::as_str).is_some()
                && value.and_then(Value::as_str) == self.id.as_deref();
            if own_id {
                return Ok(());
            }
            return Err(ScimError::mutability(format!(
                "\"{}\" is read-only",
                target.text
            )));
        }
        if target
            .sub
            .is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            return Err(ScimError::mutability(format!(
                "\"{}\" is read-only",
                target.text
            )));
        }
        if self.schema.members_out_of_band && target.ext.is_none() && target.attr.name == "members"
        {
            return members::apply(&mut self.members, op, target, value);
        }
        let container = match target.ext {
            None => work,
            Some(ext) => doc::object_mut(work, ext.id),
        };
        let empty = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
        match (op, value) {
            (OpKind::Remove, value) => {
                remove(container, target, value.filter(|v| !v.is_null()), true)
            }
            (_, None) => Err(ScimError::invalid_value(format!(
                "\"{}\" requires a \"value\"",
                op.as_str()
            ))),
            (OpKind::Add, Some(v)) if empty(v) => Ok(()),
            (OpKind::Replace, Some(v)) if empty(v) => remove(container, target, None, false),
            (op, Some(v)) => write(container, op, target, v),
        }
    }
}

/// `add`/`replace` of a non-null value.
fn write(
    container: &mut Object,
    op: OpKind,
    target: &Target<'_>,
    v: &Value,
) -> Result<(), ScimError> {
    let (attr, path) = (target.attr, target.text.as_str());
    if attr.multi_valued && (target.filter.is_some() || target.sub.is_some()) {
        return write_elements(container, op, target, v);
    }
    if attr.multi_valued {
        return write_multi(container, op, target, v);
    }
    if let Some(sub) = target.sub {
        let new = values::scalar(sub, unwrap_single(v), path)?;
        let parent = doc::object_mut(container, attr.name);
        values::check_immutable(sub, doc::get(parent, sub.name), Some(&new), path)?;
        doc::set(parent, sub.name, new);
        return Ok(());
    }
    if attr.is_complex() {
        let fields = values::complex(attr, unwrap_single(v), path)?;
        let old = doc::get(container, attr.name).cloned();
        let mut merged = match &old {
            Some(Value::Object(o)) => o.clone(),
            _ => Object::new(),
        };
        merge(&mut merged, fields);
        let merged = Value::Object(merged);
        values::check_immutable(attr, old.as_ref(), Some(&merged), path)?;
        set_or_remove(container, attr.name, merged);
        return Ok(());
    }
    let new = values::scalar(attr, unwrap_single(v), path)?;
    values::check_immutable(attr, doc::get(container, attr.name), Some(&new), path)?;
    doc::set(container, attr.name, new);
    Ok(())
}

/// Merges sub-attributes into an object; `null` unassigns.
fn merge(object: &mut Object, fields: Object) {
    for (key, value) in fields {
        if value.is_null() {
            doc::remove(object, &key);
        } else {
            doc::set(object, &key, value);
        }
    }
}

pub(super) fn set_or_remove(container: &mut Object, name: &str, value: Value) {
    if doc::is_unassigned(&value) {
        doc::remove(container, name);
    } else {
        doc::set(container, name, value);
    }
}

pub(super) fn current_list(container: &Object, name: &str) -> Vec<Value> {
    match doc::get(container, name) {
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(single) => vec![single.clone()],
    }
}

/// `add` appends new values (identical ones are skipped); `replace` replaces
/// the whole list.
fn write_multi(
    container: &mut Object,
    op: OpKind,
    target: &Target<'_>,
    v: &Value,
) -> Result<(), ScimError> {
    let (attr, path) = (target.attr, target.text.as_str());
    let items = match v {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let current = current_list(container, attr.name);
    let mut list = if op == OpKind::Add {
        current.clone()
    } else {
        Vec::new()
    };
    let mut touched = Vec::new();
    for item in items {
        let item = values::element(attr, item, path)?;
        match list.iter().position(|e| *e == item) {
            Some(i) => touched.push(i),
            None => {
                list.push(item);
                touched.push(list.len() - 1);
            }
        }
    }
    if op == OpKind::Replace
        && attr.mutability == Mutability::Immutable
        && !current.is_empty()
        && list != current
    {
        return Err(ScimError::mutability(format!(
            "\"{path}\" is immutable and already has a value"
        )));
    }
    select::fix_primary(&mut list, &touched, path)?;
    set_or_remove(container, attr.name, Value::Array(list));
    Ok(())
}

/// Writes to the values of a multi-valued complex attribute selected by a
/// filter (every value without filter); creates one from the filter's `eq`
/// comparisons when none matches.
fn write_elements(
    container: &mut Object,
    op: OpKind,
    target: &Target<'_>,
    v: &Value,
) -> Result<(), ScimError> {
    let (attr, path) = (target.attr, target.text.as_str());
    let fields = match target.sub {
        Some(sub) => {
            let mut one = Object::new();
            one.insert(
                sub.name.to_string(),
                values::scalar(sub, unwrap_single(v), path)?,
            );
            one
        }
        None => values::complex(attr, unwrap_single(v), path)?,
    };
    let mut list = current_list(container, attr.name);
    let matched: Vec<usize> = (0..list.len())
        .filter(|&i| target.filter.is_none_or(|f| select::matches(&list[i], f)))
        .collect();
    let mut touched = Vec::new();
    if matched.is_empty() {
        let mut element = match target.filter {
            Some(filter) => select::equalities(filter).ok_or_else(|| {
                ScimError::no_target(format!(
                    "no value matches \"{path}\" and the filter does not describe a new one"
                ))
            })?,
            None => Object::new(),
        };
        merge(&mut element, fields);
        let element = values::element(attr, &Value::Object(element), path)?;
        list.push(element);
        touched.push(list.len() - 1);
    } else {
        for i in matched {
            let before = list[i].clone();
            let mut element = match (&before, op, target.sub) {
                (Value::Object(o), OpKind::Add, _) | (Value::Object(o), _, Some(_)) => o.clone(),
                _ => Object::new(),
            };
            merge(&mut element, fields.clone());
            let after = Value::Object(element);
            values::check_element(attr, Some(&before), Some(&after), path)?;
            list[i] = after;
            touched.push(i);
        }
        list.retain(|e| !doc::is_unassigned(e));
        touched.retain(|&i| i < list.len());
    }
    select::fix_primary(&mut list, &touched, path)?;
    set_or_remove(container, attr.name, Value::Array(list));
    Ok(())
}
