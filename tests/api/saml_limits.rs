//! The ACS and the login endpoint against unauthenticated callers: rate limits, the refusals
//! of the linear precheck on otherwise signed responses, the AuthnStatement requirement, the
//! browser binding of SP-initiated logins, and the session handoff that never silently
//! replaces another account's session.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::json;

use crate::{
    helpers::{on_both_backends, on_both_backends_with},
    sso_support::{idp, set_cookie, SsoWorkspace, IDP},
};

/// Asserts the ACS refuses `response` (as the browser that started the last login) and that
/// nothing was created.
async fn assert_refused(sso: &SsoWorkspace<'_>, response: &str) {
    let before = sso.footprint().await;
    let (status, cookie, _) = sso.post_acs(response, None).await;
    assert_eq!(status, 403);
    assert!(cookie.is_none(), "a refused login set a session");
    assert_eq!(
        sso.footprint().await,
        before,
        "a refused login changed something"
    );
}

/// A change to a response's XML.
type Edit = Box<dyn Fn(String) -> String>;

fn limit_saml(settings: &mut gatehouse::config::Settings) {
    settings.network.saml_requests_per_minute = 10;
    settings.network.trusted_proxies = gatehouse::net::parse_nets("127.0.0.1/32").unwrap();
}

fn large_bodies(settings: &mut gatehouse::config::Settings) {
    settings.max_body_bytes = 2 * 1024 * 1024;
}

on_both_backends_with! {
    limit_saml;
    async fn saml_login_and_acs_are_rate_limited_per_client_address(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let login = |address: &'static str| {
            let request = sso.client.get(app.url("/saml/acme/login")).header("x-forwarded-for", address);
            async move { request.send().await.unwrap() }
        };
        for _ in 0..10 {
            assert_eq!(login("203.0.113.1").await.status(), 302);
        }
        let limited = login("203.0.113.1").await;
        assert_eq!(limited.status(), 429);
        assert!(limited.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        assert!(limited.text().await.unwrap().contains("Too many"));
        let acs = sso.client.post(sso.acs()).header("x-forwarded-for", "203.0.113.1")
            .form(&[("SAMLResponse", "eA==")]).send().await.unwrap();
        assert_eq!(acs.status(), 429, "the ACS shares the address's allowance");
        // Another address is unaffected.
        assert_eq!(login("198.51.100.2").await.status(), 302);
        // Only unexpired rows are kept, and the purge removes them once expired.
        let rows = crate::helpers::count_rows(&app, "SELECT COUNT(*) FROM saml_requests").await;
        assert_eq!(rows, 11);
    }
}

on_both_backends_with! {
    large_bodies;
    async fn the_crafted_quadratic_acs_body_is_refused_without_touching_anything(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let (request_id, _) = sso.start_login("/x").await;
        let crafted = format!("<a InResponseTo=\"{request_id}\">{}", "Assertion".repeat(87_000));
        let before = sso.footprint().await;
        let (status, cookie, _) = sso.post_acs(&STANDARD.encode(crafted), None).await;
        assert_eq!((status, cookie), (403, None));
        assert_eq!(sso.footprint().await, before);
        // The request is still open: the refusal came before any lookup used it.
        let open = app.store.pending_login(
            app.store.workspace_by_slug("acme").await.unwrap().unwrap().id, &request_id).await.unwrap();
        assert!(open.is_some());
    }
}

on_both_backends! {
    async fn signed_responses_with_foreign_encodings_nul_cdata_or_programs_are_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let alice = ["--name-id", "alice@example.com"];
        let declared = |encoding: &'static str| move |xml: String| {
            let body = xml.trim_start_matches(|c| c != '<');
            let body = if body.starts_with("<?xml") { &body[body.find("?>").unwrap() + 2..] } else { body };
            format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?>{body}")
        };
        let xslt = "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>";
        let deep = format!("{}{}", "<x>".repeat(40), "</x>".repeat(40));
        let many = "<x/>".repeat(5_001);
        let wide: String = (0..40).map(|i| format!(" a{i}=\"v\"")).collect();
        let edits: Vec<(&str, Edit)> = vec![
            ("only UTF-8", Box::new(declared("ISO-8859-1"))),
            ("only UTF-8", Box::new(declared("UTF-16"))),
            ("NUL", Box::new(|x: String| x.replacen("alice@example.com", "alice@example.com\u{0}", 1))),
            ("CDATA", Box::new(|x: String| x.replacen("alice@example.com", "alice@<![CDATA[example.com]]>", 1))),
            ("processing instructions", Box::new(|x: String| x.replacen("</saml:Subject>", "</saml:Subject><?evil x?>", 1))),
            ("entity", Box::new(|x: String| x.replacen("alice@example.com", "alice@example.com&evil;", 1))),
            ("transform", Box::new(move |x: String| x.replacen("<ds:Transforms>", &format!("<ds:Transforms>{xslt}"), 1))),
            ("algorithm", Box::new(|x: String| x.replace("xmldsig-more#rsa-sha256", "xmldsig-more#rsa-md5"))),
            ("deeper", Box::new(move |x: String| x.replacen("</saml:Subject>", &format!("</saml:Subject>{deep}"), 1))),
            ("elements", Box::new(move |x: String| x.replacen("</saml:Subject>", &format!("</saml:Subject>{many}"), 1))),
            ("attributes", Box::new(move |x: String| x.replacen("<saml:Subject>", &format!("<saml:Subject{wide}>"), 1))),
        ];
        for (reason, edit) in edits {
            let xml = String::from_utf8(STANDARD.decode(sso.response(&alice)).unwrap()).unwrap();
            let changed = edit(xml.clone());
            assert_ne!(changed, xml, "the {reason} edit changed nothing");
            // The precheck is what refuses it (before any lookup or signature check)…
            let err = gatehouse::saml::precheck::precheck(&changed).unwrap_err();
            assert!(err.to_string().contains(reason), "{reason}: {err}");
            // …and the ACS refuses it with nothing created.
            assert_refused(&sso, &STANDARD.encode(changed)).await;
        }
        // The untouched response still signs alice in.
        assert_eq!(sso.post_acs(&sso.response(&alice), None).await.0, 303);
    }

    async fn an_assertion_without_an_authn_statement_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let response = sso.response(&["--name-id", "alice@example.com", "--no-authn-statement"]);
        assert_refused(&sso, &response).await;
        // The reason, from the verifier itself.
        let workspace = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        let connection = app.store.sso_connections(workspace.id).await.unwrap().remove(0);
        let xml = String::from_utf8(STANDARD.decode(sso.response(&["--name-id", "alice@example.com", "--no-authn-statement"])).unwrap()).unwrap();
        let claims = gatehouse::saml::precheck::precheck(&xml).unwrap();
        let sp = gatehouse::saml::verify::SpIdentity {
            entity_id: sso.sp_entity(),
            acs_url: sso.acs(),
            clock_skew: chrono::Duration::seconds(120),
        };
        let err = gatehouse::saml::verify::verify(&connection, &sp, &xml, &claims, None).unwrap_err();
        assert!(err.to_string().contains("AuthnStatement"), "{err}");
    }

    async fn sha1_is_accepted_only_where_the_connection_allows_it(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let sha1 = || sso.response(&["--name-id", "alice@example.com", "--alg", "sha1"]);
        assert_refused(&sso, &sha1()).await;
        let metadata = idp(&["metadata", "--entity-id", IDP, "--sso-url", "https://idp.test/sso"]);
        let (status, body) = app.post("/v1/workspaces/acme/sso/connections", &sso.token,
            json!({"metadata_xml": metadata, "allow_idp_initiated": true, "allow_sha1": true})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(sso.post_acs(&sha1(), None).await.0, 303);
    }

    async fn an_sp_initiated_answer_from_another_browser_is_refused(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        sso.member("alice@example.com").await;
        let (request_id, relay) = sso.start_login("/warehouses").await;
        let response = sso.response(&["--name-id", "alice@example.com", "--in-response-to", &request_id]);
        let before = sso.footprint().await;
        // The attacker's login, answered into a victim's browser: no binding cookie, or another.
        for cookies in [vec![], vec![format!("gatehouse_saml={}", "0".repeat(64))]] {
            let outcome = sso.post_acs_raw(&response, Some(&relay), &cookies).await;
            assert_eq!(outcome.status, 403);
            assert!(outcome.handoff.is_none());
        }
        assert_eq!(sso.footprint().await, before);
        // The browser that started it gets in (the refusals did not use the request up).
        let (status, cookie, location) = sso.post_acs(&response, Some(&relay)).await;
        assert_eq!((status, location.as_deref()), (303, Some("/warehouses")));
        assert_eq!(sso.whoami(&cookie.unwrap()).await["email"], "alice@example.com");
    }

    async fn an_idp_initiated_response_never_silently_replaces_another_accounts_session(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        sso.member("mallory@example.com").await;
        let (_, alice, _) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), None).await;
        let alice = alice.unwrap();
        let alice_cookie = format!("gatehouse_session={alice}");
        // Mallory's own, validly signed IdP-initiated response, posted cross-site into
        // alice's browser. The browser withholds alice's Lax cookie from the cross-site POST;
        // the handoff that follows is same-site and carries it.
        let mallory = sso.response(&["--name-id", "mallory@example.com"]);
        let outcome = sso.post_acs_raw(&mallory, None, &[]).await;
        assert_eq!(outcome.status, 303);
        let page = sso.complete(&outcome, std::slice::from_ref(&alice_cookie)).await;
        assert_eq!(page.status(), 200);
        assert!(set_cookie(&page, "gatehouse_session").is_none(), "the session was not replaced");
        let form_cookie = format!("gatehouse_form={}", set_cookie(&page, "gatehouse_form").unwrap());
        let html = page.text().await.unwrap();
        assert!(html.contains("alice@example.com") && html.contains("mallory@example.com") && html.contains("Switch account?"), "{html}");
        assert_eq!(sso.whoami(&alice).await["email"], "alice@example.com");
        let token = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let handoff = outcome.handoff.clone().unwrap();
        let choose = |choice: &'static str, token: String, handoff: String| {
            let cookies = format!("{handoff}; {alice_cookie}; {form_cookie}");
            let request = sso.client.post(app.url("/saml/acme/complete")).header("cookie", cookies)
                .form(&[("choice", choice.to_string()), ("csrf_token", token), ("return_to", "/".into())]);
            async move { request.send().await.unwrap() }
        };
        // A forged choice (no form token) changes nothing.
        let forged = choose("switch", "forged".into(), handoff.clone()).await;
        assert_eq!(forged.status(), 403);
        assert!(set_cookie(&forged, "gatehouse_session").is_none());
        // Staying keeps alice and ends the session that was handed over.
        let stay = choose("stay", token.clone(), handoff.clone()).await;
        assert_eq!(stay.status(), 303);
        assert!(set_cookie(&stay, "gatehouse_session").is_none());
        assert_eq!(sso.whoami(&alice).await["email"], "alice@example.com");
        let dropped = handoff.trim_start_matches("gatehouse_signin=");
        let gone = sso.client.get(app.url("/v1/session")).header("cookie", format!("gatehouse_session={dropped}")).send().await.unwrap();
        assert_eq!(gone.status(), 401);
        // Asked again, switching is an explicit choice: alice's session ends, mallory's starts.
        let outcome = sso.post_acs_raw(&sso.response(&["--name-id", "mallory@example.com"]), None, &[]).await;
        sso.complete(&outcome, std::slice::from_ref(&alice_cookie)).await;
        let switch = choose("switch", token, outcome.handoff.clone().unwrap()).await;
        assert_eq!(switch.status(), 303);
        let now = set_cookie(&switch, "gatehouse_session").unwrap();
        assert_eq!(sso.whoami(&now).await["email"], "mallory@example.com");
        let old = sso.client.get(app.url("/v1/session")).header("cookie", &alice_cookie).send().await.unwrap();
        assert_eq!(old.status(), 401);
    }

    async fn a_relay_state_is_scoped_to_its_workspace_and_single_use(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        let beta = app.create_workspace("beta").await;
        let acme = app.store.workspace_by_slug("acme").await.unwrap().unwrap();
        let (_, relay) = sso.start_login("/warehouses").await;
        assert_eq!(app.store.take_relay_state(beta.id, &relay).await.unwrap(), None, "another workspace's");
        assert_eq!(app.store.take_relay_state(acme.id, &relay).await.unwrap().as_deref(), Some("/warehouses"));
        assert_eq!(app.store.take_relay_state(acme.id, &relay).await.unwrap(), None, "single use");
        // Through the ACS: an IdP-initiated response echoing our RelayState goes where the
        // login asked, once.
        sso.member("alice@example.com").await;
        let (_, relay) = sso.start_login("/secret").await;
        let (status, _, first) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), Some(&relay)).await;
        assert_eq!((status, first.as_deref()), (303, Some("/secret")));
        let (_, _, again) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), Some(&relay)).await;
        assert_eq!(again.as_deref(), Some("/"), "a RelayState works once");
    }
}
