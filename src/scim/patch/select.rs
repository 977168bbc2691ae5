//! Selecting values of multi-valued attributes: evaluating a validated value
//! filter on one value (RFC 7644 §3.4.2.2 operator semantics), deriving a new
//! value from a filter's `eq` comparisons, matching values listed for
//! removal, and keeping `primary` unique (RFC 7643 §2.4).

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::{CompareOp, TypedFilter, TypedValue};
use crate::scim::schema::{doc, AttributeDef};

/// The sub-attribute a filter path inside `attr[…]` names.
fn field<'a>(element: &'a Value, sub: Option<&str>) -> Option<&'a Value> {
    let object = element.as_object()?;
    doc::get(object, sub?).filter(|v| !v.is_null())
}

/// Whether `element` (one value of a multi-valued complex attribute)
/// satisfies `filter`, whose paths are `parent.sub` (as the validator
/// produces them). A missing sub-attribute only satisfies `ne` and `not`.
pub(super) fn matches(element: &Value, filter: &TypedFilter) -> bool {
    match filter {
        TypedFilter::Compare { attr, op, value } => {
            let actual = field(element, attr.path.sub.as_deref());
            compare(actual, *op, value, attr.info.case_exact)
        }
        TypedFilter::Present(attr) => {
            field(element, attr.path.sub.as_deref()).is_some_and(|v| !doc::is_unassigned(v))
        }
        TypedFilter::And(l, r) => matches(element, l) && matches(element, r),
        TypedFilter::Or(l, r) => matches(element, l) || matches(element, r),
        TypedFilter::Not(inner) => !matches(element, inner),
        TypedFilter::ValuePath { .. } => false,
    }
}

fn compare(actual: Option<&Value>, op: CompareOp, expected: &TypedValue, case_exact: bool) -> bool {
    if let TypedValue::Null = expected {
        return (op == CompareOp::Eq) == actual.is_none();
    }
    let Some(actual) = actual else {
        return op == CompareOp::Ne;
    };
    let ordering = match (expected, actual) {
        (TypedValue::String(e), Value::String(a)) => {
            if !case_exact {
                return string_op(&a.to_lowercase(), op, &e.to_lowercase());
            }
            return string_op(a, op, e);
        }
        (TypedValue::Boolean(e), Value::Bool(a)) => Some(a.cmp(e)),
        (TypedValue::Integer(e), Value::Number(a)) => {
            a.as_f64().and_then(|a| a.partial_cmp(&(*e as f64)))
        }
        (TypedValue::Decimal(e), Value::Number(a)) => a.as_f64().and_then(|a| a.partial_cmp(e)),
        (TypedValue::DateTime(e), Value::String(a)) => {
            DateTime::parse_from_rfc3339(a).ok().map(|a| a.cmp(e))
        }
        _ => None,
    };
    match ordering {
        Some(ordering) => ordering_op(ordering, op),
        None => op == CompareOp::Ne,
    }
}

fn string_op(actual: &str, op: CompareOp, expected: &str) -> bool {
    match op {
        CompareOp::Co => actual.contains(expected),
        CompareOp::Sw => actual.starts_with(expected),
        CompareOp::Ew => actual.ends_with(expected),
        _ => ordering_op(actual.cmp(expected), op),
    }
}

fn ordering_op(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// The value a filter describes, when it is a conjunction of `eq`
/// comparisons with non-null values: `type eq "work"` → `{"type": "work"}`.
/// Used to create the missing value of `emails[type eq "work"].value`.
pub(super) fn equalities(filter: &TypedFilter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    collect(filter, &mut out).then_some(out)
}

fn collect(filter: &TypedFilter, out: &mut Map<String, Value>) -> bool {
    match filter {
        TypedFilter::And(l, r) => collect(l, out) && collect(r, out),
        TypedFilter::Compare {
            attr,
            op: CompareOp::Eq,
            value,
        } => {
            let json = match value {
                TypedValue::String(s) => Value::from(s.as_str()),
                TypedValue::Boolean(b) => Value::from(*b),
                TypedValue::Integer(i) => Value::from(*i),
                TypedValue::Decimal(d) => Value::from(*d),
                TypedValue::DateTime(dt) => Value::from(dt.to_rfc3339()),
                TypedValue::Null => return false,
            };
            let Some(sub) = &attr.path.sub else {
                return false;
            };
            match out.get(sub) {
                Some(previous) if *previous != json => false,
                _ => {
                    out.insert(sub.clone(), json);
                    true
                }
            }
        }
        _ => false,
    }
}

fn same_scalar(def: Option<&AttributeDef>, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if !def.is_some_and(|d| d.case_exact) => {
            a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
        }
        _ => a == b,
    }
}

/// Whether `element` is the value `item` lists for removal: for complex
/// attributes every sub-attribute given in `item` must be equal (strings
/// compared according to `caseExact`), otherwise the values must be equal.
pub(super) fn same_value(attr: &AttributeDef, element: &Value, item: &Value) -> bool {
    match (element, item) {
        (Value::Object(element), Value::Object(item)) => item.iter().all(|(key, wanted)| {
            doc::get(element, key).is_some_and(|have| same_scalar(attr.sub(key), have, wanted))
        }),
        _ => same_scalar(Some(attr), element, item),
    }
}

fn is_primary(value: &Value) -> bool {
    value
        .as_object()
        .and_then(|o| doc::get(o, "primary"))
        .is_some_and(|p| *p == Value::Bool(true))
}

/// After values at `touched` were written: if one of them is primary, the
/// others stop being primary (RFC 7644 §3.5.2, RFC 7643 §2.4); two written
/// primary values are `invalidValue`.
pub(super) fn fix_primary(
    list: &mut [Value],
    touched: &[usize],
    path: &str,
) -> Result<(), ScimError> {
    let mut primaries: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&i| is_primary(&list[i]))
        .collect();
    primaries.dedup();
    match primaries.as_slice() {
        [] => Ok(()),
        [keep] => {
            for (i, value) in list.iter_mut().enumerate() {
                if i != *keep && is_primary(value) {
                    if let Value::Object(o) = value {
                        doc::set(o, "primary", Value::Bool(false));
                    }
                }
            }
            Ok(())
        }
        _ => Err(ScimError::invalid_value(format!(
            "at most one value of \"{path}\" may be primary"
        ))),
    }
}
