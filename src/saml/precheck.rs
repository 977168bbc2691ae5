//! The checks a SAML Response passes before any database lookup or signature verification,
//! in one linear pass of a streaming reader (quick-xml), with hard caps on elements, depth
//! and attributes. An unauthenticated caller can send a megabyte of anything here, so nothing
//! in this pass may cost more than a constant per byte.
//!
//! Refused: NUL bytes, a declared encoding other than UTF-8, DOCTYPE, comments (they can split
//! a NameID so that parsers disagree on its value), CDATA, processing instructions, entity
//! references other than the predefined ones, a root that is not a `Response`, anything
//! other than exactly one `Assertion` (signature-wrapping attacks smuggle a second one),
//! reference transforms other than enveloped-signature and canonicalisation, and signature
//! or digest algorithms outside the allow-list. The pass also reads what the Response claims
//! (`InResponseTo`, `Destination`) so the caller can pick the pending request to verify it
//! against; samael checks the signed values afterwards.

use quick_xml::{events::Event, Reader};

use super::SamlError;

/// Most elements a response may have (an assertion with a few hundred group values has well
/// under a thousand).
pub const MAX_ELEMENTS: usize = 5_000;
/// Deepest nesting (a signed assertion's deepest element sits at about 8).
pub const MAX_DEPTH: usize = 32;
/// Most attributes (namespace declarations included) on one element.
pub const MAX_ATTRIBUTES: usize = 32;

/// Reference transforms a signature may use: enveloped-signature and the canonicalisations.
/// XPath and XSLT transforms make the verifier run programs the sender wrote.
const ALLOWED_TRANSFORMS: [&str; 7] = [
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];

/// Signature methods always accepted.
const STRONG_SIGNATURES: [&str; 6] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
/// Digest methods always accepted.
const STRONG_DIGESTS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
/// Accepted only when the connection allows SHA-1.
const SHA1_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// What the (unverified) Response claims about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub in_response_to: Option<String>,
    pub destination: Option<String>,
    /// Whether any signature uses SHA-1 (allowed only by connections that opt in).
    pub uses_sha1: bool,
}

fn refuse(why: impl Into<String>) -> SamlError {
    SamlError::Rejected(why.into())
}

/// Signature and digest methods: the strong ones always, SHA-1 only if `allow_sha1`.
pub fn algorithm_allowed(uri: &str, digest: bool, allow_sha1: bool) -> bool {
    let (strong, sha1): (&[&str], &str) = if digest {
        (&STRONG_DIGESTS, SHA1_DIGEST)
    } else {
        (&STRONG_SIGNATURES, SHA1_SIGNATURE)
    };
    strong.contains(&uri) || (allow_sha1 && uri == sha1)
}

/// Runs every check on `xml` (a decoded SAMLResponse). SHA-1 passes here and is refused per
/// connection afterwards ([`Claims::uses_sha1`]).
pub fn precheck(xml: &str) -> Result<Claims, SamlError> {
    if xml.contains('\0') {
        return Err(refuse("the response contains NUL bytes"));
    }
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    let mut claims = Claims::default();
    let (mut depth, mut elements, mut assertions) = (0usize, 0usize, 0usize);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| refuse(format!("the response is not well-formed XML ({e})")))?;
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Text(_) => continue,
            Event::GeneralRef(r) => {
                let predefined = r.is_char_ref()
                    || matches!(&*r.into_inner(), b"amp" | b"lt" | b"gt" | b"quot" | b"apos");
                if !predefined {
                    return Err(refuse("the response uses an undefined entity reference"));
                }
                continue;
            }
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding =
                        encoding.map_err(|_| refuse("the XML declaration is malformed"))?;
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(refuse(format!(
                            "the response declares encoding {}; only UTF-8 is accepted",
                            String::from_utf8_lossy(&encoding)
                        )));
                    }
                }
                continue;
            }
            Event::DocType(_) => {
                return Err(refuse("the XML has a DOCTYPE, which is never accepted"))
            }
            Event::Comment(_) => return Err(refuse("the response contains XML comments")),
            Event::CData(_) => return Err(refuse("the response contains CDATA sections")),
            Event::PI(_) => return Err(refuse("the response contains processing instructions")),
            Event::Eof => break,
        };
        elements += 1;
        if elements > MAX_ELEMENTS {
            return Err(refuse(format!(
                "the response has more than {MAX_ELEMENTS} elements"
            )));
        }
        if !empty {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(refuse(format!(
                    "the response nests deeper than {MAX_DEPTH} elements"
                )));
            }
        }
        let local = element.local_name();
        let name = local.as_ref();
        let is_root = elements == 1;
        if is_root && name != b"Response" {
            return Err(refuse("the document is not a SAML Response"));
        }
        if name == b"Assertion" {
            assertions += 1;
        }
        // Duplicate-attribute checks are quadratic in the attribute count; the cap below
        // keeps the count small, and libxml2 refuses duplicates later anyway.
        let mut attributes = element.attributes();
        attributes.with_checks(false);
        for (i, attribute) in attributes.enumerate() {
            if i >= MAX_ATTRIBUTES {
                return Err(refuse(format!(
                    "an element has more than {MAX_ATTRIBUTES} attributes"
                )));
            }
            let attribute =
                attribute.map_err(|e| refuse(format!("an attribute is malformed ({e})")))?;
            let key = attribute.key.local_name();
            let wanted = match (name, key.as_ref()) {
                (b"Response", b"InResponseTo" | b"Destination") if is_root => true,
                (b"Transform" | b"SignatureMethod" | b"DigestMethod", b"Algorithm") => true,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| refuse(format!("an attribute value is malformed ({e})")))?
                .into_owned();
            match (name, key.as_ref()) {
                (b"Response", b"InResponseTo") => {
                    claims.in_response_to = Some(value).filter(|v| !v.is_empty())
                }
                (b"Response", b"Destination") => claims.destination = Some(value),
                (b"Transform", _) => {
                    if !ALLOWED_TRANSFORMS.contains(&value.as_str()) {
                        return Err(refuse(format!("the signature uses the transform {value}")));
                    }
                }
                (method, _) => {
                    let digest = method == b"DigestMethod";
                    if !algorithm_allowed(&value, digest, true) {
                        return Err(refuse(format!("the signature uses the algorithm {value}")));
                    }
                    claims.uses_sha1 |= value == SHA1_SIGNATURE || value == SHA1_DIGEST;
                }
            }
        }
    }
    if assertions != 1 {
        return Err(refuse(
            "the response must carry exactly one Assertion (signature wrapping?)",
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="r1" InResponseTo="gh-1" Destination="https://gh/saml/acme/acs"><saml:Assertion ID="a1"><ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="&#x23;a1"><ds:Transforms>TRANSFORMS</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference></ds:SignedInfo></ds:Signature><saml:Subject><saml:NameID>alice@example.com &amp; co</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"#;

    const GOOD_TRANSFORMS: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;

    fn response() -> String {
        RESPONSE.replace("TRANSFORMS", GOOD_TRANSFORMS)
    }

    fn refused(xml: &str, reason: &str) {
        let err = precheck(xml).expect_err(reason);
        assert!(
            err.to_string().contains(reason),
            "expected {reason:?}, got {err}"
        );
    }

    #[test]
    fn a_plain_response_passes_and_its_claims_are_read() {
        let claims = precheck(&response()).unwrap();
        assert_eq!(claims.in_response_to.as_deref(), Some("gh-1"));
        assert_eq!(
            claims.destination.as_deref(),
            Some("https://gh/saml/acme/acs")
        );
        assert!(!claims.uses_sha1);
        let idp_initiated = response().replace(" InResponseTo=\"gh-1\"", "");
        assert_eq!(precheck(&idp_initiated).unwrap().in_response_to, None);
    }

    #[test]
    fn only_the_root_response_names_the_request() {
        // An InResponseTo deeper down (or on another element) is not what the root claims.
        let xml = response()
            .replace(" InResponseTo=\"gh-1\"", "")
            .replace("<saml:Subject>", "<saml:Subject InResponseTo=\"gh-evil\">");
        assert_eq!(precheck(&xml).unwrap().in_response_to, None);
    }

    #[test]
    fn nul_bytes_and_foreign_encodings_are_refused() {
        refused(&response().replace("alice", "ali\0ce"), "NUL");
        refused(&response().replace("UTF-8", "ISO-8859-1"), "only UTF-8");
        refused(&response().replace("UTF-8", "UTF-16"), "only UTF-8");
        assert!(precheck(&response().replace("UTF-8", "utf-8")).is_ok());
        assert!(precheck(&format!("\u{feff}{}", response())).is_ok());
    }

    #[test]
    fn doctype_comments_cdata_processing_instructions_and_entities_are_refused() {
        let doctype = response().replace(
            "<samlp:Response",
            "<!DOCTYPE x [<!ENTITY e \"v\">]><samlp:Response",
        );
        refused(&doctype, "DOCTYPE");
        refused(
            &response().replace("alice@example.com", "alice@example.com<!---->.evil.com"),
            "comments",
        );
        refused(
            &response().replace("alice@example.com", "alice<![CDATA[@example.com]]>"),
            "CDATA",
        );
        refused(
            &response().replace("<saml:Subject>", "<?evil x?><saml:Subject>"),
            "processing instructions",
        );
        refused(&response().replace("&amp;", "&e;"), "entity");
    }

    #[test]
    fn exactly_one_assertion_under_a_response_root() {
        let two = response().replace(
            "</samlp:Response>",
            "<saml:Assertion ID=\"a2\"/></samlp:Response>",
        );
        refused(&two, "exactly one Assertion");
        let hidden = response().replace(
            "<ds:SignedInfo>",
            "<ds:SignedInfo><ns9:Assertion xmlns:ns9=\"x\"/>",
        );
        refused(&hidden, "exactly one Assertion");
        let none = response().replace("saml:Assertion", "saml:Other");
        refused(&none, "exactly one Assertion");
        refused("<saml:Assertion ID=\"a\"/>", "not a SAML Response");
        refused(
            "<a InResponseTo=\"gh-1\">AssertionAssertion</a>",
            "not a SAML Response",
        );
        refused("<samlp:Response><x></samlp:Response>", "well-formed");
    }

    #[test]
    fn caps_on_elements_depth_and_attributes() {
        let many = response().replace("<saml:Subject>", &"<x/>".repeat(MAX_ELEMENTS));
        refused(&many, "elements");
        let deep = response().replace(
            "<saml:Subject>",
            &format!(
                "{}{}<saml:Subject>",
                "<d>".repeat(MAX_DEPTH),
                "</d>".repeat(MAX_DEPTH)
            ),
        );
        refused(&deep, "deeper");
        let attrs: String = (0..=MAX_ATTRIBUTES)
            .map(|i| format!(" a{i}=\"v\""))
            .collect();
        let wide = response().replace("<saml:Subject>", &format!("<saml:Subject{attrs}>"));
        refused(&wide, "attributes");
    }

    #[test]
    fn only_enveloped_signature_and_canonicalisation_transforms() {
        for bad in [
            "http://www.w3.org/TR/1999/REC-xslt-19991116",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
            "http://www.w3.org/2002/06/xmldsig-filter2",
            "http://www.w3.org/2000/09/xmldsig#base64",
        ] {
            let xml = RESPONSE.replace(
                "TRANSFORMS",
                &format!("<ds:Transform Algorithm=\"{bad}\"/>"),
            );
            refused(&xml, "transform");
        }
    }

    #[test]
    fn algorithms_are_always_checked_against_a_list() {
        let md5 = response().replace(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        );
        refused(&md5, "algorithm");
        let sha1 = response()
            .replace(
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                SHA1_SIGNATURE,
            )
            .replace("http://www.w3.org/2001/04/xmlenc#sha256", SHA1_DIGEST);
        assert!(precheck(&sha1).unwrap().uses_sha1);
        assert!(algorithm_allowed(SHA1_SIGNATURE, false, true));
        assert!(!algorithm_allowed(SHA1_SIGNATURE, false, false));
        assert!(!algorithm_allowed(SHA1_DIGEST, true, false));
        assert!(!algorithm_allowed(
            "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
            false,
            true
        ));
    }

    #[test]
    fn the_crafted_quadratic_body_is_refused_at_its_first_element() {
        let crafted = format!(
            "<a InResponseTo=\"gh-1\">{}</a>",
            "Assertion".repeat(87_000)
        );
        refused(&crafted, "not a SAML Response");
        let inside = response().replace("alice@example.com", &"<Assertion".repeat(87_000));
        assert!(precheck(&inside).is_err());
    }
}
