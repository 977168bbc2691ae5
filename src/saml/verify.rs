//! Verifying a SAML Response at the ACS. samael checks the XML signature (xmlsec) and
//! reduces the document to what the signature covers, which defeats signature wrapping; it
//! also checks Destination, Recipient, InResponseTo, issuer and the time windows. Gatehouse
//! adds what samael leaves open: DOCTYPE and comments are refused before parsing, SHA-1 is
//! refused unless the connection allows it, an AudienceRestriction naming us is required,
//! NotOnOrAfter is required, and an IdP-initiated assertion may not answer any request.
//! The replay cache and the email-domain rule are applied by the caller (they need storage).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use samael::{
    crypto::AllowedSignatureAlgorithm, metadata::EntityDescriptor,
    service_provider::ServiceProviderBuilder,
};

use super::{metadata::refuse_doctype, SamlError};
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

/// The `InResponseTo` the (still unverified) Response claims, used only to pick which pending
/// request to verify it against; samael then checks the signed value.
pub fn claimed_in_response_to(xml: &str) -> Option<String> {
    let start = xml.find("InResponseTo=")? + "InResponseTo=".len();
    let quote = xml[start..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let rest = &xml[start + 1..];
    let end = rest.find(quote)?;
    Some(rest[..end].to_string()).filter(|s| !s.is_empty())
}

/// How many `Assertion` elements (any prefix) the document opens.
fn assertion_elements(xml: &str) -> usize {
    xml.match_indices("Assertion")
        .filter(|(i, _)| {
            let before = &xml[..*i];
            let after = &xml[i + "Assertion".len()..];
            // `<Assertion` or `<prefix:Assertion`, followed by whitespace or `>`.
            let opens = before.ends_with('<')
                || before.rfind('<').is_some_and(|lt| {
                    let name = &before[lt + 1..];
                    name.ends_with(':')
                        && name[..name.len() - 1]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
                });
            opens && after.starts_with(|c: char| c.is_whitespace() || c == '>')
        })
        .count()
}

/// The `Destination` the Response claims, if any.
fn claimed_destination(xml: &str) -> Option<String> {
    let response_start = xml.find("Response")?;
    let tag_end = xml[response_start..].find('>')? + response_start;
    let tag = &xml[response_start..tag_end];
    let start = tag.find("Destination=")? + "Destination=".len();
    let quote = tag[start..].chars().next()?;
    let rest = &tag[start + 1..];
    let end = rest.find(quote)?;
    Some(rest[..end].to_string())
}

/// Verifies `xml` (a decoded SAMLResponse) from `connection`, answering `request_id` (or
/// IdP-initiated when `None`).
pub fn verify(
    connection: &SsoConnection,
    sp: &SpIdentity,
    xml: &str,
    request_id: Option<&str>,
) -> Result<VerifiedAssertion, SamlError> {
    refuse_doctype(xml)?;
    if xml.contains("<!--") {
        // Comments can split a NameID so that parsers disagree on its value
        // (alice@example.com<!---->.evil.com); no IdP needs them in a response.
        return Err(SamlError::Rejected(
            "the response contains XML comments".into(),
        ));
    }
    // A response carries exactly one assertion. A second one (signed or not, anywhere: in
    // Extensions, inside the Signature) is how signature-wrapping attacks smuggle an identity,
    // so such a response is refused outright rather than reduced to its signed part.
    if assertion_elements(xml) != 1 {
        return Err(SamlError::Rejected(
            "the response must carry exactly one Assertion (signature wrapping?)".into(),
        ));
    }
    // samael checks Destination only when the Response itself is signed; we check it always.
    if let Some(destination) = claimed_destination(xml) {
        if destination != sp.acs_url {
            return Err(SamlError::Rejected(format!(
                "the response is addressed to {destination}, not to this ACS"
            )));
        }
    }
    let idp_metadata: EntityDescriptor = connection
        .metadata_xml
        .parse()
        .map_err(|e| SamlError::Invalid(format!("stored IdP metadata is unreadable: {e}")))?;
    let algorithms = (!connection.allow_sha1).then(|| STRONG_ALGORITHMS.to_vec());
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
        .map_err(|e| SamlError::Rejected(format!("the response failed verification: {e}")))?;

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

#[cfg(test)]
mod tests {
    use super::claimed_in_response_to;

    #[test]
    fn assertion_elements_are_counted_whatever_their_prefix() {
        use super::assertion_elements;
        assert_eq!(
            assertion_elements("<saml:Assertion ID=\"a\"><x/></saml:Assertion>"),
            1
        );
        assert_eq!(
            assertion_elements("<Assertion>x</Assertion><ns0:Assertion ID=\"b\"/>"),
            2
        );
        assert_eq!(
            assertion_elements("<saml:AssertionConsumerService/><x>Assertion</x>"),
            0
        );
    }

    #[test]
    fn the_claimed_request_id_is_read_from_either_quote() {
        assert_eq!(
            claimed_in_response_to(r#"<R InResponseTo="id-1">"#).as_deref(),
            Some("id-1")
        );
        assert_eq!(
            claimed_in_response_to("<R InResponseTo='id-2'>").as_deref(),
            Some("id-2")
        );
        assert_eq!(claimed_in_response_to("<R>"), None);
    }
}
