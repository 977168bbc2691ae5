//! Password sign-in under attack: parallel guessing is bounded by reservations, others'
//! failures never lock the owner out, `X-Forwarded-For` counts only from trusted proxies,
//! and login and logout need their forms' CSRF tokens.

use futures_util::future::join_all;

use crate::{
    helpers::{on_both_backends, on_both_backends_with, TestApp},
    signin::{login_form, set_password},
    sso_support::{set_cookie, SsoWorkspace},
};

const PASSWORD: &str = "a long enough password";

/// The test client's requests come through a "load balancer" on 127.0.0.1.
fn trust_loopback(settings: &mut gatehouse::config::Settings) {
    settings.network.trusted_proxies = gatehouse::net::parse_nets("127.0.0.1/32").unwrap();
}

/// Posts the password form as a browser at `client_address` (sent as X-Forwarded-For);
/// answers (status, session cookie, Retry-After).
async fn attempt(
    (app, client): (&TestApp, &reqwest::Client),
    form: &(String, String),
    email: &str,
    password: &str,
    client_address: &str,
) -> (u16, Option<String>, Option<u64>) {
    let response = client
        .post(app.url("/login"))
        .header("cookie", &form.0)
        .header("x-forwarded-for", client_address)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", form.1.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (
        response.status().as_u16(),
        set_cookie(&response, "gatehouse_session"),
        retry,
    )
}

async fn pat(app: &TestApp) -> SsoWorkspace<'_> {
    let sso = SsoWorkspace::new(app, false).await;
    sso.app
        .add_member_as_operator("acme", "pat@other.org")
        .await;
    set_password(&app.db.url, "pat@other.org", PASSWORD);
    sso
}

on_both_backends_with! {
    trust_loopback;
    async fn two_hundred_parallel_wrong_passwords_evaluate_at_most_five(app: TestApp) {
        let _sso = pat(&app).await;
        let form = login_form(&app).await;
        // One client for all attempts (building one loads TLS roots); its pool opens as many
        // connections as the parallel attempts need.
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        let attacker = "203.0.113.50";
        let answers = join_all((0..200).map(|i| {
            let (app, form, client) = (&app, &form, &client);
            async move { attempt((app, client), form, "pat@other.org", &format!("wrong guess number {i}"), attacker).await.0 }
        }))
        .await;
        let evaluated = answers.iter().filter(|s| **s == 401).count();
        let throttled = answers.iter().filter(|s| **s == 429).count();
        assert!((1..=5).contains(&evaluated), "{evaluated} evaluated: {answers:?}");
        assert_eq!(evaluated + throttled, 200, "{answers:?}");
        // The owner, at their own address, is not slowed down at all.
        let (status, cookie, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, "198.51.100.7").await;
        assert_eq!(status, 303);
        assert!(cookie.is_some());
        // Even from the attacker's address the owner only waits a short delay.
        let (status, _, retry) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, attacker).await;
        if status == 429 {
            let wait = retry.expect("Retry-After");
            assert!(wait <= 2, "Retry-After {wait}");
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            let (status, cookie, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, attacker).await;
            assert_eq!(status, 303);
            assert!(cookie.is_some());
        } else {
            assert_eq!(status, 303);
        }
    }

    async fn failures_by_others_never_lock_the_owner_out(app: TestApp) {
        let _sso = pat(&app).await;
        let form = login_form(&app).await;
        // One client for all attempts (building one loads TLS roots); its pool opens as many
        // connections as the parallel attempts need.
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        // Many strangers, each a few wrong passwords: far more than any per-account limit.
        for i in 0..12 {
            for _ in 0..3 {
                let (status, _, _) = attempt((&app, &client), &form, "pat@other.org", "not the password", &format!("203.0.113.{i}")).await;
                assert_eq!(status, 401);
            }
        }
        let (status, cookie, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, "198.51.100.7").await;
        assert_eq!(status, 303, "the owner is not locked out");
        assert!(cookie.is_some());
        // One stranger hammering from one address is held back without touching the owner.
        for _ in 0..6 {
            attempt((&app, &client), &form, "pat@other.org", "not the password", "203.0.113.99").await;
        }
        assert_eq!(attempt((&app, &client), &form, "pat@other.org", "not the password", "203.0.113.99").await.0, 429);
        assert_eq!(attempt((&app, &client), &form, "pat@other.org", PASSWORD, "198.51.100.7").await.0, 303);
    }
}

on_both_backends! {
    async fn forwarded_for_counts_only_from_trusted_proxies(app: TestApp) {
        let _sso = pat(&app).await;
        let form = login_form(&app).await;
        // One client for all attempts (building one loads TLS roots); its pool opens as many
        // connections as the parallel attempts need.
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        // No trusted proxies by default: every request is 127.0.0.1, whatever it claims.
        for i in 0..5 {
            let (status, _, _) = attempt((&app, &client), &form, "pat@other.org", "not the password", &format!("203.0.113.{i}")).await;
            assert_eq!(status, 401);
        }
        let (status, _, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, "198.51.100.7").await;
        assert_eq!(status, 429, "a spoofed X-Forwarded-For must not buy fresh attempts");
    }

    async fn a_login_post_without_the_forms_csrf_token_signs_nobody_in(app: TestApp) {
        let _sso = pat(&app).await;
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        let (cookie, token) = login_form(&app).await;
        let fields = |token: Option<&str>| {
            let mut f = vec![("email", "pat@other.org".to_string()), ("password", PASSWORD.to_string())];
            if let Some(t) = token {
                f.push(("csrf_token", t.to_string()));
            }
            f
        };
        // Another site's form: neither the cookie nor the token.
        let cross_site = client.post(app.url("/login")).header("origin", "https://evil.example")
            .form(&fields(None)).send().await.unwrap();
        // The cookie (sent along by the browser) but no token, or a made-up one.
        let no_token = client.post(app.url("/login")).header("cookie", &cookie)
            .form(&fields(None)).send().await.unwrap();
        let wrong_token = client.post(app.url("/login")).header("cookie", &cookie)
            .form(&fields(Some(&"0".repeat(64)))).send().await.unwrap();
        // The token without the browser's cookie.
        let no_cookie = client.post(app.url("/login")).form(&fields(Some(&token))).send().await.unwrap();
        for response in [cross_site, no_token, wrong_token, no_cookie] {
            assert_eq!(response.status(), 403);
            assert!(set_cookie(&response, "gatehouse_session").is_none(), "nobody is signed in");
            let page = response.text().await.unwrap();
            assert!(page.contains("name=\"csrf_token\""), "the page offers a fresh form");
        }
        let count = crate::helpers::count_rows(&app, "SELECT COUNT(*) FROM sessions").await;
        assert_eq!(count, 0);
        // The real form works.
        let ok = client.post(app.url("/login")).header("cookie", &cookie)
            .form(&fields(Some(&token))).send().await.unwrap();
        assert_eq!(ok.status(), 303);
        assert!(set_cookie(&ok, "gatehouse_session").is_some());
    }

    async fn logout_needs_the_sessions_csrf_token(app: TestApp) {
        let sso = pat(&app).await;
        let form = login_form(&app).await;
        // One client for all attempts (building one loads TLS roots); its pool opens as many
        // connections as the parallel attempts need.
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        let (_, cookie, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, "x").await;
        let cookie = cookie.unwrap();
        let me = sso.whoami(&cookie).await;
        let session = format!("gatehouse_session={cookie}");
        // A cross-site form (no token) does not sign the browser out; the page asks instead.
        let forged = sso.client.post(app.url("/logout")).header("cookie", &session).send().await.unwrap();
        assert_eq!(forged.status(), 403);
        let page = forged.text().await.unwrap();
        assert!(page.contains("Sign out?") && page.contains(me["csrf_token"].as_str().unwrap()));
        assert_eq!(sso.whoami(&cookie).await["email"], "pat@other.org");
        let wrong = sso.client.post(app.url("/logout")).header("cookie", &session)
            .form(&[("csrf_token", "nope")]).send().await.unwrap();
        assert_eq!(wrong.status(), 403);
        // The landing page's button carries the token.
        let home = sso.client.get(app.url("/")).header("cookie", &session).send().await.unwrap().text().await.unwrap();
        assert!(home.contains(me["csrf_token"].as_str().unwrap()), "{home}");
        let done = sso.client.post(app.url("/logout")).header("cookie", &session)
            .form(&[("csrf_token", me["csrf_token"].as_str().unwrap())]).send().await.unwrap();
        assert_eq!(done.status(), 303);
        let after = sso.client.get(app.url("/v1/session")).header("cookie", &session).send().await.unwrap();
        assert_eq!(after.status(), 401);
    }

    async fn signing_in_as_someone_else_is_announced_and_ends_the_old_session(app: TestApp) {
        let sso = pat(&app).await;
        app.add_member_as_operator("acme", "sam@other.org").await;
        set_password(&app.db.url, "sam@other.org", PASSWORD);
        let form = login_form(&app).await;
        // One client for all attempts (building one loads TLS roots); its pool opens as many
        // connections as the parallel attempts need.
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        let (_, pat_cookie, _) = attempt((&app, &client), &form, "pat@other.org", PASSWORD, "x").await;
        let pat_session = format!("gatehouse_session={}", pat_cookie.clone().unwrap());
        let page = sso.client.get(app.url("/login")).header("cookie", &pat_session).send().await.unwrap()
            .text().await.unwrap();
        assert!(page.contains("You are signed in as pat@other.org"), "{page}");
        let both = format!("{}; {pat_session}", form.0);
        let response = sso.client.post(app.url("/login")).header("cookie", both)
            .form(&[("email", "sam@other.org"), ("password", PASSWORD), ("csrf_token", &form.1)])
            .send().await.unwrap();
        assert_eq!(response.status(), 303);
        let sam = set_cookie(&response, "gatehouse_session").unwrap();
        assert_eq!(sso.whoami(&sam).await["email"], "sam@other.org");
        let old = sso.client.get(app.url("/v1/session")).header("cookie", &pat_session).send().await.unwrap();
        assert_eq!(old.status(), 401, "the replaced session ended");
    }
}
