//! The access model's edge values: an email address, a role key and a resource type. Each is
//! parsed once where it enters (an API body, a SCIM document, a CLI argument) and carried as
//! its own type afterwards, so a string nobody checked cannot reach a membership, a grant or
//! a registered resource.

use std::fmt;

use serde::Serialize;

use super::catalog;
use super::model::{Resource, ResourceRef};
use super::validate::GrantError;

/// A value that failed its check; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// The longest address accepted (RFC 5321's path limit plus room for quoting).
const MAX_EMAIL: usize = 320;

/// A trimmed email address with one `@`, a non-empty local part and a dotted domain, without
/// whitespace or control characters. The identity provider is the authority on whether the
/// mailbox exists; this keeps out what cannot be an address at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidValue> {
        let email = raw.trim();
        let shaped = matches!(
            email.split_once('@'),
            Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@')
        );
        if shaped
            && email.len() <= MAX_EMAIL
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            Ok(Email(email.to_string()))
        } else {
            Err(InvalidValue(format!("{email:?} is not an email address")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key of the role catalog (e.g. `source.admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RoleKey(&'static str);

impl RoleKey {
    /// The catalog's key equal to `raw`; unknown keys are the grant error callers already
    /// know (`unknown_role`).
    pub fn parse(raw: &str) -> Result<RoleKey, GrantError> {
        catalog::role(raw)
            .map(|def| RoleKey(def.key))
            .ok_or_else(|| GrantError::UnknownRole(raw.to_string()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The resource types other services may register.
pub const RESOURCE_TYPES: [&str; 5] = [
    "source",
    "destination",
    "warehouse",
    "tracking_plan",
    "personas_space",
];

/// One of [`RESOURCE_TYPES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ResourceType(&'static str);

impl ResourceType {
    pub const SOURCE: ResourceType = ResourceType("source");
    pub const DESTINATION: ResourceType = ResourceType("destination");

    pub fn parse(raw: &str) -> Result<ResourceType, InvalidValue> {
        RESOURCE_TYPES
            .iter()
            .find(|t| **t == raw)
            .map(|t| ResourceType(t))
            .ok_or_else(|| {
                InvalidValue(format!(
                    "unknown resource type {raw:?} (one of {})",
                    RESOURCE_TYPES.join(", ")
                ))
            })
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A resource instance to register, its type already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResource {
    pub resource_type: ResourceType,
    pub id: String,
    pub name: String,
    /// A destination's source.
    pub parent: Option<ResourceRef>,
}

impl TryFrom<Resource> for NewResource {
    type Error = InvalidValue;

    /// Checks a resource's type (for callers that hold a whole `Resource`, such as imports).
    fn try_from(r: Resource) -> Result<NewResource, InvalidValue> {
        Ok(NewResource {
            resource_type: ResourceType::parse(&r.resource_type)?,
            id: r.id,
            name: r.name,
            parent: r.parent,
        })
    }
}

impl NewResource {
    pub fn into_resource(self) -> Resource {
        Resource {
            resource_type: self.resource_type.as_str().to_string(),
            id: self.id,
            name: self.name,
            parent: self.parent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_shaped() {
        assert_eq!(
            Email::parse("  a@b.example ").unwrap().as_str(),
            "a@b.example"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.example",
            "a@b@c.example",
            "a b@c.example",
            "a@b.ex\u{7}",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@b.example", "a".repeat(400))).is_err());
    }

    #[test]
    fn role_keys_come_from_the_catalog() {
        assert_eq!(
            RoleKey::parse("source.admin").unwrap().as_str(),
            "source.admin"
        );
        assert_eq!(
            RoleKey::parse("source.wizard"),
            Err(GrantError::UnknownRole("source.wizard".into()))
        );
    }

    #[test]
    fn resource_types_are_the_registrable_ones() {
        assert_eq!(ResourceType::parse("source").unwrap(), ResourceType::SOURCE);
        assert!(ResourceType::parse("Source").is_err());
        assert!(ResourceType::parse("workspace").is_err());
    }
}
