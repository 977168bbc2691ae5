//! The SCIM schemas Gatehouse serves, as data (RFC 7643 §2, §4, §7): the core
//! User and Group schemas, the Enterprise User extension and the common
//! attributes, plus [`ResourceSchema`], which resolves attribute paths for the
//! filter validator ([`SchemaLookup`]), the PATCH engine and projection.
//!
//! Decisions:
//! - Attribute names, sub-attribute names and schema URNs match
//!   case-insensitively (RFC 7643 §2.1); resolution returns canonical names.
//! - A name without URN resolves to the common attributes (`id`,
//!   `externalId`, `meta`), then the core schema, then the extensions in order.
//! - The common attributes are resolvable (also under the core URN) but, as in
//!   RFC 7643 §8.7.1, are not listed in the `/Schemas` representation.
//! - Resource documents keep core and common attributes at top level and
//!   extension attributes inside an object keyed by the extension URN
//!   (RFC 7643 §3.3).

mod attribute;
mod defs;
pub(crate) mod doc;
mod json;
mod search;
pub use search::search_document;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_json;

use std::sync::LazyLock;

use serde_json::Value;

use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, ResolvedAttr, SchemaLookup};

pub use attribute::{AttributeDef, Mutability, Returned, Uniqueness};

pub use defs::{
    ENTERPRISE_USER_URN, ENTRA_GROUP_URN, GROUP_URN, RESOURCE_TYPE_URN, SCHEMA_URN, USER_URN,
};
pub use json::{
    resource_type_json, resource_types_json, schema_json, schemas_json, LIST_RESPONSE_URN,
};

/// A schema resource (RFC 7643 §7): URN `id`, `name`, `description` and
/// its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDef {
    /// The schema URN, e.g. [`USER_URN`].
    pub id: &'static str,
    /// Human-readable name, e.g. `"User"`.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Top-level attributes.
    pub attributes: Vec<AttributeDef>,
}

impl SchemaDef {
    /// The attribute called `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        find(&self.attributes, name)
    }
}

fn find<'a>(attrs: &'a [AttributeDef], name: &str) -> Option<&'a AttributeDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// A resource type (RFC 7643 §6) with its schemas: the core schema, its
/// extensions and the common attributes (RFC 7643 §3.1).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// Resource type name, e.g. `"User"` (also its `id`).
    pub name: &'static str,
    /// Endpoint relative to the base URL, e.g. `"/Users"`.
    pub endpoint: &'static str,
    /// Description of the resource type.
    pub description: &'static str,
    /// The core (base) schema.
    pub core: SchemaDef,
    /// Schema extensions (RFC 7643 §3.3), all optional.
    pub extensions: Vec<SchemaDef>,
    /// Common attributes: `id`, `externalId`, `meta` (RFC 7643 §3.1).
    pub common: Vec<AttributeDef>,
    /// Schema URNs accepted in `schemas` and ignored, e.g. [`ENTRA_GROUP_URN`].
    pub ignored_urns: &'static [&'static str],
    /// When true, the core `members` attribute is never written into the
    /// document by PATCH; membership changes are reported separately.
    pub members_out_of_band: bool,
}

/// Where a resolved attribute lives (see [`ResourceSchema::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttrRef<'a> {
    /// The extension holding the attribute, `None` for core and common ones.
    pub extension: Option<&'a SchemaDef>,
    /// The top-level attribute.
    pub attr: &'a AttributeDef,
    /// The sub-attribute, when the path named one.
    pub sub: Option<&'a AttributeDef>,
}

impl<'a> AttrRef<'a> {
    /// The definition of the named attribute (the sub-attribute if any).
    pub fn def(&self) -> &'a AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The canonical path: extension attributes carry their URN, core and
    /// common ones none.
    pub fn path(&self) -> AttrPath {
        AttrPath {
            urn: self.extension.map(|e| e.id.to_string()),
            name: self.attr.name.to_string(),
            sub: self.sub.map(|s| s.name.to_string()),
        }
    }
}

static USER: LazyLock<ResourceSchema> = LazyLock::new(defs::user);
static GROUP: LazyLock<ResourceSchema> = LazyLock::new(defs::group);

impl ResourceSchema {
    /// The User resource type (RFC 7643 §4.1, §4.3, §6).
    pub fn user() -> &'static ResourceSchema {
        &USER
    }

    /// The Group resource type (RFC 7643 §4.2, §6).
    pub fn group() -> &'static ResourceSchema {
        &GROUP
    }

    /// Every resource type served, in `/ResourceTypes` order.
    pub fn all() -> [&'static ResourceSchema; 2] {
        [ResourceSchema::user(), ResourceSchema::group()]
    }

    /// The resource type called `name` (case-insensitive), e.g. `"user"`.
    pub fn by_name(name: &str) -> Option<&'static ResourceSchema> {
        ResourceSchema::all()
            .into_iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The extension with URN `urn` (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&SchemaDef> {
        self.extensions
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(urn))
    }

    /// Whether `urn` is accepted in `schemas` but otherwise ignored.
    pub fn is_ignored_urn(&self, urn: &str) -> bool {
        self.ignored_urns
            .iter()
            .any(|u| u.eq_ignore_ascii_case(urn))
    }

    /// Top-level attributes of the document: common, then core.
    pub fn top_level(&self) -> impl Iterator<Item = &AttributeDef> {
        self.common.iter().chain(&self.core.attributes)
    }

    /// Resolves `path` case-insensitively (RFC 7643 §2.1). Without URN: common
    /// attributes, core schema, then extensions; with the core URN: common or
    /// core; with an extension URN: that extension. A sub-attribute must exist
    /// in the (complex) attribute.
    pub fn resolve(&self, path: &AttrPath) -> Option<AttrRef<'_>> {
        let (extension, attr) = match path.urn.as_deref() {
            None => match find(&self.common, &path.name).or(self.core.attribute(&path.name)) {
                Some(attr) => (None, attr),
                None => self
                    .extensions
                    .iter()
                    .find_map(|e| e.attribute(&path.name).map(|a| (Some(e), a)))?,
            },
            Some(urn) if urn.eq_ignore_ascii_case(self.core.id) => (
                None,
                find(&self.common, &path.name).or(self.core.attribute(&path.name))?,
            ),
            Some(urn) => {
                let ext = self.extension(urn)?;
                (Some(ext), ext.attribute(&path.name)?)
            }
        };
        let sub = match &path.sub {
            Some(name) => Some(attr.sub(name)?),
            None => None,
        };
        Some(AttrRef {
            extension,
            attr,
            sub,
        })
    }

    /// The definition of `path` (its sub-attribute when it names one), for
    /// the PATCH engine and projection.
    pub fn attribute(&self, path: &AttrPath) -> Option<&AttributeDef> {
        self.resolve(path).map(|r| r.def())
    }

    /// Checks a resource body's `schemas` (RFC 7643 §3): a non-empty array of
    /// strings holding the core URN; every URN must be the core schema, one
    /// of its extensions or an ignored URN. Errors are `400 invalidSyntax`
    /// (missing, malformed or an unknown URN, as the interoperability profile asks) or
    /// `400 invalidValue` (the core URN is missing).
    pub fn check_schemas(&self, schemas: Option<&Value>) -> Result<(), ScimError> {
        let Some(Value::Array(list)) = schemas else {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of schema URNs",
            ));
        };
        let mut has_core = false;
        for item in list {
            let Some(urn) = item.as_str() else {
                return Err(ScimError::invalid_syntax("\"schemas\" must hold strings"));
            };
            if urn.eq_ignore_ascii_case(self.core.id) {
                has_core = true;
            } else if self.extension(urn).is_none() && !self.is_ignored_urn(urn) {
                return Err(ScimError::invalid_syntax(format!(
                    "unknown schema \"{urn}\" for {}",
                    self.name
                )));
            }
        }
        if !has_core {
            return Err(ScimError::invalid_value(format!(
                "\"schemas\" must contain \"{}\"",
                self.core.id
            )));
        }
        Ok(())
    }
}

/// Case-insensitive resolution returning canonical paths (RFC 7643 §2.1).
impl SchemaLookup for ResourceSchema {
    fn lookup(&self, path: &AttrPath) -> Option<ResolvedAttr> {
        let found = self.resolve(path)?;
        Some(ResolvedAttr {
            path: found.path(),
            info: found.def().info(),
        })
    }
}
