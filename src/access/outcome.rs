//! Answers of the evaluator: deny reasons, explanations, resource lists and
//! effective roles (serialized as API bodies).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Scope;

/// Why a check was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// No such membership in the workspace.
    NotAMember,
    /// The membership is inactive.
    Inactive,
    /// The person has not accepted the membership yet.
    AwaitingConsent,
    /// The action is not in the catalog.
    UnknownAction,
    /// Only roles of disabled products would allow it.
    ProductDisabled,
    /// Creating needs a grant on all instances; only instance grants match.
    CreateNeedsAllScope,
    /// No grant allows it.
    NoMatchingGrant,
}

/// How a role reaches a membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Through {
    /// A grant to the membership itself.
    Direct,
    /// A grant to a group the membership belongs to.
    Group {
        /// Group id.
        id: Uuid,
        /// Group display name (empty if the group is unknown).
        display_name: String,
    },
    /// The membership is an owner.
    Ownership,
    /// Every active membership has it (sign-in).
    Membership,
}

impl Through {
    /// Sort key: membership, ownership, direct, then groups by id.
    pub(crate) fn rank(&self) -> (u8, Option<Uuid>) {
        match self {
            Through::Membership => (0, None),
            Through::Ownership => (1, None),
            Through::Direct => (2, None),
            Through::Group { id, .. } => (3, Some(*id)),
        }
    }
}

/// One reason an action is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Via {
    /// The grant (`None` for ownership and membership).
    pub grant_id: Option<Uuid>,
    /// Role key (`workspace.owner` / `workspace.member` without a grant).
    pub role: String,
    /// Scope of the grant.
    pub scope: Scope,
    /// How the role reaches the membership.
    pub through: Through,
    /// Where the grant came from (legacy import, a mapping rule, SCIM, by hand…); `None`
    /// for ownership and membership.
    pub origin: Option<super::model::GrantOrigin>,
}

/// Result of [`WorkspaceIndex::explain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Same answer as [`WorkspaceIndex::check`].
    pub allowed: bool,
    /// Why it is denied (`None` when allowed).
    pub reason: Option<DenyReason>,
    /// Every ownership, membership or grant that allows it.
    pub via: Vec<Via>,
}

impl Explanation {
    /// A denial without any `via`.
    pub(crate) fn denied(reason: DenyReason) -> Self {
        Explanation {
            allowed: false,
            reason: Some(reason),
            via: Vec::new(),
        }
    }
}

/// Result of [`WorkspaceIndex::list_resources`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "ids", rename_all = "snake_case")]
pub enum ResourceList {
    /// Every instance, current and future.
    All,
    /// Exactly these registered instances (sorted, deduplicated, complete).
    Ids(Vec<String>),
}

/// One role a membership holds, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveRole {
    /// The grant (`None` for ownership).
    pub grant_id: Option<Uuid>,
    /// Role key.
    pub role: String,
    /// Scope of the grant.
    pub scope: Scope,
    /// How the role reaches the membership.
    pub through: Through,
    /// Whether the role's product is enabled (if not, the role confers nothing).
    pub active_product: bool,
}
