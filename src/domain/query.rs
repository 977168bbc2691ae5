//! Queries over a resource's attributes that belong to no protocol: a typed filter tree
//! (attributes resolved to their canonical paths and characteristics, values checked against
//! their types) that storage turns into SQL. SCIM's filter language (`crate::scim::filter`)
//! parses and validates into it; another protocol could too.

use std::fmt;

use chrono::{DateTime, FixedOffset};

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

/// Attribute data types of RFC 7643 §2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// §2.3.1 string.
    String,
    /// §2.3.2 boolean.
    Boolean,
    /// §2.3.3 decimal.
    Decimal,
    /// §2.3.4 integer.
    Integer,
    /// §2.3.5 dateTime.
    DateTime,
    /// §2.3.6 binary (base64).
    Binary,
    /// §2.3.7 reference.
    Reference,
    /// §2.3.8 complex.
    Complex,
}

impl fmt::Display for AttrType {
    /// The type name as spelt in RFC 7643 §7 (`"dateTime"`, …).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        })
    }
}

/// What the schema says about one attribute (RFC 7643 §7 attribute
/// characteristics relevant to filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttrInfo {
    /// The data type (`type`).
    pub attr_type: AttrType,
    /// `caseExact`: whether string comparisons are case-sensitive
    /// (RFC 7644 §3.4.2.2 applies it to every string operator).
    pub case_exact: bool,
    /// `multiValued`.
    pub multi_valued: bool,
}

/// An attribute as the schema knows it: canonical path plus characteristics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedAttr {
    /// Canonical spelling of the path (as declared in the schema). For
    /// value-path children it is the full `parent.sub` path.
    pub path: AttrPath,
    /// The attribute's characteristics.
    pub info: AttrInfo,
}

/// Schema access supplied by the caller.
///
/// `lookup` receives a fully qualified path: at top level the path as
/// written; inside a value path `parent.child` (using the parent's canonical
/// name and URN); for a complex attribute compared without sub-attribute,
/// `attr.value`. It **must match case-insensitively** (RFC 7643 §2.1 —
/// attribute names and schema URIs are case-insensitive), must decide how a
/// path without URN maps to the core schema or an extension, and returns the
/// canonical path, which is what the typed tree carries.
pub trait SchemaLookup {
    /// Resolves `path`, or `None` when the attribute is unknown.
    fn lookup(&self, path: &AttrPath) -> Option<ResolvedAttr>;
}

/// A comparison value checked against, and coerced to, the attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// For `string`, `reference` and `binary` attributes.
    String(String),
    /// For `integer` attributes.
    Integer(i64),
    /// For `decimal` attributes (integers are widened).
    Decimal(f64),
    /// For `boolean` attributes.
    Boolean(bool),
    /// For `dateTime` attributes: the string parsed as RFC 3339.
    DateTime(DateTime<FixedOffset>),
    /// `null`, only with `eq` / `ne`.
    Null,
}

/// A validated filter: the shape of [`Filter`], with every attribute resolved
/// and every value typed.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedFilter {
    /// A comparison on a non-complex attribute.
    Compare {
        /// The resolved attribute (for `emails co "x"`: `emails.value`).
        attr: ResolvedAttr,
        /// The operator, allowed for the attribute's type.
        op: CompareOp,
        /// The coerced value.
        value: TypedValue,
    },
    /// `pr` on any attribute, complex ones included.
    Present(ResolvedAttr),
    /// Logical and.
    And(Box<TypedFilter>, Box<TypedFilter>),
    /// Logical or.
    Or(Box<TypedFilter>, Box<TypedFilter>),
    /// Logical not.
    Not(Box<TypedFilter>),
    /// A value filter on a complex attribute; paths inside are full
    /// `parent.sub` paths.
    ValuePath {
        /// The complex attribute.
        attr: ResolvedAttr,
        /// The filter each of its values is tested with.
        filter: Box<TypedFilter>,
    },
}

/// Which kind of resource a stored document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    User,
    Group,
}

/// The search copy of a stored document (what filters read): the protocol that owns the
/// document's schema computes it (SCIM folds the strings of its case-insensitive attributes),
/// so storage needs no protocol's rules.
pub type SearchDocument = fn(DocumentKind, &serde_json::Value) -> serde_json::Value;
