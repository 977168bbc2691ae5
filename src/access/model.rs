//! Data model shared with the storage layer: members, groups, resources,
//! grants, the change stream (`Change`) and the full `Snapshot`.
//!
//! These types are serialized as JSON rows by the storage layer and replayed
//! on every Gatehouse instance, so their serde representation is a contract.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Kind of a workspace membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// Workspace owner: may do every action of the catalog.
    Owner,
    /// Ordinary member: may do what its grants (direct and via groups) allow.
    Member,
}

/// Where a group membership link came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberSource {
    /// Provisioned by the identity provider over SCIM.
    Scim,
    /// Asserted by a SAML group attribute at sign-in.
    Saml,
    /// Added by hand in Gatehouse.
    Manual,
}

/// A product that can be enabled per workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Sources and their destinations.
    Sources,
    /// Warehouses.
    Warehouses,
    /// Protocols (tracking plans).
    Protocols,
    /// Personas (spaces, audiences, traits).
    Personas,
}

impl Product {
    /// Every product, in a stable order.
    pub const ALL: [Product; 4] = [
        Product::Sources,
        Product::Warehouses,
        Product::Protocols,
        Product::Personas,
    ];

    /// Stable API name (`"sources"`, ...), identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Sources => "sources",
            Product::Warehouses => "warehouses",
            Product::Protocols => "protocols",
            Product::Personas => "personas",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing an unknown product name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown product `{0}` (expected one of: sources, warehouses, protocols, personas)")]
pub struct UnknownProduct(pub String);

impl FromStr for Product {
    type Err = UnknownProduct;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Product::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProduct(s.to_owned()))
    }
}

/// Reference to a registered resource instance: `{"type": ..., "id": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Resource type, e.g. `source`, `destination`, `warehouse`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Identifier chosen by the registering service (may be empty for create checks).
    pub id: String,
}

impl ResourceRef {
    /// Builds a reference from a type and an id.
    pub fn new(resource_type: impl Into<String>, id: impl Into<String>) -> Self {
        ResourceRef {
            resource_type: resource_type.into(),
            id: id.into(),
        }
    }
}

/// A resource instance registered by another service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource type, e.g. `source`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Identifier chosen by the registering service.
    pub id: String,
    /// Human readable name.
    pub name: String,
    /// Parent instance (a destination's source), if any.
    #[serde(default)]
    pub parent: Option<ResourceRef>,
}

impl Resource {
    /// The `(type, id)` reference of this resource.
    pub fn to_ref(&self) -> ResourceRef {
        ResourceRef::new(self.resource_type.clone(), self.id.clone())
    }
}

/// A person's membership in the workspace. Tenants name it by its own id; the person's
/// global account stays out of the model (storage links the two), so no workspace ever sees
/// an account id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Membership id (the subject of direct grants).
    pub id: Uuid,
    /// The workspace's name for the person (unique in the workspace, case-insensitive).
    pub email: String,
    /// Owner or member.
    pub kind: MemberKind,
    /// An inactive membership can do nothing at all.
    pub active: bool,
    /// The workspace asked for a person outside its verified domains: the membership confers
    /// nothing until the person accepts it.
    #[serde(default)]
    pub awaiting_consent: bool,
}

impl Member {
    /// Whether the membership confers anything (sign-in, roles): active and accepted.
    pub fn confers_access(&self) -> bool {
        self.active && !self.awaiting_consent
    }
}

/// A workspace-scoped group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Group id (the subject of group grants).
    pub id: Uuid,
    /// Display name (as provisioned by the identity provider, or typed by hand).
    pub display_name: String,
    /// Identity provider's id for the group, if provisioned.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Who a grant is given to: `{"type":"user","id":...}` or `{"type":"group","id":...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// A membership (by membership id).
    User(Uuid),
    /// A group (by group id).
    Group(Uuid),
}

/// Where a grant applies: `{"type":"all"}` or
/// `{"type":"instance","resource":{"type":...,"id":...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "resource", rename_all = "snake_case")]
pub enum Scope {
    /// Every current and future instance.
    All,
    /// One registered instance.
    Instance(ResourceRef),
}

/// Where a grant came from: `{"type":"manual"}`, `{"type":"rule","id":...}`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum GrantOrigin {
    /// Granted by hand.
    Manual,
    /// Created by the legacy-role migration.
    Legacy,
    /// Created by an automatic assignment rule (by rule id).
    Rule(Uuid),
    /// Created from SCIM provisioning.
    Scim,
    /// Created when an invitation was accepted.
    Invite,
}

/// A role given to a subject on a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Grant id.
    pub id: Uuid,
    /// Membership or group receiving the role.
    pub subject: Subject,
    /// Role key from the catalog (e.g. `source.admin`).
    pub role: String,
    /// All instances or one instance.
    pub scope: Scope,
    /// Where the grant came from.
    pub origin: GrantOrigin,
}

/// One entry of the change stream, replayed in revision order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Replaces the set of enabled products.
    ProductsSet {
        /// Enabled products.
        products: Vec<Product>,
    },
    /// Creates or updates a membership.
    MemberUpserted {
        /// The membership.
        member: Member,
    },
    /// Removes a membership, its group links and its direct grants.
    MemberRemoved {
        /// Membership id.
        membership_id: Uuid,
    },
    /// Creates or updates a group.
    GroupUpserted {
        /// The group.
        group: GroupInfo,
    },
    /// Removes a group, its member links and its grants.
    GroupRemoved {
        /// Group id.
        group_id: Uuid,
    },
    /// Adds (or re-sources) memberships in a group; one change for a whole batch, so a
    /// 10,000-member SCIM PATCH is one feed entry and a few multi-row inserts.
    GroupMembersAdded {
        /// Group id.
        group_id: Uuid,
        /// Membership ids.
        membership_ids: Vec<Uuid>,
        /// Where the links came from.
        source: MemberSource,
    },
    /// Removes memberships from a group.
    GroupMembersRemoved {
        /// Group id.
        group_id: Uuid,
        /// Membership ids.
        membership_ids: Vec<Uuid>,
    },
    /// Registers or updates a resource instance.
    ResourceUpserted {
        /// The resource.
        resource: Resource,
    },
    /// Unregisters a resource instance and drops the instance grants on it.
    ResourceRemoved {
        /// The resource.
        resource: ResourceRef,
    },
    /// Adds (or replaces, same id) a grant.
    GrantAdded {
        /// The grant.
        grant: Grant,
    },
    /// Removes a grant.
    GrantRemoved {
        /// Grant id.
        grant_id: Uuid,
    },
    /// A notice, not a change of access: an SSO connection's signing certificate expires
    /// within `threshold_days` (30, 7 or 1). In the feed so webhooks carry it; each threshold
    /// of a certificate is announced once.
    CertificateExpiring {
        /// The SSO connection.
        connection_id: Uuid,
        /// The IdP's entity id.
        idp_entity_id: String,
        /// When the certificate expires (RFC 3339).
        not_after: String,
        /// Whole days left when the notice was made.
        days_left: i64,
        /// The threshold crossed.
        threshold_days: i64,
    },
}

/// Complete state of one workspace at a revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Revision of the last change included.
    pub revision: i64,
    /// Enabled products.
    pub products: Vec<Product>,
    /// Memberships.
    pub members: Vec<Member>,
    /// Groups.
    pub groups: Vec<GroupInfo>,
    /// Group links: `(group id, membership id, source)`.
    pub group_members: Vec<(Uuid, Uuid, MemberSource)>,
    /// Registered resources.
    pub resources: Vec<Resource>,
    /// Grants.
    pub grants: Vec<Grant>,
}

/// How the API layer names a member: by membership id or by email, never by the person's
/// global account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum MemberKey {
    /// By membership id.
    Membership(Uuid),
    /// By email (case-insensitive).
    Email(String),
}

impl MemberKey {
    /// Parses a path segment: a UUID is a membership id, anything else an email.
    pub fn parse(s: &str) -> MemberKey {
        match Uuid::parse_str(s.trim()) {
            Ok(id) => MemberKey::Membership(id),
            Err(_) => MemberKey::Email(s.trim().to_owned()),
        }
    }
}
