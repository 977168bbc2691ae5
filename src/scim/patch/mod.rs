//! The PATCH engine (RFC 7644 §3.5.2): parses a `PatchOp` message into
//! validated operations ([`parse_patch`]) and applies them atomically to a
//! resource document ([`apply`]).
//!
//! Decisions on points the RFC leaves open or where identity providers
//! deviate from it (each covered by tests):
//! - `Operations` (any case) and `op` values (`Add`, `REPLACE`, …) match
//!   case-insensitively; an empty `path` counts as absent.
//! - `remove` needs a `path` (else `noTarget`, RFC 7644 §3.5.2.2); a `value`
//!   given with `remove` on a multi-valued attribute lists the values to
//!   remove (Microsoft Entra ID does this for `members`).
//! - `add` and `replace` need a `value` (else `invalidValue`). For `replace`,
//!   `null` or an empty array unassigns the target (RFC 7643 §2.5, without
//!   `noTarget` errors); for `add` they change nothing.
//! - Without `path`, each key of the value object is treated as the `path`
//!   of its own operation: dotted (`name.givenName`), URN-qualified and
//!   value-filtered keys work, and a key equal to an extension URN holds
//!   that extension's attributes. `schemas` keys are ignored. An unknown key
//!   is `invalidValue` (an unknown attribute in a `path` is `invalidPath`).
//! - Complex targets merge sub-attributes for `add` and `replace`
//!   (RFC 7644 §3.5.2.1, §3.5.2.3); multi-valued targets append (skipping
//!   identical values) on `add` and are replaced whole on `replace`.
//! - A value filter matching nothing is `noTarget` for `remove`; for `add`
//!   and `replace` a new element is created from the filter's `eq`
//!   comparisons (Entra relies on this for `emails[type eq "work"].value`);
//!   if the filter is not a conjunction of `eq`, it is `noTarget`.
//!   `emails.value` (no filter) targets every element.
//! - A scalar given for a complex attribute with a `value` sub-attribute
//!   becomes `{"value": …}` (Entra sends the enterprise `manager` so); a
//!   one-element array given for a single-valued attribute is unwrapped.
//! - Booleans also accept the strings `"true"`/`"false"` in any case (Entra
//!   sends `"False"`); no other coercion (a string for an integer is
//!   `invalidValue`). Unknown sub-attributes are `invalidValue`; read-only
//!   sub-attributes inside a value (e.g. `manager.displayName`) are ignored.
//! - Targeting a read-only attribute is `mutability`, except an `id` equal to
//!   the resource's own (Okta sends it with group renames), which is
//!   ignored. Immutable values may be set when absent or to the same value.
//! - Setting `primary` to true clears it on the other values (RFC 7644
//!   §3.5.2); two new primary values at once are `invalidValue`.
//! - Removing a required attribute that was present is `invalidValue`.
//! - Extension containers left empty are dropped, and a document's
//!   `schemas` array gains or loses the extension URN accordingly.
//! - Group `members` are never written to the document (see [`MemberDelta`]);
//!   a member value filter must be `value eq "…"` (optionally or-ed).

mod members;
mod ops;
mod remove;
mod select;
mod values;

#[cfg(test)]
mod tests_filters;
#[cfg(test)]
mod tests_group;
#[cfg(test)]
mod tests_idp;
#[cfg(test)]
mod tests_parse;
#[cfg(test)]
mod tests_support;
#[cfg(test)]
mod tests_user;
#[cfg(test)]
mod tests_values;

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::{parse_patch_path, validate_patch_path, TypedPatchPath};
use crate::scim::schema::{doc, ResourceSchema};

/// Schema URN of PATCH request messages (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The `op` of a PATCH operation (RFC 7644 §3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `add` (RFC 7644 §3.5.2.1).
    Add,
    /// `remove` (RFC 7644 §3.5.2.2).
    Remove,
    /// `replace` (RFC 7644 §3.5.2.3).
    Replace,
}

impl OpKind {
    /// The lower-case keyword, e.g. `"add"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One validated PATCH operation (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    /// The operation.
    pub op: OpKind,
    /// The validated `path`, `None` when the target is the resource itself.
    pub path: Option<TypedPatchPath>,
    /// The `path` as sent, for error messages.
    pub path_text: Option<String>,
    /// The `value`, if one was sent (may be `null`).
    pub value: Option<Value>,
}

/// Group membership changes requested by a PATCH, applied by storage in bulk
/// instead of being written into the group document. Member ids are the
/// `value` sub-attributes (RFC 7643 §4.2), deduplicated in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    /// Ids to add (when `replace_all` is `None`).
    pub add: Vec<String>,
    /// Ids to remove (when `replace_all` is `None`).
    pub remove: Vec<String>,
    /// The complete new member list, when the operations replaced it
    /// (`Some(vec![])` removes every member). Later operations are folded in.
    pub replace_all: Option<Vec<String>>,
}

impl MemberDelta {
    /// Whether no membership change was requested.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.replace_all.is_none()
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchOutcome {
    /// Whether the document changed (membership changes are not counted).
    pub changed: bool,
    /// Group membership changes (always empty for User).
    pub members: MemberDelta,
}

impl PatchOutcome {
    /// Whether nothing at all changed (document and membership).
    pub fn is_noop(&self) -> bool {
        !self.changed && self.members.is_empty()
    }
}

fn op_error(index: usize, err: ScimError) -> ScimError {
    err.context(format_args!("Operations[{index}]"))
}

/// Parses a PATCH request body (RFC 7644 §3.5.2): `schemas` must contain
/// [`PATCH_OP_URN`]; `Operations` must be a non-empty array; each `op` is
/// `add`, `remove` or `replace` (any case); each `path` is parsed and
/// validated against `schema`.
///
/// Errors: `invalidSyntax` for a malformed message, `invalidPath` for a bad
/// path, `noTarget` for `remove` without path, `invalidValue` for a missing
/// `value` on `add`/`replace` or a pathless value that is not an object.
pub fn parse_patch(body: &Value, schema: &ResourceSchema) -> Result<Vec<PatchOp>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax(
            "a PatchOp message must be an object",
        ));
    };
    let has_urn = match doc::get(body, "schemas") {
        Some(Value::Array(list)) => list.iter().any(|u| {
            u.as_str()
                .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))
        }),
        _ => false,
    };
    if !has_urn {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must contain \"{PATCH_OP_URN}\""
        )));
    }
    let operations = match doc::get(body, "Operations") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => {
            return Err(ScimError::invalid_syntax(
                "\"Operations\" must be a non-empty array",
            ))
        }
    };
    operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(op, schema).map_err(|e| op_error(i, e)))
        .collect()
}

fn parse_op(op: &Value, schema: &ResourceSchema) -> Result<PatchOp, ScimError> {
    let Value::Object(op) = op else {
        return Err(ScimError::invalid_syntax("an operation must be an object"));
    };
    let kind = match doc::get(op, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => OpKind::Add,
        Some(s) if s.eq_ignore_ascii_case("remove") => OpKind::Remove,
        Some(s) if s.eq_ignore_ascii_case("replace") => OpKind::Replace,
        _ => {
            return Err(ScimError::invalid_syntax(
                "\"op\" must be \"add\", \"remove\" or \"replace\"",
            ))
        }
    };
    let path_text = match doc::get(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ScimError::invalid_syntax("\"path\" must be a string")),
    };
    // A path that is a whole extension's URN names that extension's container: rewrite it to
    // the pathless form, where a URN key holds the extension's attributes (RFC 7644 §3.5.2
    // leaves this open; scim2-tester and several clients send it).
    if let Some(urn) = path_text
        .as_deref()
        .filter(|p| schema.extension(p.trim()).is_some())
    {
        let urn = schema
            .extension(urn.trim())
            .map(|e| e.id)
            .unwrap_or_default();
        let (kind, value) = match kind {
            OpKind::Remove => (OpKind::Replace, Value::Null),
            other => {
                let mut value = doc::get(op, "value").cloned().unwrap_or(Value::Null);
                // Some clients repeat `schemas` inside the extension object; it is not an
                // attribute of the extension.
                if let Value::Object(map) = &mut value {
                    map.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
                }
                (other, value)
            }
        };
        let mut wrapped = Map::new();
        wrapped.insert(urn.to_string(), value);
        return Ok(PatchOp {
            op: kind,
            path: None,
            path_text: None,
            value: Some(Value::Object(wrapped)),
        });
    }
    let path = match &path_text {
        Some(text) => Some(validate_patch_path(parse_patch_path(text)?, schema)?),
        None => None,
    };
    let value = doc::get(op, "value").cloned();
    match (kind, &path, &value) {
        (OpKind::Remove, None, _) => Err(ScimError::no_target(
            "\"remove\" requires a \"path\" (RFC 7644 §3.5.2.2)",
        )),
        (OpKind::Add | OpKind::Replace, _, None) => Err(ScimError::invalid_value(format!(
            "\"{}\" requires a \"value\"",
            kind.as_str()
        ))),
        (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => Err(
            ScimError::invalid_value("without \"path\", \"value\" must be an object of attributes"),
        ),
        _ => Ok(PatchOp {
            op: kind,
            path,
            path_text,
            value,
        }),
    }
}

/// Applies `ops` to `doc` (a resource document as RFC 7643 §3 represents
/// it) following RFC 7644 §3.5.2, all or nothing: the operations run on a
/// copy that replaces `doc` only when every one succeeded.
///
/// For resource types with out-of-band members (Group), `members` changes
/// are returned in [`PatchOutcome::members`] and the document's `members`
/// is left untouched. A User's `active` is an ordinary attribute.
pub fn apply(
    doc: &mut Value,
    ops: &[PatchOp],
    schema: &ResourceSchema,
) -> Result<PatchOutcome, ScimError> {
    let Value::Object(original) = &*doc else {
        return Err(ScimError::internal(
            "the resource document is not an object",
        ));
    };
    let mut work = original.clone();
    let mut cx = ops::Cx {
        schema,
        id: doc::get(original, "id")
            .and_then(Value::as_str)
            .map(str::to_string),
        members: MemberDelta::default(),
    };
    for (i, op) in ops.iter().enumerate() {
        cx.apply_op(&mut work, op).map_err(|e| op_error(i, e))?;
    }
    finish(&mut work, original, schema)?;
    let changed = work != *original;
    *doc = Value::Object(work);
    Ok(PatchOutcome {
        changed,
        members: cx.members,
    })
}

/// Drops empty extension containers, keeps `schemas` in step with the
/// extensions present, and refuses the removal of required attributes.
fn finish(
    work: &mut Map<String, Value>,
    original: &Map<String, Value>,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    for ext in &schema.extensions {
        let present = match doc::get(work, ext.id) {
            Some(value) if !doc::is_unassigned(value) => true,
            Some(_) => {
                doc::remove(work, ext.id);
                false
            }
            None => false,
        };
        if let Some(Value::Array(urns)) = doc::get_mut(work, "schemas") {
            let listed = urns
                .iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(ext.id)));
            if present && !listed {
                urns.push(Value::from(ext.id));
            } else if !present && listed {
                urns.retain(|u| !u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(ext.id)));
            }
        }
    }
    let assigned = |map: &Map<String, Value>, urn: Option<&str>, name: &str| {
        let scope = match urn {
            None => Some(map),
            Some(urn) => doc::get(map, urn).and_then(Value::as_object),
        };
        scope
            .and_then(|m| doc::get(m, name))
            .is_some_and(|v| !doc::is_unassigned(v))
    };
    let containers = std::iter::once((None, &schema.core.attributes)).chain(
        schema
            .extensions
            .iter()
            .map(|e| (Some(e.id), &e.attributes)),
    );
    for (urn, attrs) in containers {
        for attr in attrs.iter().filter(|a| a.required) {
            if assigned(original, urn, attr.name) && !assigned(work, urn, attr.name) {
                return Err(ScimError::invalid_value(format!(
                    "\"{}\" is required and cannot be removed",
                    attr.name
                )));
            }
        }
    }
    Ok(())
}
