//! Checks PATCH values against attribute definitions (RFC 7643 §2.3 data
//! types, §2.2 mutability) and turns them into canonical JSON.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::AttrType;
use crate::scim::schema::{doc, AttributeDef, Mutability};

/// A short description of a JSON value's kind, for error messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `[x]` → `x`: some clients wrap single values in an array.
pub(super) fn unwrap_single(value: &Value) -> &Value {
    match value {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    }
}

fn mismatch(def: &AttributeDef, value: &Value, path: &str) -> ScimError {
    let expected = match def.attr_type {
        AttrType::String => "a string",
        AttrType::Reference => "a reference (string)",
        AttrType::Binary => "base64 text",
        AttrType::Boolean => "a boolean",
        AttrType::Integer => "an integer",
        AttrType::Decimal => "a number",
        AttrType::DateTime => "an RFC 3339 date-time string",
        AttrType::Complex => "an object",
    };
    ScimError::invalid_value(format!(
        "\"{path}\" expects {expected}, got {}",
        kind(value)
    ))
}

/// Checks a value for a non-complex attribute (RFC 7643 §2.3). Booleans also
/// accept `"true"`/`"false"` in any case; nothing else is coerced.
pub(super) fn scalar(def: &AttributeDef, value: &Value, path: &str) -> Result<Value, ScimError> {
    let ok = match (def.attr_type, value) {
        (AttrType::String | AttrType::Reference, Value::String(_)) => true,
        (AttrType::Binary, Value::String(s)) => is_base64(s),
        (AttrType::Boolean, Value::Bool(_)) => true,
        (AttrType::Boolean, Value::String(s)) => {
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
                return Ok(Value::Bool(s.eq_ignore_ascii_case("true")));
            }
            false
        }
        (AttrType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (AttrType::Decimal, Value::Number(_)) => true,
        (AttrType::DateTime, Value::String(s)) => DateTime::parse_from_rfc3339(s).is_ok(),
        _ => false,
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(mismatch(def, value, path))
    }
}

/// Checks a value for a complex attribute (RFC 7643 §2.3.8): an object of
/// known sub-attributes (canonical keys; `null` kept to mean "unassign";
/// read-only sub-attributes dropped). A scalar becomes `{"value": …}` when
/// the attribute has a `value` sub-attribute.
pub(super) fn complex(
    def: &AttributeDef,
    value: &Value,
    path: &str,
) -> Result<Map<String, Value>, ScimError> {
    let fields = match value {
        Value::Object(fields) => fields,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let Some(sub) = def.sub("value") else {
                return Err(mismatch(def, value, path));
            };
            let mut out = Map::new();
            out.insert(
                sub.name.into(),
                scalar(sub, value, &format!("{path}.value"))?,
            );
            return Ok(out);
        }
        _ => return Err(mismatch(def, value, path)),
    };
    let mut out = Map::new();
    for (key, item) in fields {
        // An unknown attribute is a message that does not follow the schema: `invalidSyntax`
        // (the interoperability profile; RFC 7644 §3.12 leaves it open).
        let Some(sub) = def.sub(key) else {
            return Err(ScimError::invalid_syntax(format!(
                "\"{path}\" has no sub-attribute \"{key}\""
            )));
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        let item = match item {
            Value::Null => Value::Null,
            other => scalar(sub, unwrap_single(other), &format!("{path}.{}", sub.name))?,
        };
        out.insert(sub.name.to_string(), item);
    }
    Ok(out)
}

/// Checks one value of a multi-valued attribute: an object without nulls for
/// complex attributes (never empty), a scalar otherwise.
pub(super) fn element(def: &AttributeDef, value: &Value, path: &str) -> Result<Value, ScimError> {
    if !def.is_complex() {
        return scalar(def, value, path);
    }
    let mut fields = complex(def, value, path)?;
    fields.retain(|_, v| !v.is_null());
    if fields.is_empty() {
        return Err(ScimError::invalid_value(format!(
            "a value of \"{path}\" must have at least one sub-attribute"
        )));
    }
    Ok(Value::Object(fields))
}

/// Refuses changes to `immutable` values that are already assigned
/// (RFC 7643 §2.2), looking into the sub-attributes of single complex values
/// (`old`/`new` of `None` mean unassigned).
pub(super) fn check_immutable(
    def: &AttributeDef,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &str,
) -> Result<(), ScimError> {
    let old = old.filter(|v| !doc::is_unassigned(v));
    let new = new.filter(|v| !doc::is_unassigned(v));
    if def.mutability == Mutability::Immutable {
        if old.is_some() && old != new {
            return Err(ScimError::mutability(format!(
                "\"{path}\" is immutable and already has a value"
            )));
        }
        return Ok(());
    }
    if def.is_complex() && !def.multi_valued {
        check_element(def, old, new, path)?;
    }
    Ok(())
}

/// [`check_immutable`] for each sub-attribute of one complex value.
pub(super) fn check_element(
    def: &AttributeDef,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &str,
) -> Result<(), ScimError> {
    let field = |v: Option<&Value>, name: &str| {
        v.and_then(Value::as_object)
            .and_then(|o| doc::get(o, name))
            .cloned()
    };
    for sub in &def.sub_attributes {
        let (before, after) = (field(old, sub.name), field(new, sub.name));
        let sub_path = format!("{path}.{}", sub.name);
        check_immutable(sub, before.as_ref(), after.as_ref(), &sub_path)?;
    }
    Ok(())
}

/// Standard or URL-safe base64, padded or not (RFC 4648 §4, §5), as the
/// `binary` type requires (RFC 7643 §2.3.6).
fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    !text.is_empty()
        && padding <= 2
        && (padding == 0 || text.len() % 4 == 0)
        && body.len() % 4 != 1
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}
