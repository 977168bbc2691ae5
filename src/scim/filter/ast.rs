//! Untyped syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths
//! (RFC 7644 §3.5.2), with a canonical `Display` that re-parses to the same tree.

use std::fmt;

pub use crate::domain::query::{AttrPath, CompareOp};

/// A comparison value (`compValue` of RFC 7644 §3.4.2.2: JSON `false`,
/// `null`, `true`, number or string).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A JSON string, unescaped.
    String(String),
    /// A JSON number without fraction or exponent that fits in `i64`.
    Integer(i64),
    /// A JSON number with a fraction or exponent (always finite).
    Decimal(f64),
    /// `true` / `false`.
    Boolean(bool),
    /// `null`.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_json_string(f, s),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Decimal(d) => write_decimal(f, *d),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 §7).
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Writes a decimal so that it re-parses as a decimal (always with `.` or `e`).
fn write_decimal(f: &mut fmt::Formatter<'_>, d: f64) -> fmt::Result {
    let magnitude = d.abs();
    if magnitude != 0.0 && !(1e-6..1e16).contains(&magnitude) {
        return write!(f, "{d:e}");
    }
    let text = d.to_string();
    if text.contains(['.', 'e', 'E']) {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

/// A filter expression (`FILTER` of RFC 7644 §3.4.2.2, Figure 1).
///
/// `and` binds tighter than `or`, both are left-associative, and `not (…)`
/// binds tightest (RFC 7644 §3.4.2.2, Table 4 and the precedence paragraph).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath compareOp compValue`.
    Compare {
        /// The compared attribute (relative inside a value path).
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: Value,
    },
    /// `attrPath pr` (present: has a non-empty, non-null value).
    Present(AttrPath),
    /// `FILTER and FILTER`.
    And(Box<Filter>, Box<Filter>),
    /// `FILTER or FILTER`.
    Or(Box<Filter>, Box<Filter>),
    /// `not ( FILTER )`.
    Not(Box<Filter>),
    /// `attrPath "[" valFilter "]"`: the filter applies to each value of a
    /// (multi-valued) complex attribute; the paths inside name sub-attributes
    /// relative to `path` (`urn` and `sub` are `None`).
    ValuePath {
        /// The complex attribute, e.g. `emails`.
        path: AttrPath,
        /// Filter over its sub-attributes, e.g. `type eq "work"`.
        filter: Box<Filter>,
    },
}

impl Filter {
    fn write_operand(f: &mut fmt::Formatter<'_>, operand: &Filter, parens: bool) -> fmt::Result {
        if parens {
            write!(f, "({operand})")
        } else {
            write!(f, "{operand}")
        }
    }
}

/// Canonical form: lower-case keywords, single spaces, JSON-escaped strings,
/// and parentheses only where needed to keep the same tree.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(left, right) => {
                Filter::write_operand(f, left, matches!(**left, Filter::Or(..)))?;
                f.write_str(" and ")?;
                let parens = matches!(**right, Filter::Or(..) | Filter::And(..));
                Filter::write_operand(f, right, parens)
            }
            Filter::Or(left, right) => {
                write!(f, "{left} or ")?;
                Filter::write_operand(f, right, matches!(**right, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2):
/// `PATH = attrPath / valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The target attribute, e.g. `members`, `name.givenName` or a
    /// URN-qualified extension attribute.
    pub attr: AttrPath,
    /// The value filter of `attr[…]`, with paths relative to `attr`.
    pub value_filter: Option<Filter>,
    /// The sub-attribute after the value filter, e.g. `value` in
    /// `emails[type eq "work"].value`.
    pub sub_attr: Option<String>,
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.value_filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
