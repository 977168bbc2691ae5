//! Email/password sign-in, sessions, throttling and Require SSO.

use serde_json::json;

use crate::{helpers::on_both_backends, sso_support::SsoWorkspace};

/// Sets a password through the CLI (the password arrives on standard input).
pub fn set_password(database_url: &str, email: &str, password: &str) {
    crate::helpers::set_password(database_url, email, password)
}

/// Opens the login page like a browser: answers (the pre-session cookie `name=value`, the
/// form's CSRF token).
pub async fn login_form(app: &crate::helpers::TestApp) -> (String, String) {
    app.form_token("/login").await
}

/// Posts the login form (with the page's CSRF token); answers (status, session cookie,
/// Location or Retry-After, body).
async fn login(
    sso: &SsoWorkspace<'_>,
    email: &str,
    password: Option<&str>,
) -> (u16, Option<String>, Option<String>, String) {
    let (cookie, token) = login_form(sso.app).await;
    let mut form = vec![
        ("email", email.to_string()),
        ("return_to", "/home".to_string()),
        ("csrf_token", token),
    ];
    if let Some(p) = password {
        form.push(("password", p.to_string()));
    }
    let response = sso
        .client
        .post(sso.app.url("/login"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session=") && !v.starts_with("gatehouse_session=;"))
        .map(|v| {
            v.trim_start_matches("gatehouse_session=")
                .split(';')
                .next()
                .unwrap()
                .to_string()
        });
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    (status, cookie, location.or(retry), body)
}

on_both_backends! {
    async fn password_sign_in_sets_a_hardened_session_and_errors_stay_generic(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        app.add_member_as_operator("acme", "pat@other.org").await;
        set_password(&app.db.url, "pat@other.org", "a long enough password");
        // Email first: no SSO for other.org, so the password field appears.
        let (status, _, _, body) = login(&sso, "pat@other.org", None).await;
        assert_eq!(status, 200);
        assert!(body.contains("type=\"password\""));
        let (status, _, _, wrong) = login(&sso, "pat@other.org", Some("not the password")).await;
        let (_, _, _, unknown) = login(&sso, "nobody@other.org", Some("not the password")).await;
        assert_eq!(status, 401);
        assert!(wrong.contains("The email or password is wrong.") && unknown.contains("The email or password is wrong."));
        let (form_cookie, token) = login_form(&app).await;
        let response = sso.client.post(app.url("/login")).header("cookie", form_cookie)
            .form(&[("email", "pat@other.org"), ("password", "a long enough password"), ("return_to", "//evil.com"), ("csrf_token", &token)])
            .send().await.unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/", "never redirect off-site");
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        let cookie = set_cookie.trim_start_matches("gatehouse_session=").split(';').next().unwrap().to_string();
        let me = sso.whoami(&cookie).await;
        assert_eq!(me["method"], "password");
        assert_eq!(me["workspaces"][0]["slug"], "acme");
        // Logout ends the session (the form carries the session's CSRF token).
        let csrf = me["csrf_token"].as_str().unwrap().to_string();
        sso.client.post(app.url("/logout")).header("cookie", format!("gatehouse_session={cookie}"))
            .form(&[("csrf_token", csrf)]).send().await.unwrap();
        let after = sso.client.get(app.url("/v1/session")).header("cookie", format!("gatehouse_session={cookie}")).send().await.unwrap();
        assert_eq!(after.status(), 401);
    }

    async fn repeated_failures_get_a_short_delay_with_retry_after_then_the_password_works(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        app.add_member_as_operator("acme", "pat@other.org").await;
        set_password(&app.db.url, "pat@other.org", "a long enough password");
        for _ in 0..5 {
            assert_eq!(login(&sso, "pat@other.org", Some("wrong wrong wrong")).await.0, 401);
        }
        let (status, cookie, retry_after, _) = login(&sso, "pat@other.org", Some("a long enough password")).await;
        assert_eq!(status, 429);
        assert!(cookie.is_none());
        // A short delay, not a lockout: after Retry-After the right password works.
        let wait = retry_after.unwrap().parse::<u64>().unwrap();
        assert!((1..=2).contains(&wait), "Retry-After {wait}");
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        let (status, cookie, _, _) = login(&sso, "pat@other.org", Some("a long enough password")).await;
        assert_eq!(status, 303);
        assert!(cookie.is_some());
    }

    async fn an_sso_domain_goes_straight_to_its_identity_provider(app: TestApp) {
        let sso = SsoWorkspace::new(&app, false).await;
        let (status, _, location, _) = login(&sso, "alice@example.com", None).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/saml/acme/login?return_to=/home"));
    }

    async fn require_sso_blocks_password_sessions_except_for_exempted_members(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        for email in ["pat@example.com", "ex@example.com"] {
            sso.member(email).await;
            app.post("/v1/workspaces/acme/grants", &sso.token, json!({"subject": {"type": "user", "id": email},
                "role": "warehouse.read", "scope": {"type": "all"}})).await;
            set_password(&app.db.url, email, "a long enough password");
        }
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme", &sso.token, Some(json!({"settings": {"require_sso": true}}))).await;
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme/members/ex@example.com", &sso.token, Some(json!({"sso_exempt": true}))).await;
        let password_session = |email: &'static str| {
            let client = sso.client.clone();
            let url = app.url("/login");
            let app = &app;
            async move {
                let (form_cookie, token) = login_form(app).await;
                let r = client.post(url).header("cookie", form_cookie)
                    .form(&[("email", email), ("password", "a long enough password"), ("csrf_token", &token)]).send().await.unwrap();
                assert_eq!(r.status(), 303);
                r.headers()["set-cookie"].to_str().unwrap().trim_start_matches("gatehouse_session=").split(';').next().unwrap().to_string()
            }
        };
        // Password login goes through the form only when asked with the password directly.
        let pat = password_session("pat@example.com").await;
        let ex = password_session("ex@example.com").await;
        let check = |session: &str| json!({"session": session, "action": "warehouse.read", "resource": {"type": "warehouse", "id": "w"}});
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check(&pat)).await.1["allowed"], false);
        let (_, explained) = app.post("/v1/workspaces/acme/access/explain", &sso.token, check(&pat)).await;
        assert_eq!(explained["reason"], "sso_required");
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check(&ex)).await.1["allowed"], true);
        // The same person through SSO has access.
        let (_, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "pat@example.com"]), None).await;
        assert_eq!(app.post("/v1/workspaces/acme/access/check", &sso.token, check(&cookie.unwrap())).await.1["allowed"], true);
    }

    async fn deactivating_a_member_ends_their_sso_sessions(app: TestApp) {
        let sso = SsoWorkspace::new(&app, true).await;
        sso.member("alice@example.com").await;
        let (_, cookie, _) = sso.post_acs(&sso.response(&["--name-id", "alice@example.com"]), None).await;
        let cookie = cookie.unwrap();
        sso.whoami(&cookie).await;
        app.call(reqwest::Method::PATCH, "/v1/workspaces/acme/members/alice@example.com", &sso.token, Some(json!({"active": false}))).await;
        let after = sso.client.get(app.url("/v1/session")).header("cookie", format!("gatehouse_session={cookie}")).send().await.unwrap();
        assert_eq!(after.status(), 401);
    }
}
