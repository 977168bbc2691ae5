//! The workspace export document: one workspace's access model with the SCIM views of its
//! users and groups, as written by `gatehouse workspace export` and read by
//! `gatehouse workspace import` (for instance to move from the embedded SQLite to
//! PostgreSQL). Its serde form is a contract: change it only with a new [`EXPORT_FORMAT`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::WorkspaceSettings;
use crate::access::{Grant, MemberKind, MemberSource, Product, Resource};

/// Version of the document's shape; import refuses any other.
pub const EXPORT_FORMAT: u32 = 1;

/// What a workspace has that the document does not carry (listed in every export, so the
/// operator knows what to set up again after an import).
pub const NOT_EXPORTED: [&str; 7] = [
    "sso_connections",
    "api_tokens",
    "invites",
    "sessions",
    "passwords",
    "audit_log",
    "change_feed",
];

/// How far an import trusts its document. A document is only data: whoever wrote it could
/// name any domain and any person, so only the operator's word turns it into authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTrust {
    /// The operator's own export (moving a workspace between databases): its domains are
    /// verified (unless another workspace holds one) and its members linked to their accounts
    /// as they were.
    OwnExport,
    /// Any other document: its domains become claims to verify by DNS, and every member waits
    /// for the person to accept (no account is made or linked).
    Untrusted,
}

/// One workspace, complete enough to recreate its access decisions elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceExport {
    /// [`EXPORT_FORMAT`] of the writer.
    pub format: u32,
    pub exported_at: DateTime<Utc>,
    /// The workspace revision the export is consistent with.
    pub source_revision: i64,
    /// See [`NOT_EXPORTED`]; informational, ignored by import.
    #[serde(default)]
    pub not_exported: Vec<String>,
    pub workspace: ExportedWorkspace,
    pub members: Vec<ExportedMember>,
    pub groups: Vec<ExportedGroup>,
    pub resources: Vec<Resource>,
    pub grants: Vec<Grant>,
}

/// The workspace itself. Its id is kept, so readers of `effective_grants` and the change feed
/// see the same workspace after a move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedWorkspace {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub products: Vec<Product>,
    pub domains: Vec<String>,
    pub settings: WorkspaceSettings,
}

/// A membership with its SCIM columns. The account is named by email: accounts are global, so
/// an import of the operator's own export links to the account with that email or creates
/// one; any other import leaves the membership waiting for the person (see [`ImportTrust`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedMember {
    /// Membership id (the subject of direct grants), kept on import.
    pub id: Uuid,
    pub email: String,
    pub kind: MemberKind,
    pub active: bool,
    /// How the membership came to be: `api`, `cli`, `scim`, `sso`, `invite`, `legacy`…
    pub provenance: String,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    /// The SCIM User document as the identity provider sent it.
    #[serde(default)]
    pub scim_doc: Option<serde_json::Value>,
    #[serde(default)]
    pub sso_exempt: bool,
    /// The membership waits for the person to accept it (it confers nothing, names no
    /// account). Left out when false, so documents of earlier releases read the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_consent: bool,
}

/// A group with its SCIM document and members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedGroup {
    pub id: Uuid,
    pub display_name: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub scim_doc: Option<serde_json::Value>,
    pub members: Vec<ExportedGroupMember>,
}

/// One member of a group and where the link came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedGroupMember {
    /// Membership id.
    pub membership_id: Uuid,
    pub source: MemberSource,
}
