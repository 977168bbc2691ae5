//! Untyped syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths
//! (RFC 7644 §3.5.2), with a canonical `Display` that re-parses to the same tree.

use std::fmt;

/// An attribute path: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.4.2.2,
/// Figure 1; RFC 7643 §2.1 for attribute names).
///
/// Names are kept as written; attribute names are case-insensitive
/// (RFC 7643 §2.1) and are only canonicalised by schema validation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URI prefix, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
    /// (everything up to the last `:` before the attribute name).
    pub urn: Option<String>,
    /// Attribute name (`ALPHA *(nameChar)`).
    pub name: String,
    /// Sub-attribute name, e.g. `givenName` in `name.givenName`; may be `$ref`.
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path with only an attribute name, e.g. `userName`.
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }

    /// This path with its sub-attribute replaced by `sub`, e.g.
    /// `emails` → `emails.value`.
    pub fn with_sub(&self, sub: impl Into<String>) -> Self {
        AttrPath {
            urn: self.urn.clone(),
            name: self.name.clone(),
            sub: Some(sub.into()),
        }
    }

    /// This path with a schema URI prefix.
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Comparison operators of RFC 7644 §3.4.2.2, Table 3 (`pr` is
/// [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (substring).
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the order of RFC 7644 Table 3.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The lower-case keyword, e.g. `"eq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// Parses a keyword case-insensitively (RFC 7644 §3.4.2.2: "Attribute
    /// names and attribute operators used in filters are case insensitive").
    pub fn from_keyword(word: &str) -> Option<Self> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
