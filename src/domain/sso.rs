//! Sign-in domain types: SAML IdP connections and sessions. Pure data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The groups claim names used when a connection names none: Okta's usual `groups` and
/// Entra ID's object-id claim.
pub const DEFAULT_GROUP_ATTRIBUTES: [&str; 2] = [
    "groups",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
];

/// Entra ID sends this instead of the groups when a user has more than 150 of them.
pub const ENTRA_GROUPS_OVERAGE: &str = "http://schemas.microsoft.com/claims/groups.link";

/// One signing certificate of an IdP (several during a rollover).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpCertificate {
    /// DER, base64.
    pub der: String,
    pub not_after: DateTime<Utc>,
}

impl IdpCertificate {
    /// Days until the certificate expires (negative once expired), for owners' warnings.
    pub fn days_left(&self) -> i64 {
        (self.not_after - Utc::now()).num_days()
    }
}

/// Which assertion attributes carry what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttributeMapping {
    /// The attribute carrying the email; `None` uses the NameID.
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Attributes carrying group names or ids; empty means [`DEFAULT_GROUP_ATTRIBUTES`].
    pub groups: Vec<String>,
}

impl AttributeMapping {
    /// The group attribute names in force.
    pub fn group_attributes(&self) -> Vec<String> {
        if self.groups.is_empty() {
            DEFAULT_GROUP_ATTRIBUTES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            self.groups.clone()
        }
    }
}

/// A SAML identity provider a workspace trusts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoConnection {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub idp_entity_id: String,
    pub sso_url: String,
    pub certificates: Vec<IdpCertificate>,
    #[serde(skip_serializing)]
    pub metadata_xml: String,
    pub metadata_url: Option<String>,
    pub metadata_valid_until: Option<DateTime<Utc>>,
    pub refreshed_at: Option<DateTime<Utc>>,
    pub refresh_error: Option<String>,
    /// When a metadata refresh last changed the signing certificates (also audited).
    pub certificates_changed_at: Option<DateTime<Utc>>,
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
    pub attribute_mapping: AttributeMapping,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a session was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMethod {
    Password,
    Sso,
}

impl SessionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Sso => "sso",
        }
    }
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub method: SessionMethod,
    /// The workspace an SSO session signed in to.
    pub workspace_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
