//! `spawn_app()` and friends: a real Gatehouse server on a random port over a fresh database.
//!
//! PostgreSQL tests use `GATEHOUSE_TEST_POSTGRES_URL` (a server where we may create
//! databases) and create one uniquely named database per test, dropped when the test ends.
//! Without the variable they print one line saying they were skipped; with `CI=true` a
//! missing variable fails them instead.

use std::{path::PathBuf, sync::OnceLock};

use gatehouse::{
    app::Application,
    config::{LogFormat, Settings},
    domain::{Actor, NewWorkspace, TokenKind, Workspace},
    storage::Store,
};
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Prefix of every database the suite creates, so leftovers of a killed run can be found.
const PG_TEST_DB_PREFIX: &str = "gatehouse_test_";

/// A fresh database for one test, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    sqlite_dir: Option<PathBuf>,
    pg: Option<(String, String)>, // (admin url, database name)
}

impl TestDatabase {
    /// Creates the database, or `None` when PostgreSQL is not configured (outside CI).
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("gatehouse-test-{}", Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                Some(Self {
                    url: format!("sqlite://{}", dir.join("gatehouse.db").display()),
                    sqlite_dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                remove_leftover_databases(&admin_url).await;
                let name = format!("{PG_TEST_DB_PREFIX}{}", Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to GATEHOUSE_TEST_POSTGRES_URL");
                conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
                    .await
                    .expect("create test database");
                Some(Self {
                    url: with_database(&admin_url, &name),
                    sqlite_dir: None,
                    pg: Some((admin_url, name)),
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the work.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(drop_database(&admin_url, &name, true));
                }
            })
            .join();
        }
    }
}

/// Drops a test database; `force` also ends its connections (our own, at the end of a test).
async fn drop_database(admin_url: &str, name: &str, force: bool) {
    if let Ok(mut conn) = PgConnection::connect(admin_url).await {
        let with = if force { " WITH (FORCE)" } else { "" };
        let _ = conn
            .execute(format!(r#"DROP DATABASE IF EXISTS "{name}"{with}"#).as_str())
            .await;
    }
}

/// Once per test binary: drop databases a previous, killed run left behind.
async fn remove_leftover_databases(admin_url: &str) {
    static CLEANED: OnceCell<()> = OnceCell::const_new();
    CLEANED
        .get_or_init(|| async {
            let Ok(mut conn) = PgConnection::connect(admin_url).await else {
                return;
            };
            let names: Vec<(String,)> =
                sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
                    .bind(format!("{PG_TEST_DB_PREFIX}%"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            // Without FORCE: a database another test run is using right now has connections
            // and stays; only what a killed run left behind goes.
            for (name,) in names {
                drop_database(admin_url, &name, false).await;
            }
        })
        .await;
}

/// `GATEHOUSE_TEST_POSTGRES_URL`, or `None` after saying the test was skipped. In CI a
/// missing URL is a failure, never a silent skip.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but GATEHOUSE_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI");
            }
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| {
                eprintln!(
                    "SKIPPED: PostgreSQL tests (set GATEHOUSE_TEST_POSTGRES_URL to run them)"
                );
            });
            None
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    /// Stops the server and its background tasks (a process restart, for tests).
    pub stopper: Option<gatehouse::app::Stopper>,
    /// The metrics listener, when the test asked for one.
    pub metrics_address: Option<String>,
}

/// Another Gatehouse instance over an existing test database (it does not own it).
pub struct OtherInstance {
    pub stopper: gatehouse::app::Stopper,
}

/// Starts another instance over `database_url` (restarts, several instances).
pub async fn spawn_instance(database_url: &str) -> OtherInstance {
    let settings = test_settings(database_url);
    let store = Store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .expect("connect");
    let app = Application::build(settings, store).expect("bind");
    let stopper = app.stopper();
    tokio::spawn(app.run_until_stopped());
    OtherInstance { stopper }
}

/// Settings for a test server over `database_url`, on a random port.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::load_from(None, &[]).expect("default settings");
    settings.database_url = database_url.to_string();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.public_url = gatehouse::config::default_public_url(settings.bind);
    settings.log_format = LogFormat::Text;
    settings.max_body_bytes = 256 * 1024;
    settings.database_max_connections = 5;
    settings.dns_server = Some(crate::dns_support::test_dns().address);
    // wiremock listens on 127.0.0.1: the outbound guard lets tests reach it (and nothing else
    // that is not public).
    settings.network.outbound_allow =
        gatehouse::net::outbound::OutboundAllow::parse("127.0.0.1/32").unwrap();
    settings
}

/// An HTTP client for tests. Idle connections are dropped after a second — well before the
/// server's keep-alive timeout — so a slow step (the Python IdP under load) never makes the
/// next request race a connection the server is closing.
pub fn test_client(redirects: reqwest::redirect::Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirects)
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("HTTP client")
}

/// Starts Gatehouse on `backend` over a fresh database; `None` if that backend is skipped.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with settings changed by `customise` (default outbound policy, trusted
/// proxies, a metrics listener…).
pub async fn spawn_app_with(
    backend: Backend,
    customise: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    if std::env::var("TEST_LOG").is_ok() {
        gatehouse::telemetry::init(LogFormat::Text, "debug");
    }
    let db = TestDatabase::create(backend).await?;
    let mut settings = test_settings(&db.url);
    customise(&mut settings);
    let store = Store::connect(&settings.database_url, settings.database_max_connections)
        .await
        .expect("connect test database");
    gatehouse::service::migrate(&store)
        .await
        .expect("migrate test database");
    let app = Application::build(settings.clone(), store.clone()).expect("bind test server");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let stopper = Some(app.stopper());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        store,
        client: test_client(reqwest::redirect::Policy::default()),
        db,
        stopper,
        metrics_address,
    })
}

impl TestApp {
    /// Creates a workspace with every product. The first workspace of a test verifies the
    /// domain example.com (so it is the authority for the test's people); a verified domain
    /// belongs to one workspace, so later ones verify none.
    pub async fn create_workspace(&self, slug: &str) -> Workspace {
        let first = self.store.list_workspaces().await.expect("list").is_empty();
        let domains = if first {
            vec!["example.com".to_string()]
        } else {
            vec![]
        };
        self.create_workspace_with_domains(slug, &domains).await
    }

    /// Creates a workspace with every product and these verified domains (the operator's word).
    pub async fn create_workspace_with_domains(&self, slug: &str, domains: &[String]) -> Workspace {
        self.store
            .create_workspace(
                NewWorkspace {
                    slug: slug.into(),
                    name: format!("Workspace {slug}"),
                    products: gatehouse::access::Product::ALL.to_vec(),
                    domains: domains.to_vec(),
                },
                &Actor::Cli,
                None,
            )
            .await
            .expect("create workspace")
    }

    /// Adds a member on the operator's word (as the CLI does): linked to the person's account,
    /// created if missing, whatever the workspace's domains. Returns the membership id.
    pub async fn add_member_as_operator(&self, slug: &str, email: &str) -> Uuid {
        let workspace = self.store.workspace_by_slug(slug).await.unwrap().unwrap();
        let ctx = gatehouse::storage::ChangeContext {
            actor: Actor::Cli,
            request_id: None,
            provenance: "cli",
        };
        let access = gatehouse::service::AccessService::new(self.store.clone());
        let (member, _) = access
            .add_member(
                &workspace,
                &gatehouse::access::Email::parse(email).unwrap(),
                gatehouse::access::MemberKind::Member,
                &ctx,
            )
            .await
            .expect("add member");
        member.id
    }

    /// Issues a token and returns (id, secret).
    pub async fn issue_token(&self, slug: &str, kind: TokenKind) -> (Uuid, String) {
        let issued = self
            .store
            .create_token(slug, kind, &Actor::Cli, None)
            .await
            .expect("issue token");
        (issued.token.id, issued.secret.expose_secret().to_string())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }
}

/// Declares `async fn name(app: TestApp) { … }` tests that run once per backend, as
/// `name::sqlite` and `name::postgres`, so the test output shows both.
macro_rules! on_both_backends {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block $($rest:tt)*) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                    run(app).await
                }
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    run(app).await
                }
            }
        }
        $crate::helpers::on_both_backends!($($rest)*);
    };
    () => {};
}
pub(crate) use on_both_backends;

/// [`on_both_backends!`] with the settings changed by a function `fn(&mut Settings)` first:
/// `on_both_backends_with! { customise; async fn name(app: TestApp) { … } … }`.
macro_rules! on_both_backends_with {
    ($customise:ident; $(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block $($rest:tt)*) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, super::$customise).await {
                    run(app).await
                }
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, super::$customise).await {
                    run(app).await
                }
            }
        }
        $crate::helpers::on_both_backends_with!($customise; $($rest)*);
    };
    ($customise:ident;) => {};
}
pub(crate) use on_both_backends_with;

/// Runs a `SELECT COUNT(*) …` on the test database directly.
pub async fn count_rows(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Connection;
    if app.db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_as::<_, (i64,)>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .0
    } else {
        let mut conn = PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_as::<_, (i64,)>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .0
    }
}

/// JSON calls with a bearer token, answering (status, body).
impl TestApp {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }

    /// A workspace with every product and a service token for it.
    pub async fn workspace_with_token(&self, slug: &str) -> String {
        self.create_workspace(slug).await;
        self.issue_token(slug, TokenKind::Service).await.1
    }
}

/// Sets a password through the CLI (the operator's act; the password arrives on standard
/// input), with a cheap hash.
pub fn set_password(database_url: &str, email: &str, password: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["password", "set", "--email", email])
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_ARGON2_MEMORY_KIB", "8192")
        .env("GATEHOUSE_ARGON2_ITERATIONS", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// The value of the `gatehouse_session` cookie a response sets, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
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
        })
}

impl TestApp {
    /// Signs in at `/login` with a password, as a browser would; answers (status, session).
    pub async fn password_login(&self, email: &str, password: &str) -> (u16, Option<String>) {
        let (form_cookie, token) = self.form_token("/login").await;
        let client = test_client(reqwest::redirect::Policy::none());
        let response = client
            .post(self.url("/login"))
            .header("cookie", form_cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("return_to", "/"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("POST /login");
        let cookie = session_cookie(&response);
        (response.status().as_u16(), cookie)
    }

    /// Every session row (id, account, method, workspace, last seen, expiry, revocation), one
    /// debug string each: to prove that something left sessions alone.
    pub async fn session_rows(&self) -> Vec<String> {
        use sqlx::Connection;
        type Row = (
            Uuid,
            Uuid,
            String,
            Option<Uuid>,
            chrono::DateTime<chrono::Utc>,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
        );
        const SQL: &str = "SELECT id, account_id, method, workspace_id, last_seen_at, \
            expires_at, revoked_at FROM sessions ORDER BY id";
        let rows: Vec<Row> = if self.db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.db.url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.db.url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
        };
        rows.iter().map(|r| format!("{r:?}")).collect()
    }

    /// Opens a page with a pre-session form (login, a new person's invitation) like a browser:
    /// answers (the pre-session cookie as `name=value`, the form's CSRF token).
    pub async fn form_token(&self, path: &str) -> (String, String) {
        let client = test_client(reqwest::redirect::Policy::none());
        let response = client
            .get(self.url(path))
            .send()
            .await
            .expect("GET the form");
        assert_eq!(response.status(), 200, "GET {path}");
        let cookie = crate::sso_support::set_cookie(&response, "gatehouse_form")
            .expect("a pre-session cookie");
        let html = response.text().await.unwrap();
        let token = html
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF field")
            .to_string();
        (format!("gatehouse_form={cookie}"), token)
    }

    /// `GET /v1/session` with a session cookie: (status, body).
    pub async fn session_of(&self, cookie: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url("/v1/session"))
            .header("cookie", format!("gatehouse_session={cookie}"))
            .send()
            .await
            .expect("GET /v1/session");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }
}
