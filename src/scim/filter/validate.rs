//! Checks a parsed filter or PATCH path against a caller-supplied schema and
//! produces a typed tree (RFC 7643 §2.3 types, RFC 7644 §3.4.2.2 operator
//! rules), so that query builders only ever see known attributes, canonical
//! names and values of the right type.

use chrono::DateTime;

use super::ast::{AttrPath, CompareOp, Filter, PatchPath, Value};
use super::error::FilterError;
pub use crate::domain::query::{
    AttrInfo, AttrType, ResolvedAttr, SchemaLookup, TypedFilter, TypedValue,
};

/// A validated PATCH path (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct TypedPatchPath {
    /// The target attribute.
    pub attr: ResolvedAttr,
    /// The value filter, with full `parent.sub` paths.
    pub value_filter: Option<TypedFilter>,
    /// The sub-attribute after the filter, resolved as `attr.sub`.
    pub sub_attr: Option<ResolvedAttr>,
}

/// Validates `filter` against `schema` (RFC 7644 §3.4.2.2).
///
/// Rules: unknown attributes are refused; comparing a complex attribute
/// compares its `value` sub-attribute; `co`/`sw`/`ew` need a string or
/// reference; `gt`/`lt`/`ge`/`le` are refused on boolean, binary (as the RFC
/// requires) and complex; `null` goes only with `eq`/`ne`; values must match
/// the type (decimal accepts integers; dateTime needs an RFC 3339 string;
/// binary needs base64). Value filters need a complex attribute.
pub fn validate(filter: Filter, schema: &dyn SchemaLookup) -> Result<TypedFilter, FilterError> {
    check(filter, None, schema)
}

/// Validates a PATCH path (RFC 7644 §3.5.2) the same way as [`validate()`];
/// every error is wrapped in [`FilterError::InvalidPath`].
pub fn validate_patch_path(
    path: PatchPath,
    schema: &dyn SchemaLookup,
) -> Result<TypedPatchPath, FilterError> {
    check_patch_path(path, schema).map_err(|e| match e {
        FilterError::InvalidPath(_) => e,
        other => FilterError::InvalidPath(Box::new(other)),
    })
}

fn check_patch_path(
    path: PatchPath,
    schema: &dyn SchemaLookup,
) -> Result<TypedPatchPath, FilterError> {
    let attr = resolve(schema, &path.attr)?;
    let value_filter = match path.value_filter {
        Some(filter) => {
            require_complex(&attr)?;
            Some(check(filter, Some(&attr), schema)?)
        }
        None => None,
    };
    let sub_attr = match path.sub_attr {
        Some(sub) if attr.path.sub.is_none() => Some(resolve(schema, &attr.path.with_sub(sub))?),
        Some(sub) => {
            return Err(FilterError::UnknownAttribute(format!(
                "{}.{sub}",
                attr.path
            )))
        }
        None => None,
    };
    Ok(TypedPatchPath {
        attr,
        value_filter,
        sub_attr,
    })
}

fn resolve(schema: &dyn SchemaLookup, path: &AttrPath) -> Result<ResolvedAttr, FilterError> {
    schema
        .lookup(path)
        .ok_or_else(|| FilterError::UnknownAttribute(path.to_string()))
}

fn require_complex(attr: &ResolvedAttr) -> Result<(), FilterError> {
    if attr.info.attr_type != AttrType::Complex || attr.path.sub.is_some() {
        return Err(FilterError::ValueFilterNotAllowed {
            path: attr.path.to_string(),
            reason: "it is not a complex attribute",
        });
    }
    Ok(())
}

/// The full path of `path`, relative to `parent` inside a value filter.
fn qualify(path: AttrPath, parent: Option<&ResolvedAttr>) -> Result<AttrPath, FilterError> {
    match parent {
        None => Ok(path),
        Some(parent) if path.urn.is_none() && path.sub.is_none() => {
            Ok(parent.path.with_sub(path.name))
        }
        Some(parent) => Err(FilterError::UnknownAttribute(format!(
            "{}.{path}",
            parent.path
        ))),
    }
}

fn check(
    filter: Filter,
    parent: Option<&ResolvedAttr>,
    schema: &dyn SchemaLookup,
) -> Result<TypedFilter, FilterError> {
    let recurse = |f: Box<Filter>| check(*f, parent, schema).map(Box::new);
    Ok(match filter {
        Filter::Compare { path, op, value } => {
            let path = qualify(path, parent)?;
            let mut attr = resolve(schema, &path)?;
            if attr.info.attr_type == AttrType::Complex && attr.path.sub.is_none() {
                // RFC 7644 §3.4.2.2: a complex attribute without sub-attribute
                // is compared through its "value" sub-attribute.
                attr = schema.lookup(&attr.path.with_sub("value")).ok_or_else(|| {
                    FilterError::OperatorNotAllowed {
                        path: path.to_string(),
                        op,
                        attr_type: AttrType::Complex,
                    }
                })?;
            }
            let value = coerce(&attr, op, value)?;
            TypedFilter::Compare { attr, op, value }
        }
        Filter::Present(path) => TypedFilter::Present(resolve(schema, &qualify(path, parent)?)?),
        Filter::And(l, r) => TypedFilter::And(recurse(l)?, recurse(r)?),
        Filter::Or(l, r) => TypedFilter::Or(recurse(l)?, recurse(r)?),
        Filter::Not(inner) => TypedFilter::Not(recurse(inner)?),
        Filter::ValuePath { path, filter } => {
            if let Some(parent) = parent {
                return Err(FilterError::ValueFilterNotAllowed {
                    path: format!("{}.{path}", parent.path),
                    reason: "value filters cannot be nested",
                });
            }
            let attr = resolve(schema, &path)?;
            require_complex(&attr)?;
            let filter = check(*filter, Some(&attr), schema)?;
            TypedFilter::ValuePath {
                attr,
                filter: Box::new(filter),
            }
        }
    })
}

/// Applies the operator/type matrix and coerces the value.
fn coerce(attr: &ResolvedAttr, op: CompareOp, value: Value) -> Result<TypedValue, FilterError> {
    use AttrType as T;
    let attr_type = attr.info.attr_type;
    let invalid = |reason: String| FilterError::InvalidValue {
        path: attr.path.to_string(),
        attr_type,
        reason,
    };
    let op_allowed = match op {
        CompareOp::Eq | CompareOp::Ne => attr_type != T::Complex,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            matches!(attr_type, T::String | T::Reference)
        }
        CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le => matches!(
            attr_type,
            T::String | T::Reference | T::Integer | T::Decimal | T::DateTime
        ),
    };
    if !op_allowed {
        return Err(FilterError::OperatorNotAllowed {
            path: attr.path.to_string(),
            op,
            attr_type,
        });
    }
    Ok(match (attr_type, value) {
        (_, Value::Null) if matches!(op, CompareOp::Eq | CompareOp::Ne) => TypedValue::Null,
        (_, Value::Null) => {
            return Err(invalid(format!(
                "null can only be compared with \"eq\" or \"ne\", not \"{op}\""
            )))
        }
        (T::String | T::Reference, Value::String(s)) => TypedValue::String(s),
        (T::Binary, Value::String(s)) if is_base64(&s) => TypedValue::String(s),
        (T::Binary, Value::String(_)) => return Err(invalid("expected base64 text".into())),
        (T::Boolean, Value::Boolean(b)) => TypedValue::Boolean(b),
        (T::Integer, Value::Integer(i)) => TypedValue::Integer(i),
        (T::Decimal, Value::Integer(i)) => TypedValue::Decimal(i as f64),
        (T::Decimal, Value::Decimal(d)) => TypedValue::Decimal(d),
        (T::DateTime, Value::String(s)) => match DateTime::parse_from_rfc3339(&s) {
            Ok(dt) => TypedValue::DateTime(dt),
            Err(_) => return Err(invalid(format!("\"{s}\" is not an RFC 3339 date-time"))),
        },
        (_, other) => {
            return Err(invalid(format!(
                "expected {}, found {}",
                expected(attr_type),
                kind_of(&other)
            )))
        }
    })
}

fn expected(attr_type: AttrType) -> &'static str {
    match attr_type {
        AttrType::String | AttrType::Reference => "a string",
        AttrType::Binary => "a base64 string",
        AttrType::Boolean => "true or false",
        AttrType::Integer => "an integer",
        AttrType::Decimal => "a number",
        AttrType::DateTime => "a date-time string",
        AttrType::Complex => "a sub-attribute",
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Decimal(_) => "a decimal",
        Value::Boolean(_) => "a boolean",
        Value::Null => "null",
    }
}

/// Standard or URL-safe base64, padded or not (RFC 4648 §4, §5).
fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    let padding = text.len() - body.len();
    padding <= 2
        && (padding == 0 || text.len() % 4 == 0)
        && body.len() % 4 != 1
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}
