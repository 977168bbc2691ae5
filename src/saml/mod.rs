//! SAML 2.0 single sign-on, the protocol's own rules without I/O: this service is the SP of
//! each workspace, trusting the IdP connections the workspace configured. `metadata` reads
//! IdP metadata, `precheck` runs the linear checks every posted Response passes first,
//! `verify` checks its signature and conditions. The endpoints are
//! `crate::adapters::saml`; turning a verified assertion into a signed-in member is
//! `crate::service::signin`, connecting and refreshing IdPs `crate::service::sso`.

pub mod metadata;
pub mod precheck;
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
    /// The request body is larger than the limit (413).
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The client address called too often (429, retry after the duration).
    #[error("too many SAML requests from this address")]
    RateLimited(std::time::Duration),
    /// Every verifier stayed busy (503).
    #[error("{0}")]
    Busy(String),
}

impl SamlError {
    /// A fixed label for metrics and the sign-in log (the message itself is too varied to
    /// be a label); the most specific one that applies.
    pub fn reason_label(&self) -> &'static str {
        let text = match self {
            SamlError::Storage(_) => return "storage",
            SamlError::Invalid(_) => return "configuration",
            SamlError::TooLarge(_) => return "too_large",
            SamlError::RateLimited(_) => return "rate_limited",
            SamlError::Busy(_) => return "busy",
            SamlError::Rejected(text) => text.to_ascii_lowercase(),
        };
        const LABELS: &[(&str, &str)] = &[
            ("sha-1", "algorithm"),
            ("exactly one assertion", "wrapping"),
            ("doctype", "doctype"),
            ("comment", "comment"),
            ("nul", "encoding"),
            ("utf-8", "encoding"),
            ("well-formed", "malformed"),
            ("elements", "limits"),
            ("attributes", "limits"),
            ("deeper", "limits"),
            ("cdata", "markup"),
            ("processing instructions", "markup"),
            ("entity", "markup"),
            ("transform", "transform"),
            ("algorithm", "algorithm"),
            ("authnstatement", "authn_statement"),
            ("another browser", "browser_binding"),
            ("replay", "replay"),
            ("already used", "replay"),
            ("inresponseto", "in_response_to"),
            ("already answered", "in_response_to"),
            // Conditions samael checks during verification: named before the generic label.
            ("audience", "audience"),
            ("addressed", "destination"),
            ("recipient", "destination"),
            ("destination", "destination"),
            ("notonorafter", "expired"),
            ("notbefore", "not_yet_valid"),
            ("not in this connection's metadata", "untrusted_certificate"),
            ("does not match the signed content", "tampered"),
            ("does not verify", "signature"),
            ("verification", "signature"),
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

/// The SP entity id of a workspace (also its metadata URL).
pub fn sp_entity_id(public_url: &str, slug: &str) -> String {
    format!("{public_url}/saml/{slug}/metadata")
}

/// The assertion consumer service URL of a workspace.
pub fn acs_url(public_url: &str, slug: &str) -> String {
    format!("{public_url}/saml/{slug}/acs")
}
