//! Test support for sign-in: the real test IdP (pysaml2 + xmlsec1, conformance/saml-idp)
//! driven from Rust, a workspace wired to it, and the SP-initiated round trip.

use std::{io::Read, path::PathBuf, process::Command};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::json;

use crate::helpers::TestApp;
use gatehouse::domain::TokenKind;

/// The IdP's entity id in tests.
pub const IDP: &str = "https://idp.test/metadata";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Runs the test IdP's CLI and returns its standard output.
pub fn idp(args: &[&str]) -> String {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "the test IdP needs conformance/.venv: run scripts/test (it installs it)"
    );
    let out = Command::new(python)
        .arg(root().join("saml-idp/idp.py"))
        .args(args)
        .output()
        .expect("run the test IdP");
    assert!(
        out.status.success(),
        "idp.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A workspace trusting a test IdP, with a service token: `acme` (domain example.com, the
/// IdP's first key) by default, or any workspace with its own IdP (`SsoWorkspace::custom`).
pub struct SsoWorkspace<'a> {
    pub app: &'a TestApp,
    pub slug: String,
    pub token: String,
    /// The IdP's entity id.
    pub idp_entity_id: String,
    /// `idp.py --key` for this IdP's responses (`None`: the first key).
    pub key: Option<&'static str>,
    /// A client that does not follow redirects and keeps no cookies.
    pub client: reqwest::Client,
    /// The browser-binding cookie of the last `start_login` (name=value), sent to the ACS.
    pub binding: std::sync::Mutex<Option<String>>,
}

/// What the ACS and the handoff after it answered.
pub struct AcsOutcome {
    /// The ACS's status (303 when it accepted the response).
    pub status: u16,
    /// The handoff cookie the ACS set (name=value), when it accepted.
    pub handoff: Option<String>,
    /// The ACS's Location.
    pub location: Option<String>,
}

/// The value of cookie `name` among a response's Set-Cookie headers (removals excluded).
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&prefix))
        .map(|v| {
            v[prefix.len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .find(|v| !v.is_empty())
}

impl<'a> SsoWorkspace<'a> {
    pub async fn new(app: &'a TestApp, allow_idp_initiated: bool) -> SsoWorkspace<'a> {
        app.create_workspace("acme").await;
        Self::connect(app, "acme", IDP, None, allow_idp_initiated).await
    }

    /// Workspace `slug` with the verified `domains`, trusting its own IdP `idp_entity_id`
    /// that signs with `key` (`Some("second")`: the test IdP's second key pair).
    pub async fn custom(
        app: &'a TestApp,
        slug: &str,
        domains: &[&str],
        idp_entity_id: &str,
        key: Option<&'static str>,
        allow_idp_initiated: bool,
    ) -> SsoWorkspace<'a> {
        let domains: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
        app.create_workspace_with_domains(slug, &domains).await;
        Self::connect(app, slug, idp_entity_id, key, allow_idp_initiated).await
    }

    async fn connect(
        app: &'a TestApp,
        slug: &str,
        idp_entity_id: &str,
        key: Option<&'static str>,
        allow_idp_initiated: bool,
    ) -> SsoWorkspace<'a> {
        let (_, token) = app.issue_token(slug, TokenKind::Service).await;
        let mut args = vec![
            "metadata",
            "--entity-id",
            idp_entity_id,
            "--sso-url",
            "https://idp.test/sso",
        ];
        if let Some(key) = key {
            args.extend(["--cert", key]);
        }
        let metadata = idp(&args);
        let (status, body) = app
            .post(
                &format!("/v1/workspaces/{slug}/sso/connections"),
                &token,
                json!({"metadata_xml": metadata, "allow_idp_initiated": allow_idp_initiated}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let client = crate::helpers::test_client(reqwest::redirect::Policy::none());
        SsoWorkspace {
            app,
            slug: slug.to_string(),
            token,
            idp_entity_id: idp_entity_id.to_string(),
            key,
            client,
            binding: std::sync::Mutex::new(None),
        }
    }

    pub async fn member(&self, email: &str) {
        let (status, body) = self
            .app
            .post(
                &format!("/v1/workspaces/{}/members", self.slug),
                &self.token,
                json!({"email": email}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    pub fn sp_entity(&self) -> String {
        format!("{}/saml/{}/metadata", self.app.address, self.slug)
    }

    pub fn acs(&self) -> String {
        format!("{}/saml/{}/acs", self.app.address, self.slug)
    }

    /// Arguments naming this SP and IdP for `idp.py response`/`attack`.
    pub fn sp_args(&self) -> Vec<String> {
        let mut args = vec![
            "--entity-id".into(),
            self.idp_entity_id.clone(),
            "--sp-entity-id".into(),
            self.sp_entity(),
            "--acs-url".into(),
            self.acs(),
        ];
        if let Some(key) = self.key {
            args.extend(["--key".into(), key.to_string()]);
        }
        args
    }

    /// Starts an SP-initiated login; returns (AuthnRequest id, RelayState).
    pub async fn start_login(&self, return_to: &str) -> (String, String) {
        let response = self
            .client
            .get(
                self.app
                    .url(&format!("/saml/{}/login?return_to={return_to}", self.slug)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let binding = set_cookie(&response, "gatehouse_saml").expect("a browser-binding cookie");
        *self.binding.lock().unwrap() = Some(format!("gatehouse_saml={binding}"));
        let location =
            reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(
            location.as_str().starts_with("https://idp.test/sso"),
            "{location}"
        );
        let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        let deflated = STANDARD.decode(&params["SAMLRequest"]).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .unwrap();
        let id = xml
            .split("ID=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        (id, params["RelayState"].clone())
    }

    /// A signed response from the test IdP; extra arguments as for `idp.py response`.
    pub fn response(&self, extra: &[&str]) -> String {
        let mut args: Vec<String> = vec!["response".into()];
        args.extend(self.sp_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        idp(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// A tampered response (`idp.py attack KIND`).
    pub fn attack(&self, kind: &str, extra: &[&str]) -> String {
        let mut args: Vec<String> = vec!["attack".into(), kind.into()];
        args.extend(self.sp_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        idp(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Posts to the ACS with these cookies (`name=value`); answers what the ACS said.
    pub async fn post_acs_raw(
        &self,
        saml_response: &str,
        relay_state: Option<&str>,
        cookies: &[String],
    ) -> AcsOutcome {
        let mut form = vec![("SAMLResponse", saml_response.to_string())];
        if let Some(r) = relay_state {
            form.push(("RelayState", r.to_string()));
        }
        let mut request = self.client.post(self.acs()).form(&form);
        if !cookies.is_empty() {
            request = request.header("cookie", cookies.join("; "));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let handoff =
            set_cookie(&response, "gatehouse_signin").map(|v| format!("gatehouse_signin={v}"));
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        AcsOutcome {
            status,
            handoff,
            location,
        }
    }

    /// Follows the ACS's handoff (`GET /saml/{slug}/complete`) with extra cookies; answers the
    /// response.
    pub async fn complete(&self, outcome: &AcsOutcome, cookies: &[String]) -> reqwest::Response {
        let location = outcome.location.as_deref().expect("the ACS redirected");
        let expected = format!("/saml/{}/complete", self.slug);
        assert!(location.starts_with(&expected), "{location}");
        let mut all = vec![outcome.handoff.clone().expect("a handoff cookie")];
        all.extend(cookies.iter().cloned());
        self.client
            .get(self.app.url(location))
            .header("cookie", all.join("; "))
            .send()
            .await
            .unwrap()
    }

    /// Posts to the ACS as the browser that started the last login (its binding cookie), then
    /// completes the handoff like a browser without another session; answers (status,
    /// session cookie value, final Location). A refusal answers the ACS's status.
    pub async fn post_acs(
        &self,
        saml_response: &str,
        relay_state: Option<&str>,
    ) -> (u16, Option<String>, Option<String>) {
        let cookies: Vec<String> = self.binding.lock().unwrap().iter().cloned().collect();
        let outcome = self
            .post_acs_raw(saml_response, relay_state, &cookies)
            .await;
        if outcome.status != 303 {
            return (outcome.status, None, outcome.location);
        }
        let done = self.complete(&outcome, &[]).await;
        let status = done.status().as_u16();
        let cookie = set_cookie(&done, "gatehouse_session");
        let location = done
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, cookie, location)
    }

    /// Who a session cookie belongs to (`GET /v1/session`).
    pub async fn whoami(&self, cookie: &str) -> serde_json::Value {
        let response = self
            .client
            .get(self.app.url("/v1/session"))
            .header("cookie", format!("gatehouse_session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Rows in the tables a login could create, to prove a refusal created nothing.
    pub async fn footprint(&self) -> Vec<i64> {
        use sqlx::Connection;
        let tables = [
            "sessions",
            "accounts",
            "memberships",
            "groups",
            "group_members",
        ];
        let mut counts = Vec::new();
        macro_rules! count {
            ($conn:expr) => {
                for t in tables {
                    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}"))
                        .fetch_one(&mut $conn)
                        .await
                        .unwrap();
                    counts.push(n);
                }
            };
        }
        if self.app.db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.app.db.url)
                .await
                .unwrap();
            count!(conn);
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.app.db.url).await.unwrap();
            count!(conn);
        }
        counts
    }
}
