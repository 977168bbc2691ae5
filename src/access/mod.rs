//! Access model of Gatehouse: who may do what in a workspace.
//!
//! - [`catalog`]: the role catalog, as data (role keys, products, actions);
//! - [`model`]: members, groups, resources, grants, the change stream and
//!   snapshots (the contract with the storage layer);
//! - [`WorkspaceIndex`]: the in-memory index of one workspace, built from a
//!   [`Snapshot`] and kept current with [`Change`]s, answering `check`,
//!   `explain`, `list_resources`, `list_subjects` and `permissions`;
//! - [`GrantError`]: validation of new grants;
//! - [`legacy`]: planner for migrating legacy role assignments;
//! - [`values`]: the edge values (email, role key, resource type), checked once where they
//!   enter.
//!
//! Everything here is pure (no I/O).

mod apply;
pub mod catalog;
mod evaluate;
mod index;
pub mod legacy;
pub mod model;
mod outcome;
mod slots;
mod validate;
pub mod values;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

pub use catalog::RoleDef;
pub use index::WorkspaceIndex;
pub use model::{
    Change, Grant, GrantOrigin, GroupInfo, Member, MemberKey, MemberKind, MemberSource, Product,
    Resource, ResourceRef, Scope, Snapshot, Subject, UnknownProduct,
};
pub use outcome::{DenyReason, EffectiveRole, Explanation, ResourceList, Through, Via};
pub use validate::GrantError;
pub use values::{Email, InvalidValue, NewResource, ResourceType, RoleKey, RESOURCE_TYPES};
