//! Verifying a SAML Response at the ACS, after [`precheck`](super::precheck) passed it.
//! samael checks the XML signature (xmlsec) and reduces the document to what the signature
//! covers, which defeats signature wrapping; it also checks Destination, Recipient,
//! InResponseTo, issuer and the time windows. Gatehouse adds what samael leaves open: SHA-1 is
//! refused unless the connection allows it, an AudienceRestriction naming us, NotOnOrAfter and
//! an AuthnStatement are required, and an IdP-initiated assertion may not answer any request.
//! Verification runs on the blocking pool, one per core ([`verify_off_thread`]). The replay
//! cache and the email-domain rule are applied by the caller (they need storage).

use std::{collections::HashMap, sync::OnceLock};

use chrono::{DateTime, Duration, Utc};
use samael::{
    crypto::AllowedSignatureAlgorithm, metadata::EntityDescriptor,
    service_provider::ServiceProviderBuilder,
};

use super::{precheck::Claims, SamlError};
use crate::domain::sso::SsoConnection;

/// Our side of the exchange.
#[derive(Debug, Clone)]
pub struct SpIdentity {
    pub entity_id: String,
    pub acs_url: String,
    pub clock_skew: Duration,
}

/// What a verified assertion says.
#[derive(Debug, Clone)]
pub struct VerifiedAssertion {
    pub assertion_id: String,
    pub name_id: String,
    /// Until when the assertion is valid (how long to remember its id against replays).
    pub not_on_or_after: DateTime<Utc>,
    /// Attribute name → values.
    pub attributes: HashMap<String, Vec<String>>,
}

const STRONG_ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// Verifications running at once: each holds a core (libxml2 + xmlsec) for milliseconds.
fn verify_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// How long a response may wait for a verification slot before the ACS answers "busy".
const VERIFY_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// [`verify`] on the blocking pool, at most one per core at a time: XML-DSig is CPU work
/// that must not stall the async workers serving everyone else. Tries each candidate
/// connection in turn and answers the first that verifies (with its assertion), or the last
/// error.
pub async fn verify_off_thread(
    candidates: Vec<SsoConnection>,
    sp: SpIdentity,
    xml: String,
    claims: Claims,
    request_id: Option<String>,
) -> Result<(SsoConnection, VerifiedAssertion), SamlError> {
    let permit = tokio::time::timeout(VERIFY_QUEUE_WAIT, verify_permits().acquire())
        .await
        .map_err(|_| SamlError::Busy("every signature verifier stayed busy".into()))?
        .map_err(|_| SamlError::Busy("the verifiers are shutting down".into()))?;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut last = SamlError::Rejected("the workspace has no SSO connection".into());
        for connection in candidates {
            // samael's errors are not Send: `verify` turns them into text before they leave.
            match verify(&connection, &sp, &xml, &claims, request_id.as_deref()) {
                Ok(assertion) => return Ok((connection, assertion)),
                Err(err) => last = err,
            }
        }
        Err(last)
    })
    .await
    .map_err(|e| SamlError::Storage(format!("the verifier task failed: {e}")))?;
    drop(permit);
    outcome
}

/// What the owner is told when samael refuses a response. Its message is the same for a wrong
/// key and for content altered after signing; the certificate the response carries tells the
/// two apart, as a hint only (the response is unauthenticated, so the wording never vouches
/// for it): one not in the metadata suggests a key rotation or a forgery, the trusted one
/// content changed after signing. Only runs on a refusal.
fn signature_failure(xml: &str, connection: &SsoConnection, samael: &str) -> String {
    let fingerprint = |der_b64: &str| -> Option<String> {
        use base64::Engine as _;
        let compact: String = der_b64.split_whitespace().collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()?;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&der);
        Some(
            digest[..8]
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":"),
        )
    };
    let trusted: Vec<String> = connection
        .certificates
        .iter()
        .filter_map(|c| fingerprint(&c.der))
        .collect();
    let carried = xml
        .find("X509Certificate>")
        .map(|start| &xml[start + "X509Certificate>".len()..])
        .and_then(|rest| rest.find('<').map(|end| &rest[..end]))
        .and_then(fingerprint);
    if !samael.contains("signed") {
        return format!("the response failed verification: {samael}");
    }
    match carried {
        Some(used) if !trusted.contains(&used) => format!(
            "the response carries a certificate not in this connection's metadata (SHA-256 \
             {used}…; trusted: {}…): if your IdP rotated its key, re-import its metadata from \
             the IdP itself; otherwise the response may be forged",
            trusted.join("…, ")
        ),
        Some(used) => format!(
            "the response carries the trusted certificate (SHA-256 {used}…) but its signature \
             does not match the signed content: altered after signing, or forged"
        ),
        None => format!(
            "the signature does not verify with the trusted certificates (SHA-256 {}…) and the \
             response names no certificate (a wrong key, or changed content)",
            trusted.join("…, ")
        ),
    }
}

/// Verifies `xml` (a decoded SAMLResponse that passed [`precheck`](super::precheck::precheck),
/// whose claims are `claims`) from `connection`, answering `request_id` (or IdP-initiated
/// when `None`).
pub fn verify(
    connection: &SsoConnection,
    sp: &SpIdentity,
    xml: &str,
    claims: &Claims,
    request_id: Option<&str>,
) -> Result<VerifiedAssertion, SamlError> {
    if claims.uses_sha1 && !connection.allow_sha1 {
        return Err(SamlError::Rejected(
            "the response is signed with SHA-1, which this connection does not allow".into(),
        ));
    }
    // samael checks Destination only when the Response itself is signed; we check it always.
    if let Some(destination) = &claims.destination {
        if destination != &sp.acs_url {
            return Err(SamlError::Rejected(format!(
                "the response is addressed to {destination}, not to this ACS"
            )));
        }
    }
    let idp_metadata: EntityDescriptor = connection
        .metadata_xml
        .parse()
        .map_err(|e| SamlError::Invalid(format!("stored IdP metadata is unreadable: {e}")))?;
    // samael's list has no SHA-1, so only a SHA-1 response (on a connection that allows it)
    // passes none to samael: the precheck has already held every SignatureMethod and
    // DigestMethod to the strong list plus SHA-1 (`precheck::algorithm_allowed`), so an
    // allow-list applies always.
    let algorithms = (!claims.uses_sha1).then(|| STRONG_ALGORITHMS.to_vec());
    let provider = ServiceProviderBuilder::default()
        .entity_id(sp.entity_id.clone())
        .acs_url(sp.acs_url.clone())
        .idp_metadata(idp_metadata)
        .allow_idp_initiated(request_id.is_none())
        .max_clock_skew(sp.clock_skew)
        .max_issue_delay(Duration::minutes(5))
        .allowed_signature_algorithms(algorithms)
        .build()
        .map_err(|e| SamlError::Invalid(format!("cannot configure the service provider: {e}")))?;
    let ids: Vec<&str> = request_id.into_iter().collect();
    // samael's errors are not Send: turn them into text here, before any await.
    let assertion = provider
        .parse_xml_response(xml, Some(&ids))
        .map_err(|e| SamlError::Rejected(signature_failure(xml, connection, &e.to_string())))?;

    if assertion.issue_instant > Utc::now() + sp.clock_skew {
        return Err(SamlError::Rejected(
            "the assertion was issued in the future".into(),
        ));
    }
    let conditions = assertion
        .conditions
        .as_ref()
        .ok_or_else(|| SamlError::Rejected("the assertion has no Conditions".into()))?;
    let not_on_or_after = conditions
        .not_on_or_after
        .ok_or_else(|| SamlError::Rejected("the assertion has no NotOnOrAfter".into()))?;
    let audience_ok = conditions
        .audience_restrictions
        .iter()
        .flatten()
        .any(|r| r.audience.iter().any(|a| a == &sp.entity_id));
    if !audience_ok {
        return Err(SamlError::Rejected(format!(
            "the assertion is not addressed to {} (AudienceRestriction)",
            sp.entity_id
        )));
    }
    // The web-SSO profile requires an AuthnStatement: an assertion without one says who
    // someone is, not that they just signed in.
    if assertion
        .authn_statements
        .as_ref()
        .is_none_or(|statements| statements.is_empty())
    {
        return Err(SamlError::Rejected(
            "the assertion has no AuthnStatement".into(),
        ));
    }
    let subject = assertion
        .subject
        .as_ref()
        .ok_or_else(|| SamlError::Rejected("the assertion has no Subject".into()))?;
    if request_id.is_none() {
        let answers_a_request = subject
            .subject_confirmations
            .iter()
            .flatten()
            .filter_map(|c| c.subject_confirmation_data.as_ref())
            .any(|d| d.in_response_to.as_deref().is_some_and(|r| !r.is_empty()));
        if answers_a_request {
            return Err(SamlError::Rejected(
                "the assertion answers an AuthnRequest this service did not make".into(),
            ));
        }
    }
    let name_id = subject
        .name_id
        .as_ref()
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SamlError::Rejected("the assertion has no NameID".into()))?;
    let mut attributes: HashMap<String, Vec<String>> = HashMap::new();
    for statement in assertion.attribute_statements.iter().flatten() {
        for attribute in &statement.attributes {
            let Some(name) = attribute.name.clone() else {
                continue;
            };
            let values = attribute.values.iter().filter_map(|v| v.value.clone());
            attributes.entry(name).or_default().extend(values);
        }
    }
    if assertion.id.trim().is_empty() {
        return Err(SamlError::Rejected("the assertion has no ID".into()));
    }
    Ok(VerifiedAssertion {
        assertion_id: assertion.id.clone(),
        name_id,
        not_on_or_after,
        attributes,
    })
}
