//! Shared helpers for the filter module's tests: tree builders and a small
//! case-insensitive User schema (RFC 7643 §4.1, §4.3) implementing
//! `SchemaLookup`.

use super::*;

pub(super) const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(super) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(super) fn p(input: &str) -> Filter {
    parse_filter(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
}

pub(super) fn path(text: &str) -> AttrPath {
    match text.split_once('.') {
        Some((name, sub)) => AttrPath::new(name).with_sub(sub),
        None => AttrPath::new(text),
    }
}

pub(super) fn cmp(attr: &str, op: CompareOp, value: Value) -> Filter {
    Filter::Compare {
        path: path(attr),
        op,
        value,
    }
}

pub(super) fn eq(attr: &str, value: i64) -> Filter {
    cmp(attr, CompareOp::Eq, Value::Integer(value))
}

pub(super) fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

pub(super) fn and(l: Filter, r: Filter) -> Filter {
    Filter::And(Box::new(l), Box::new(r))
}

pub(super) fn or(l: Filter, r: Filter) -> Filter {
    Filter::Or(Box::new(l), Box::new(r))
}

pub(super) fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

pub(super) fn vp(attr: &str, f: Filter) -> Filter {
    Filter::ValuePath {
        path: path(attr),
        filter: Box::new(f),
    }
}

/// The syntax error of `input` as (position, message).
pub(super) fn syntax_err(input: &str) -> (usize, String) {
    match parse_filter(input) {
        Err(FilterError::Syntax { position, message }) => (position, message),
        other => panic!("{input:?}: expected a syntax error, got {other:?}"),
    }
}

type Entry = (
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    AttrType,
    bool,
);

/// (schema URN or None for core, name, sub, type, multi-valued)
const ATTRS: &[Entry] = &[
    (None, "id", None, AttrType::String, false),
    (None, "userName", None, AttrType::String, false),
    (None, "externalId", None, AttrType::String, false),
    (None, "displayName", None, AttrType::String, false),
    (None, "active", None, AttrType::Boolean, false),
    (None, "loginCount", None, AttrType::Integer, false),
    (None, "score", None, AttrType::Decimal, false),
    (None, "name", None, AttrType::Complex, false),
    (None, "name", Some("givenName"), AttrType::String, false),
    (None, "name", Some("familyName"), AttrType::String, false),
    (None, "emails", None, AttrType::Complex, true),
    (None, "emails", Some("value"), AttrType::String, false),
    (None, "emails", Some("type"), AttrType::String, false),
    (None, "emails", Some("primary"), AttrType::Boolean, false),
    (None, "members", None, AttrType::Complex, true),
    (None, "members", Some("value"), AttrType::String, false),
    (None, "members", Some("$ref"), AttrType::Reference, false),
    (None, "x509Certificates", None, AttrType::Complex, true),
    (
        None,
        "x509Certificates",
        Some("value"),
        AttrType::Binary,
        false,
    ),
    (None, "meta", None, AttrType::Complex, false),
    (
        None,
        "meta",
        Some("lastModified"),
        AttrType::DateTime,
        false,
    ),
    (
        Some(ENTERPRISE),
        "employeeNumber",
        None,
        AttrType::String,
        false,
    ),
    (Some(ENTERPRISE), "manager", None, AttrType::Complex, false),
    (
        Some(ENTERPRISE),
        "manager",
        Some("value"),
        AttrType::String,
        false,
    ),
];

/// Case-insensitive lookup; core attributes are canonical without URN,
/// extension attributes with theirs; a bare name also finds extensions.
pub(super) struct TestSchema;

impl SchemaLookup for TestSchema {
    fn lookup(&self, path: &AttrPath) -> Option<ResolvedAttr> {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        ATTRS
            .iter()
            .find(|(urn, name, sub, _, _)| {
                let urn_ok = match path.urn.as_deref() {
                    None => true,
                    Some(given) => same(given, urn.unwrap_or(CORE)),
                };
                let sub_ok = match (path.sub.as_deref(), sub) {
                    (None, None) => true,
                    (Some(a), Some(b)) => same(a, b),
                    _ => false,
                };
                urn_ok && same(&path.name, name) && sub_ok
            })
            .map(|&(urn, name, sub, attr_type, multi_valued)| ResolvedAttr {
                path: AttrPath {
                    urn: urn.map(str::to_string),
                    name: name.to_string(),
                    sub: sub.map(str::to_string),
                },
                info: AttrInfo {
                    attr_type,
                    case_exact: name == "externalId" || name == "id",
                    multi_valued,
                },
            })
    }
}

pub(super) fn check(text: &str) -> Result<TypedFilter, FilterError> {
    validate(parse_filter(text).expect(text), &TestSchema)
}

pub(super) fn ok(text: &str) -> TypedFilter {
    check(text).unwrap_or_else(|e| panic!("{text:?} should validate: {e}"))
}

/// The single comparison of a filter: (canonical path, op, value).
pub(super) fn comparison(text: &str) -> (String, CompareOp, TypedValue) {
    match ok(text) {
        TypedFilter::Compare { attr, op, value } => (attr.path.to_string(), op, value),
        other => panic!("{text:?}: expected a comparison, got {other:?}"),
    }
}

pub(super) fn string(text: &str) -> TypedValue {
    TypedValue::String(text.to_string())
}
