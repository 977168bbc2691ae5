//! Expiring SSO signing certificates (issue 11 item 8): a certificate 5 days from expiry gets
//! the 7-day notice in the change feed once, however often the watch looks, and the 1-day
//! notice once that threshold is crossed too.

use chrono::{Duration, Utc};
use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509::X509};
use serde_json::json;

use crate::helpers::{on_both_backends, TestApp};
use gatehouse::service::sso::announce_expiring_certificates;

/// IdP metadata with a self-signed signing certificate valid for `days` more days.
pub fn metadata_expiring_in(days: u32) -> String {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut cert = X509::builder().unwrap();
    cert.set_version(2).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(days).unwrap())
        .unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let der = base64_encode(&cert.build().to_der().unwrap());
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.expiring.test">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.expiring.test/sso"/>
</md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn notices(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let (_, feed) = app
        .get_json("/v1/workspaces/acme/changes?limit=5000", token)
        .await;
    feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["change"]["kind"] == "certificate_expiring")
        .cloned()
        .collect()
}

on_both_backends! {
    async fn a_certificate_five_days_from_expiry_is_announced_once_per_threshold(app: TestApp) {
        let token = app.workspace_with_token("acme").await;
        let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &token,
            json!({"metadata_xml": metadata_expiring_in(5)})).await;
        assert_eq!(status, 201, "{body}");
        // A second workspace's healthy certificate says nothing.
        app.create_workspace_with_domains("globex", &["globex.test".into()]).await;
        let store = &app.store;

        let now = Utc::now();
        assert_eq!(announce_expiring_certificates(store, now).await.unwrap(), 1);
        assert_eq!(announce_expiring_certificates(store, now).await.unwrap(), 0, "twice is once");
        assert_eq!(announce_expiring_certificates(store, now + Duration::hours(30)).await.unwrap(), 0);
        let seen = notices(&app, &token).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let notice = &seen[0]["change"];
        assert_eq!(notice["threshold_days"], 7, "{notice}");
        assert!(notice["days_left"].as_i64().unwrap() <= 5, "{notice}");
        assert_eq!(notice["idp_entity_id"], "https://idp.expiring.test");

        // Four days later the 1-day threshold is crossed: one more notice, once.
        let later = now + Duration::days(4) + Duration::hours(1);
        assert_eq!(announce_expiring_certificates(store, later).await.unwrap(), 1);
        assert_eq!(announce_expiring_certificates(store, later).await.unwrap(), 0);
        let seen = notices(&app, &token).await;
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1]["change"]["threshold_days"], 1);
        // Audited, as every entry of the feed is.
        let (_, audit) = app.get_json("/v1/workspaces/acme/audit?limit=1000", &token).await;
        let audited = audit["entries"].as_array().unwrap().iter()
            .filter(|e| e["action"] == "sso.certificate_expiring").count();
        assert_eq!(audited, 2);
    }
}
