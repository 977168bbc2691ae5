//! The audit log: who changed what, when, and in which request. Append-only; the storage
//! layer refuses updates and deletes of audit rows.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// An operator at the `gatehouse` command line.
    Cli,
    /// A bearer token (SCIM or service) of the workspace.
    Token { id: Uuid },
    /// A signed-in workspace owner (named by membership, never by global account).
    Owner { membership_id: Uuid },
    /// The person themselves, acting on their own membership (accepting or declining it).
    Person { membership_id: Uuid },
    /// A SAML login provisioning its own membership and groups. Rows written before
    /// memberships named this actor carry no id (they named the global account, which tenants
    /// must not see).
    SamlLogin {
        #[serde(default)]
        membership_id: Option<Uuid>,
    },
    /// Gatehouse itself (mapping rules, expiry).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cli => f.write_str("cli"),
            Self::Token { id } => write!(f, "token:{id}"),
            Self::Owner { membership_id } => write!(f, "owner:{membership_id}"),
            Self::Person { membership_id } => write!(f, "person:{membership_id}"),
            Self::SamlLogin {
                membership_id: Some(id),
            } => write!(f, "saml:{id}"),
            Self::SamlLogin {
                membership_id: None,
            } => f.write_str("saml"),
            Self::System => f.write_str("system"),
        }
    }
}

/// One change to be recorded.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub workspace_id: Option<Uuid>,
    pub actor: Actor,
    /// Dotted verb, e.g. `token.create`, `grant.delete`.
    pub action: String,
    /// What was changed, e.g. `token:<id>`.
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

impl NewAuditEntry {
    /// An entry for a change in `workspace_id` (add `before`/`after` with the builders).
    pub fn new(
        workspace_id: Uuid,
        actor: &Actor,
        action: &str,
        target: impl Into<String>,
        request_id: Option<&str>,
    ) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            actor: actor.clone(),
            action: action.to_string(),
            target: target.into(),
            before: None,
            after: None,
            request_id: request_id.map(str::to_owned),
        }
    }

    /// The state before the change.
    pub fn before(mut self, before: Option<serde_json::Value>) -> Self {
        self.before = before;
        self
    }

    /// The state after the change.
    pub fn after(mut self, after: Option<serde_json::Value>) -> Self {
        self.after = after;
        self
    }
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increases with every entry; use it as the `after` cursor when reading.
    pub id: i64,
    pub workspace_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}
