//! Validation of a new grant against the catalog, the enabled products and
//! the registered resources. Pure: the errors become HTTP 400 bodies.

use super::catalog::{self, OWNER_ROLE};
use super::index::WorkspaceIndex;
use super::model::{Product, Scope};

/// Why a grant cannot be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The role key is not in the catalog.
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    /// `workspace.owner` is a membership kind, not a grantable role.
    #[error("the `workspace.owner` role cannot be granted; make the membership an owner instead")]
    OwnerNotGrantable,
    /// The role's product is not enabled in the workspace.
    #[error(
        "role `{role}` belongs to the `{product}` product, which is not enabled in this workspace"
    )]
    ProductNotEnabled {
        /// Role key.
        role: String,
        /// The disabled product.
        product: Product,
    },
    /// The role can only be granted on all instances.
    #[error("role `{role}` cannot be limited to one instance; grant it on all instances")]
    NotInstanceScopable {
        /// Role key.
        role: String,
    },
    /// The instance is not of the type the role can be scoped to.
    #[error("role `{role}` can only be limited to a `{expected}` instance, not a `{found}`")]
    WrongResourceType {
        /// Role key.
        role: String,
        /// Resource type the role can be scoped to.
        expected: String,
        /// Resource type that was given.
        found: String,
    },
    /// The instance is not registered in the workspace.
    #[error("{resource_type} `{id}` is not registered in this workspace")]
    UnknownResource {
        /// Resource type.
        resource_type: String,
        /// Resource id.
        id: String,
    },
}

impl GrantError {
    /// Stable machine-readable code for API bodies.
    pub fn code(&self) -> &'static str {
        match self {
            GrantError::UnknownRole(_) => "unknown_role",
            GrantError::OwnerNotGrantable => "owner_not_grantable",
            GrantError::ProductNotEnabled { .. } => "product_not_enabled",
            GrantError::NotInstanceScopable { .. } => "not_instance_scopable",
            GrantError::WrongResourceType { .. } => "wrong_resource_type",
            GrantError::UnknownResource { .. } => "unknown_resource",
        }
    }
}

impl WorkspaceIndex {
    /// Checks that `role` may be granted on `scope` in this workspace.
    ///
    /// `allow_owner_grant` lets `workspace.owner` through (reserved for a
    /// later feature); every other check still applies.
    pub fn validate_grant(
        &self,
        role: &str,
        scope: &Scope,
        allow_owner_grant: bool,
    ) -> Result<(), GrantError> {
        let def = catalog::role(role).ok_or_else(|| GrantError::UnknownRole(role.to_owned()))?;
        if def.key == OWNER_ROLE && !allow_owner_grant {
            return Err(GrantError::OwnerNotGrantable);
        }
        if let Some(product) = def.product {
            if !self.product_enabled(product) {
                return Err(GrantError::ProductNotEnabled {
                    role: def.key.to_owned(),
                    product,
                });
            }
        }
        let Scope::Instance(r) = scope else {
            return Ok(());
        };
        let Some(expected) = def.instance_scope else {
            return Err(GrantError::NotInstanceScopable {
                role: def.key.to_owned(),
            });
        };
        if r.resource_type != expected {
            return Err(GrantError::WrongResourceType {
                role: def.key.to_owned(),
                expected: expected.to_owned(),
                found: r.resource_type.clone(),
            });
        }
        if self.resource(r).is_none() {
            return Err(GrantError::UnknownResource {
                resource_type: r.resource_type.clone(),
                id: r.id.clone(),
            });
        }
        Ok(())
    }
}
