//! SAML 2.0 single sign-on against a real IdP (pysaml2 signing with xmlsec1): logins that
//! must work, and every attack the brief lists, each refused without creating anything.

use serde_json::json;

use crate::{
    helpers::on_both_backends,
    sso_support::{idp, SsoWorkspace, IDP},
};

/// Asserts the ACS refuses `response` and that nothing was created.
async fn assert_refused(sso: &SsoWorkspace<'_>, response: &str, relay: Option<&str>) {
    let before = sso.footprint().await;
    let (status, cookie, _) = sso.post_acs(response, relay).await;
    assert!(status == 403 || status == 400, "status {status}");
    assert!(cookie.is_none(), "a refused login set a session");
    assert_eq!(
        sso.footprint().await,
        before,
        "a refused login changed sessions/accounts/memberships/groups"
    );
}

on_both_backends! {
    async fn sp_initiated_login_signs_in_and_the_access_api_recognises_the_session(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        sso.member("alice@example.com").await;
        app.post("/v1/workspaces/acme/grants", &sso.token, json!({"subject": {"type": "user", "id": "alice@example.com"},
            "role": "warehouse.read", "scope": {"type": "all"}})).await;
        let (request_id, relay) = sso.start_login("/warehouses").await;
        let response = sso.response(&["--name-id", "alice@example.com", "--in-response-to", &request_id]);
        let (status, cookie, location) = sso.post_acs(&response, Some(&relay)).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/warehouses"));
        let cookie = cookie.expect("a session cookie");
        let me = sso.whoami(&cookie).await;
        assert_eq!(me["email"], "alice@example.com");
        assert_eq!(me["method"], "sso");
        let check = json!({"session": cookie, "action": "warehouse.read", "resource": {"type": "warehouse", "id": "w"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check).await.1["allowed"], true);
        // The request is single use: answering it again is refused.
        let again = sso.response(&["--name-id", "alice@example.com", "--in-response-to", &request_id]);
        assert_refused(&sso, &again, Some(&relay)).await;
    }

    async fn idp_initiated_login_works_when_the_connection_allows_it(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let (status, cookie, location) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), None).await;
        assert_eq!((status, location.as_deref()), (303, Some("/")));
        assert_eq!(sso.whoami(&cookie.unwrap()).await["email"], "alice@example.com");
    }

    async fn idp_initiated_login_is_refused_when_not_allowed(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com"]), None).await;
    }

    async fn signature_wrapping_with_an_evil_sibling_assertion_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        sso.member("mallory@example.com").await;
        let attack = sso.attack("wrap-response-sibling", &["--name-id", "alice@example.com", "--evil-name-id", "mallory@example.com"]);
        assert_refused(&sso, &attack, None).await;
    }

    async fn signature_wrapping_with_the_evil_assertion_first_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        sso.member("mallory@example.com").await;
        let attack = sso.attack("wrap-evil-first", &["--name-id", "alice@example.com", "--evil-name-id", "mallory@example.com"]);
        assert_refused(&sso, &attack, None).await;
    }

    async fn signature_wrapping_inside_the_signature_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        sso.member("mallory@example.com").await;
        let attack = sso.attack("wrap-assertion-in-signature", &["--name-id", "alice@example.com", "--evil-name-id", "mallory@example.com"]);
        assert_refused(&sso, &attack, None).await;
    }

    async fn comment_injection_in_the_name_id_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.attack("comment-in-nameid", &["--name-id", "alice@example.com"]), None).await;
    }

    async fn an_unsigned_response_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--sign", "none"]), None).await;
    }

    async fn a_response_signed_with_the_wrong_key_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--key", "attacker"]), None).await;
    }

    async fn a_response_changed_after_signing_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.attack("tamper-after-sign", &["--name-id", "alice@example.com"]), None).await;
    }

    async fn sha1_signatures_are_refused_unless_allowed(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--alg", "sha1"]), None).await;
    }

    async fn an_expired_assertion_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let expired = sso.response(&["--name-id", "alice@example.com", "--not-before-offset", "-3600",
            "--not-on-or-after-offset", "-600", "--issue-instant-offset", "-3600"]);
        assert_refused(&sso, &expired, None).await;
    }

    async fn a_not_yet_valid_assertion_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let early = sso.response(&["--name-id", "alice@example.com", "--not-before-offset", "1800",
            "--not-on-or-after-offset", "3600"]);
        assert_refused(&sso, &early, None).await;
    }

    async fn a_wrong_audience_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--audience", "https://other.example.com/sp"]), None).await;
    }

    async fn a_wrong_recipient_or_destination_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--recipient", "https://other.example.com/acs"]), None).await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--destination", "https://other.example.com/acs"]), None).await;
    }

    async fn a_replayed_assertion_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let response = sso.response(&["--name-id", "alice@example.com"]);
        let (status, cookie, _) = sso.post_acs(&response, None).await;
        assert_eq!(status, 303);
        assert!(cookie.is_some());
        assert_refused(&sso, &response, None).await;
    }

    async fn an_unknown_in_response_to_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com", "--in-response-to", "gh-not-ours"]), None).await;
    }

    async fn doctype_and_entity_expansion_are_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        assert_refused(&sso, &sso.attack("doctype", &["--name-id", "alice@example.com"]), None).await;
    }

    async fn an_email_outside_the_verified_domains_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let (status, _) = app.call(reqwest::Method::PATCH, "/v1/workspaces/acme", &sso.token,
            Some(json!({"settings": {"jit_provisioning": true}}))).await;
        assert_eq!(status, 200);
        assert_refused(&sso, &sso.response(&["--name-id", "eve@evil.com"]), None).await;
    }

    async fn an_oversized_body_gets_413_and_creates_nothing(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let before = sso.footprint().await;
        let huge = "A".repeat(300 * 1024);
        let response = sso.client.post(sso.acs()).form(&[("SAMLResponse", huge)]).send().await.unwrap();
        assert_eq!(response.status(), 413);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(response.text().await.unwrap().contains("larger than the limit"));
        assert_eq!(sso.footprint().await, before);
    }

    async fn a_deactivated_membership_cannot_sign_in(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme/members/alice@example.com", &sso.token,
            Some(json!({"active": false}))).await;
        assert_refused(&sso, &sso.response(&["--name-id", "alice@example.com"]), None).await;
    }

    async fn just_in_time_provisioning_creates_a_member_with_minimal_access(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        // Off by default: an unknown person is refused.
        assert_refused(&sso, &sso.response(&["--name-id", "new@example.com"]), None).await;
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme", &sso.token,
            Some(json!({"settings": {"jit_provisioning": true}}))).await;
        let (status, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "New@Example.com"]), None).await;
        assert_eq!(status, 303);
        assert!(cookie.is_some());
        let (_, member) = app.get_json("/v1/workspaces/acme/members/new@example.com", &sso.token).await;
        assert_eq!(member["kind"], "member");
        let check = json!({"user": "new@example.com", "action": "source.read", "resource": {"type": "source", "id": "s"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check).await.1["allowed"], false);
    }

    async fn okta_and_entra_group_claims_land_in_the_groups_scim_created(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let (_, scim) = app.issue_token("acme", gatehouse::domain::TokenKind::Scim).await;
        let group = |name: &str, external: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name, "externalId": external});
        let create = |body: serde_json::Value| {
            let client = app.client.clone();
            let url = app.url("/scim/v2/Groups");
            let scim = scim.clone();
            async move {
                let r = client.post(url).bearer_auth(scim).header("content-type", "application/scim+json")
                    .body(body.to_string()).send().await.unwrap();
                assert_eq!(r.status(), 201);
                r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string()
            }
        };
        let admins = create(group("Source Admins", "6d1b5f3c-0000-4000-8000-000000000001")).await;
        let readers = create(group("Warehouse Readers", "6d1b5f3c-0000-4000-8000-000000000002")).await;
        for (g, role) in [(&admins, "source.admin"), (&readers, "warehouse.read")] {
            app.post("/v1/workspaces/acme/grants", &sso.token, json!({"subject": {"type": "group", "id": g},
                "role": role, "scope": {"type": "all"}})).await;
        }
        sso.member("okta@example.com").await;
        sso.member("entra@example.com").await;
        // Okta sends group names.
        let okta = sso.response(&["--name-id", "okta@example.com", "--attr", "groups=Source Admins,Unknown Group"]);
        assert_eq!(sso.post_acs(&okta, None).await.0, 303);
        // Entra sends object ids under its claim name.
        let entra = sso.response(&["--name-id", "entra@example.com", "--attr",
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups=6d1b5f3c-0000-4000-8000-000000000002"]);
        assert_eq!(sso.post_acs(&entra, None).await.0, 303);
        let check = |user: &str, action: &str, rtype: &str| json!({"user": user, "action": action, "resource": {"type": rtype, "id": "x"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("okta@example.com", "source.create", "source")).await.1["allowed"], true);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("okta@example.com", "warehouse.read", "warehouse")).await.1["allowed"], false);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("entra@example.com", "warehouse.read", "warehouse")).await.1["allowed"], true);
        let (_, members) = app.get_json(&format!("/v1/workspaces/acme/groups/{admins}/members"), &sso.token).await;
        assert_eq!(members["members"][0]["source"], "saml");
        // The next login without the claim takes only the SAML-made membership away.
        let okta = sso.response(&["--name-id", "okta@example.com", "--attr", "groups=Warehouse Readers"]);
        assert_eq!(sso.post_acs(&okta, None).await.0, 303);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("okta@example.com", "source.create", "source")).await.1["allowed"], false);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("okta@example.com", "warehouse.read", "warehouse")).await.1["allowed"], true);
        // Entra's overage claim keeps what is there.
        let overage = sso.response(&["--name-id", "entra@example.com", "--attr",
            "http://schemas.microsoft.com/claims/groups.link=https://graph.microsoft.com/v1.0/users/x/getMemberObjects"]);
        assert_eq!(sso.post_acs(&overage, None).await.0, 303);
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check("entra@example.com", "warehouse.read", "warehouse")).await.1["allowed"], true);
    }
}

#[test]
fn metadata_without_a_signing_certificate_is_refused_at_creation() {
    let xml = idp(&[
        "metadata",
        "--entity-id",
        IDP,
        "--sso-url",
        "https://idp.test/sso",
        "--no-signing-cert",
    ]);
    let err = gatehouse::saml::metadata::parse(&xml).unwrap_err();
    assert!(err.to_string().contains("signing certificate"), "{err}");
}
