//! Group `members` (RFC 7643 §4.2) under PATCH: instead of editing the
//! document, operations are folded into a [`MemberDelta`] that storage
//! applies in bulk.
//!
//! Supported: `add` with `path` `members` (or a pathless value holding
//! `members`); `replace` of `members` (the new complete list); `remove` of
//! `members` without value (every member), with a value listing members
//! (Microsoft Entra ID), or with path `members[value eq "…"]` (Okta; `or`
//! of such comparisons also works). Sub-attribute paths and other filters
//! are `invalidPath`: membership is known to storage, not to the document.

use serde_json::Value;

use super::ops::Target;
use super::values::kind;
use super::{MemberDelta, OpKind};
use crate::scim::error::ScimError;
use crate::scim::filter::{CompareOp, TypedFilter, TypedValue};
use crate::scim::schema::doc;

fn push_unique(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|x| x == id) {
        list.push(id.to_string());
    }
}

impl MemberDelta {
    fn add_ids(&mut self, ids: &[String]) {
        for id in ids {
            match &mut self.replace_all {
                Some(all) => push_unique(all, id),
                None => {
                    self.remove.retain(|x| x != id);
                    push_unique(&mut self.add, id);
                }
            }
        }
    }

    fn remove_ids(&mut self, ids: &[String]) {
        for id in ids {
            match &mut self.replace_all {
                Some(all) => all.retain(|x| x != id),
                None => {
                    self.add.retain(|x| x != id);
                    push_unique(&mut self.remove, id);
                }
            }
        }
    }

    fn replace_ids(&mut self, ids: &[String]) {
        let mut all = Vec::new();
        for id in ids {
            push_unique(&mut all, id);
        }
        self.add.clear();
        self.remove.clear();
        self.replace_all = Some(all);
    }
}

/// Member ids from a value: an array of (or a single) `{"value": "id", …}`
/// object; other sub-attributes (`display`, `$ref`, `type`) are ignored.
fn ids_from_value(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    items
        .iter()
        .map(|item| {
            let id = match item {
                Value::Object(fields) => doc::get(fields, "value").and_then(Value::as_str),
                _ => None,
            };
            match id.map(str::trim) {
                Some(id) if !id.is_empty() => Ok(id.to_string()),
                _ => Err(ScimError::invalid_value(format!(
                    "each member must be an object with a non-empty string \"value\", got {}",
                    kind(item)
                ))),
            }
        })
        .collect()
}

/// Ids named by `value eq "…"` comparisons joined with `or`.
fn ids_from_filter(filter: &TypedFilter, out: &mut Vec<String>) -> bool {
    match filter {
        TypedFilter::Or(l, r) => ids_from_filter(l, out) && ids_from_filter(r, out),
        TypedFilter::Compare {
            attr,
            op: CompareOp::Eq,
            value: TypedValue::String(id),
        } if attr.path.sub.as_deref() == Some("value") => {
            out.push(id.clone());
            true
        }
        _ => false,
    }
}

/// Folds one operation on `members` into `delta`.
pub(super) fn apply(
    delta: &mut MemberDelta,
    op: OpKind,
    target: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    // `members.value`, `$ref` and `type` are immutable (RFC 7643 §4.2; `display` is readOnly):
    // a member is added or removed, never changed in place.
    if target.sub.is_some() {
        return Err(ScimError::mutability(format!(
            "\"{}\": member sub-attributes are immutable; add or remove the member instead",
            target.text
        )));
    }
    if let Some(filter) = target.filter {
        let mut ids = Vec::new();
        if op != OpKind::Remove || !ids_from_filter(filter, &mut ids) {
            return Err(ScimError::invalid_path(format!(
                "\"{}\": members can only be selected for removal, with \
                 `value eq \"id\"` (optionally joined with `or`)",
                target.text
            )));
        }
        delta.remove_ids(&ids);
        return Ok(());
    }
    match (op, value) {
        (OpKind::Add, Some(value)) => delta.add_ids(&ids_from_value(value)?),
        (OpKind::Replace, Some(value)) => delta.replace_ids(&ids_from_value(value)?),
        (OpKind::Remove, None | Some(Value::Null)) => delta.replace_ids(&[]),
        (OpKind::Remove, Some(value)) => delta.remove_ids(&ids_from_value(value)?),
        (_, None) => {
            return Err(ScimError::invalid_value(format!(
                "\"{}\" requires a \"value\"",
                op.as_str()
            )))
        }
    }
    Ok(())
}
