//! IdP metadata (SAML 2.0 Metadata, OASIS saml-metadata-2.0-os): what a workspace trusts.
//! A connection must name at least one signing certificate — samael skips signature checks
//! when it has none, so metadata without one is refused here, before it can be stored.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, TimeZone, Utc};
use samael::metadata::EntityDescriptor;

use super::SamlError;
use crate::domain::sso::IdpCertificate;

const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Largest metadata document accepted (a federation aggregate is not an IdP's metadata).
pub const MAX_METADATA_BYTES: usize = 512 * 1024;

/// What Gatehouse keeps of an IdP's metadata.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    pub certificates: Vec<IdpCertificate>,
    pub valid_until: Option<DateTime<Utc>>,
    /// `cacheDuration`, in seconds, when the metadata names one.
    pub cache_seconds: Option<i64>,
}

/// Refuses DOCTYPE declarations (entity expansion, external entities) before any parser sees
/// the document.
pub fn refuse_doctype(xml: &str) -> Result<(), SamlError> {
    let upper = xml.to_ascii_uppercase();
    if upper.contains("<!DOCTYPE") || upper.contains("<!ENTITY") {
        return Err(SamlError::Rejected(
            "the XML has a DOCTYPE, which is never accepted".into(),
        ));
    }
    Ok(())
}

/// Parses an ISO 8601 duration such as `PT1H` or `P1D` into seconds (common forms only).
fn duration_seconds(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0i64;
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let factor = units.iter().find(|(u, _)| *u == c)?.1;
                total += (number.parse::<f64>().ok()? * factor as f64) as i64;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    take(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    take(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    Some(total)
}

fn certificate(b64: &str) -> Result<IdpCertificate, SamlError> {
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD
        .decode(&cleaned)
        .map_err(|_| SamlError::Invalid("a signing certificate is not valid base64".into()))?;
    let x509 = openssl::x509::X509::from_der(&der).map_err(|_| {
        SamlError::Invalid("a signing certificate is not a valid X.509 certificate".into())
    })?;
    let not_after = asn1_time(x509.not_after())?;
    Ok(IdpCertificate {
        der: cleaned,
        not_after,
    })
}

fn asn1_time(time: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, SamlError> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0)
        .map_err(|_| SamlError::Invalid("cannot read certificate dates".into()))?;
    let diff = epoch
        .diff(time)
        .map_err(|_| SamlError::Invalid("cannot read certificate dates".into()))?;
    let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    Utc.timestamp_opt(seconds, 0)
        .single()
        .ok_or_else(|| SamlError::Invalid("certificate date out of range".into()))
}

/// Parses IdP metadata; refuses it without an IdP SSO endpoint or a signing certificate.
pub fn parse(xml: &str) -> Result<IdpMetadata, SamlError> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(SamlError::Invalid(format!(
            "metadata is larger than {MAX_METADATA_BYTES} bytes"
        )));
    }
    refuse_doctype(xml)?;
    // The parser's message quotes the document; metadata may come from a URL a tenant chose,
    // so the error names no content (the detail is logged at debug level only).
    let descriptor: EntityDescriptor = xml.parse().map_err(|e| {
        tracing::debug!(error = %e, "metadata does not parse");
        SamlError::Invalid("the document is not SAML metadata (an md:EntityDescriptor)".into())
    })?;
    let entity_id = descriptor
        .entity_id
        .clone()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| SamlError::Invalid("the metadata names no entityID".into()))?;
    let idps = descriptor.idp_sso_descriptors.clone().unwrap_or_default();
    if idps.is_empty() {
        return Err(SamlError::Invalid(
            "the metadata has no IDPSSODescriptor".into(),
        ));
    }
    let endpoint = |binding: &str| {
        idps.iter()
            .flat_map(|d| d.single_sign_on_services.iter())
            .find(|s| s.binding == binding)
            .map(|s| s.location.clone())
    };
    let sso_url = endpoint(REDIRECT_BINDING)
        .or_else(|| endpoint(POST_BINDING))
        .ok_or_else(|| SamlError::Invalid("the metadata has no SingleSignOnService".into()))?;
    let mut certificates = Vec::new();
    for key in idps
        .iter()
        .flat_map(|d| d.key_descriptors.iter())
        .filter(|k| k.is_signing())
    {
        for cert in key
            .key_info
            .x509_data
            .iter()
            .flat_map(|x| x.certificates.iter())
        {
            certificates.push(certificate(cert)?);
        }
    }
    if certificates.is_empty() {
        return Err(SamlError::Invalid(
            "the metadata has no signing certificate; Gatehouse never accepts unsigned logins"
                .into(),
        ));
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certificates,
        valid_until: descriptor.valid_until,
        cache_seconds: descriptor
            .cache_duration
            .as_deref()
            .and_then(duration_seconds),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations_become_seconds() {
        assert_eq!(duration_seconds("PT1H"), Some(3600));
        assert_eq!(duration_seconds("P1DT30M"), Some(86_400 + 1_800));
        assert_eq!(duration_seconds("PT90S"), Some(90));
        assert_eq!(duration_seconds("1H"), None);
    }

    #[test]
    fn doctype_is_refused_before_parsing() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>"#;
        assert!(refuse_doctype(xml).is_err());
        assert!(parse(xml).is_err());
    }

    #[test]
    fn metadata_without_a_signing_certificate_is_refused() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">
          <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
          </md:IDPSSODescriptor></md:EntityDescriptor>"#;
        let err = parse(xml).unwrap_err();
        assert!(err.to_string().contains("signing certificate"), "{err}");
    }
}
