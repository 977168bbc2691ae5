//! SAML 2.0 single sign-on: this service is the SP of each workspace, trusting the IdP
//! connections the workspace configured. `metadata` reads IdP metadata, `verify` checks a
//! Response, `login` turns a verified assertion into an account, membership, groups and a
//! session, `routes` serves `/saml/{workspace}/…`, `refresh` re-reads metadata URLs.

pub mod login;
pub mod metadata;
pub mod refresh;
pub mod routes;
pub mod verify;

/// Why a SAML operation failed. `Invalid` is bad configuration (metadata); `Rejected` is a
/// response or login that must be refused. The text is for logs and owners, never secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SamlError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Storage(String),
}

impl SamlError {
    /// A fixed label for metrics (the message itself is too varied to be a label).
    pub fn reason_label(&self) -> &'static str {
        let text = match self {
            SamlError::Storage(_) => return "storage",
            SamlError::Invalid(_) => return "configuration",
            SamlError::Rejected(text) => text.to_ascii_lowercase(),
        };
        const LABELS: [(&str, &str); 12] = [
            ("doctype", "doctype"),
            ("comment", "comment"),
            ("replay", "replay"),
            ("already used", "replay"),
            ("inresponseto", "in_response_to"),
            ("already answered", "in_response_to"),
            ("verification", "signature"),
            ("audience", "audience"),
            ("addressed", "destination"),
            ("verified domain", "domain"),
            ("deactivated", "deactivated"),
            ("not a member", "not_member"),
        ];
        LABELS
            .iter()
            .find(|(needle, _)| text.contains(needle))
            .map(|(_, label)| *label)
            .unwrap_or("other")
    }
}

impl From<crate::storage::StoreError> for SamlError {
    fn from(err: crate::storage::StoreError) -> Self {
        SamlError::Storage(err.to_string())
    }
}

impl From<crate::service::ServiceError> for SamlError {
    fn from(err: crate::service::ServiceError) -> Self {
        SamlError::Storage(err.to_string())
    }
}

/// The SP entity id of a workspace (also its metadata URL).
pub fn sp_entity_id(public_url: &str, slug: &str) -> String {
    format!("{public_url}/saml/{slug}/metadata")
}

/// The assertion consumer service URL of a workspace.
pub fn acs_url(public_url: &str, slug: &str) -> String {
    format!("{public_url}/saml/{slug}/acs")
}
