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
