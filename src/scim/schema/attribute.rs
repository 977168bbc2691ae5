//! Attribute definitions with the characteristics of RFC 7643 §2.2 and §7
//! (`mutability`, `returned`, `uniqueness`, …), built with chaining setters.

use crate::scim::filter::{AttrInfo, AttrType};

/// The `mutability` characteristic (RFC 7643 §2.2, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// `readOnly`: the attribute SHALL NOT be modified.
    ReadOnly,
    /// `readWrite`: may be updated and read at any time.
    ReadWrite,
    /// `immutable`: may be set once (when absent), then never changed.
    Immutable,
    /// `writeOnly`: may be updated at any time but is never returned.
    WriteOnly,
}

impl Mutability {
    /// The keyword as spelt in RFC 7643 §7, e.g. `"readOnly"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// The `returned` characteristic (RFC 7643 §2.2, §7; RFC 7644 §3.4.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    /// `always`: returned whatever `attributes`/`excludedAttributes` say.
    Always,
    /// `never`: never returned.
    Never,
    /// `default`: returned unless excluded or not listed in `attributes`.
    Default,
    /// `request`: returned only when named in `attributes`.
    Request,
}

impl Returned {
    /// The keyword as spelt in RFC 7643 §7, e.g. `"default"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// The `uniqueness` characteristic (RFC 7643 §2.2, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    /// `none`: no uniqueness required.
    None,
    /// `server`: unique within the service provider (tenant).
    Server,
    /// `global`: globally unique.
    Global,
}

impl Uniqueness {
    /// The keyword as spelt in RFC 7643 §7, e.g. `"server"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with the characteristics of RFC 7643 §2.2 and
/// §7. Built with [`AttributeDef::new`] and the chaining setters; the
/// defaults are those of RFC 7643 §2.2 (single-valued, optional, not case
/// exact, `readWrite`, returned `default`, uniqueness `none`).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// Canonical name (RFC 7643 §2.1).
    pub name: &'static str,
    /// Data type (RFC 7643 §2.3).
    pub attr_type: AttrType,
    /// `multiValued`.
    pub multi_valued: bool,
    /// `required`.
    pub required: bool,
    /// `caseExact`.
    pub case_exact: bool,
    /// `mutability`.
    pub mutability: Mutability,
    /// `returned`.
    pub returned: Returned,
    /// `uniqueness`.
    pub uniqueness: Uniqueness,
    /// `canonicalValues` (e.g. `work`, `home` for `emails.type`).
    pub canonical_values: &'static [&'static str],
    /// `referenceTypes` of a `reference` attribute (RFC 7643 §2.3.7).
    pub reference_types: &'static [&'static str],
    /// `subAttributes` of a `complex` attribute (RFC 7643 §2.3.8).
    pub sub_attributes: Vec<AttributeDef>,
    /// `description`.
    pub description: &'static str,
}

impl AttributeDef {
    /// A single-valued, optional, `readWrite`, returned-`default` attribute.
    pub fn new(name: &'static str, attr_type: AttrType, description: &'static str) -> Self {
        AttributeDef {
            name,
            attr_type,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: Vec::new(),
            description,
        }
    }

    /// Marks the attribute `multiValued`.
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Marks the attribute `required`.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the attribute `caseExact`.
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets `mutability`.
    pub fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// Sets `returned`.
    pub fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// Sets `uniqueness`.
    pub fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// Sets `canonicalValues`.
    pub fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    /// Sets `referenceTypes`.
    pub fn reference_types(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }

    /// Sets `subAttributes`.
    pub fn sub_attributes(mut self, subs: Vec<AttributeDef>) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute called `name` (case-insensitive, RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether this is a `complex` attribute (RFC 7643 §2.3.8).
    pub fn is_complex(&self) -> bool {
        self.attr_type == AttrType::Complex
    }

    /// The characteristics the filter validator needs.
    pub fn info(&self) -> AttrInfo {
        AttrInfo {
            attr_type: self.attr_type,
            case_exact: self.case_exact,
            multi_valued: self.multi_valued,
        }
    }
}
