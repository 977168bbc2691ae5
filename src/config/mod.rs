//! Settings: built-in defaults, then an optional TOML file (`--config`), then `GATEHOUSE_*`
//! environment variables. Every bad value is reported with the name of the setting it came
//! from, so a misconfigured deployment fails at start with a message an operator can act on.

use std::{fmt, net::SocketAddr, path::Path, str::FromStr};

use serde::Deserialize;

mod network;
pub use network::{NetworkSettings, DEFAULT_SAML_REQUESTS_PER_MINUTE};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!("{s:?} is not a log format (use text or json)")),
        }
    }
}

/// The validated settings of one Gatehouse process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://path` (embedded default) or `postgres://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Base of every absolute URL Gatehouse hands out (SCIM `meta.location`, SAML endpoints),
    /// without a trailing slash.
    pub public_url: String,
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest number of database connections per process.
    pub database_max_connections: u32,
    /// Sign-in: cookies, sessions, password hashing, SAML clock skew.
    pub sign_in: SignInSettings,
    /// A TOML file of group mapping rules applied at start-up (the file is the desired state
    /// of its rules).
    pub mapping_rules_file: Option<std::path::PathBuf>,
    /// The DNS server that domain verification asks (UDP and TCP); `None`: the system's
    /// resolvers (`/etc/resolv.conf`).
    pub dns_server: Option<SocketAddr>,
    /// Trusted proxies, outbound allow list, metrics listener, SAML rate limit.
    pub network: NetworkSettings,
    /// After SIGTERM, how long `/readyz` answers 503 while new requests are still served, so
    /// load balancers stop sending before the listener closes.
    pub drain_seconds: u64,
    /// Days the console's SCIM request log and sign-in log keep an entry.
    pub activity_log_days: u32,
}

/// Settings of sign-in.
#[derive(Debug, Clone)]
pub struct SignInSettings {
    /// Mark the session cookie `Secure` (default: when the public URL is https).
    pub cookie_secure: bool,
    /// A session ends this long after it started.
    pub session_hours: i64,
    /// A session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// argon2id memory cost in KiB and iterations (OWASP: 19 MiB, 2).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Tolerated clock difference with identity providers.
    pub saml_clock_skew_seconds: i64,
}

/// A setting that could not be used, named the way the operator wrote it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}: {}",
            self.setting, self.problem
        )
    }
}

impl std::error::Error for ConfigError {}

/// `IP` or `IP:PORT` (port 53 when left out).
fn parse_dns_server(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    value
        .parse::<SocketAddr>()
        .or_else(|_| {
            value
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("{value:?} is not a DNS server address (IP or IP:PORT)"))
}

/// The optional TOML file: every key optional, unknown keys refused (a typo must not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    max_body_bytes: Option<usize>,
    database_max_connections: Option<u32>,
    cookie_secure: Option<bool>,
    session_hours: Option<i64>,
    session_idle_minutes: Option<i64>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    saml_clock_skew_seconds: Option<i64>,
    mapping_rules_file: Option<String>,
    dns_server: Option<String>,
    trusted_proxies: Option<String>,
    outbound_allow: Option<String>,
    metrics_bind: Option<String>,
    saml_requests_per_minute: Option<u32>,
    drain_seconds: Option<u64>,
    activity_log_days: Option<u32>,
}

/// Raw values and where each came from, before validation.
struct Layered {
    values: Vec<(&'static str, Option<(String, String)>)>,
}

impl Layered {
    fn get(&self, key: &str) -> Option<&(String, String)> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_ref())
    }

    fn parse<T: FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some((origin, raw)) => raw.trim().parse::<T>().map_err(|e| ConfigError {
                setting: origin.clone(),
                problem: format!("{raw:?}: {e}"),
            }),
        }
    }
}

/// Every setting, by file key; its environment variable is `GATEHOUSE_` + the key in upper
/// case. The README's configuration table must list each (a test checks it).
pub const KEYS: [&str; 20] = [
    "trusted_proxies",
    "outbound_allow",
    "metrics_bind",
    "saml_requests_per_minute",
    "mapping_rules_file",
    "dns_server",
    "database_url",
    "bind",
    "public_url",
    "log_format",
    "max_body_bytes",
    "database_max_connections",
    "cookie_secure",
    "session_hours",
    "session_idle_minutes",
    "argon2_memory_kib",
    "argon2_iterations",
    "saml_clock_skew_seconds",
    "drain_seconds",
    "activity_log_days",
];

impl Settings {
    /// Loads settings from the optional file and the process environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(config_file, &env)
    }

    /// Loads settings from the optional file and the given environment (tests pass their own).
    pub fn load_from(
        config_file: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let file = match config_file {
            None => FileSettings::default(),
            Some(path) => read_file(path)?,
        };
        let file_origin = |key: &str| match config_file {
            Some(p) => format!("{} in {}", key, p.display()),
            None => key.to_string(),
        };
        let from_file: Vec<(&str, Option<String>)> = vec![
            ("database_url", file.database_url),
            ("bind", file.bind),
            ("public_url", file.public_url),
            ("log_format", file.log_format),
            ("max_body_bytes", file.max_body_bytes.map(|v| v.to_string())),
            (
                "database_max_connections",
                file.database_max_connections.map(|v| v.to_string()),
            ),
            ("cookie_secure", file.cookie_secure.map(|v| v.to_string())),
            ("session_hours", file.session_hours.map(|v| v.to_string())),
            (
                "session_idle_minutes",
                file.session_idle_minutes.map(|v| v.to_string()),
            ),
            (
                "argon2_memory_kib",
                file.argon2_memory_kib.map(|v| v.to_string()),
            ),
            (
                "argon2_iterations",
                file.argon2_iterations.map(|v| v.to_string()),
            ),
            (
                "saml_clock_skew_seconds",
                file.saml_clock_skew_seconds.map(|v| v.to_string()),
            ),
            ("mapping_rules_file", file.mapping_rules_file),
            ("dns_server", file.dns_server),
            ("trusted_proxies", file.trusted_proxies),
            ("outbound_allow", file.outbound_allow),
            ("metrics_bind", file.metrics_bind),
            (
                "saml_requests_per_minute",
                file.saml_requests_per_minute.map(|v| v.to_string()),
            ),
            ("drain_seconds", file.drain_seconds.map(|v| v.to_string())),
            (
                "activity_log_days",
                file.activity_log_days.map(|v| v.to_string()),
            ),
        ];
        let values = KEYS
            .iter()
            .map(|key| {
                let env_name = format!("GATEHOUSE_{}", key.to_ascii_uppercase());
                let from_env = env
                    .iter()
                    .find(|(k, _)| *k == env_name)
                    .map(|(_, v)| (env_name.clone(), v.clone()));
                let from_file = from_file
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.clone())
                    .map(|v| (file_origin(key), v));
                (*key, from_env.or(from_file))
            })
            .collect();
        Self::validate(&Layered { values })
    }

    fn validate(raw: &Layered) -> Result<Self, ConfigError> {
        let database_url = match raw.get("database_url") {
            None => "sqlite://gatehouse.db".to_string(),
            Some((origin, url)) => {
                let url = url.trim().to_string();
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(ConfigError {
                        setting: origin.clone(),
                        problem: format!(
                            "{url:?} is not a database URL (use sqlite://FILE or postgres://…)"
                        ),
                    });
                }
                url
            }
        };
        let bind: SocketAddr = raw.parse("bind", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let public_url = match raw.get("public_url") {
            None => default_public_url(bind),
            Some((origin, url)) => {
                let url = url.trim().trim_end_matches('/').to_string();
                let rest = url
                    .strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"));
                match rest {
                    Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => url,
                    _ => {
                        return Err(ConfigError {
                            setting: origin.clone(),
                            problem: format!("{url:?} is not an http(s) URL"),
                        })
                    }
                }
            }
        };
        let value = |key: &str| raw.get(key).map(|(_, v)| v.as_str());
        let network = network::parse(
            value("trusted_proxies"),
            value("outbound_allow"),
            value("metrics_bind"),
            value("saml_requests_per_minute"),
        )
        .map_err(|(key, problem)| ConfigError {
            setting: raw.get(key).map(|(o, _)| o.clone()).unwrap_or_default(),
            problem,
        })?;
        let settings = Settings {
            network,
            database_url,
            bind,
            public_url: public_url.clone(),
            log_format: raw.parse("log_format", LogFormat::Text)?,
            max_body_bytes: raw.parse("max_body_bytes", 1024 * 1024)?,
            drain_seconds: raw.parse("drain_seconds", 5)?,
            activity_log_days: raw.parse("activity_log_days", 30)?,
            database_max_connections: raw.parse("database_max_connections", 10)?,
            mapping_rules_file: raw.get("mapping_rules_file").map(|(_, v)| v.trim().into()),
            dns_server: match raw.get("dns_server") {
                None => None,
                Some((origin, value)) => {
                    Some(parse_dns_server(value).map_err(|problem| ConfigError {
                        setting: origin.clone(),
                        problem,
                    })?)
                }
            },
            sign_in: SignInSettings {
                cookie_secure: raw.parse("cookie_secure", public_url.starts_with("https://"))?,
                session_hours: raw.parse("session_hours", 12)?,
                session_idle_minutes: raw.parse("session_idle_minutes", 60)?,
                argon2_memory_kib: raw.parse("argon2_memory_kib", 19_456)?,
                argon2_iterations: raw.parse("argon2_iterations", 2)?,
                saml_clock_skew_seconds: raw.parse("saml_clock_skew_seconds", 120)?,
            },
        };
        if settings.max_body_bytes < 1024 {
            return Err(ConfigError {
                setting: raw
                    .get("max_body_bytes")
                    .map(|(o, _)| o.clone())
                    .unwrap_or_default(),
                problem: "must be at least 1024 bytes".into(),
            });
        }
        let s = &settings.sign_in;
        let checks: [(&str, bool, &str); 5] = [
            ("session_hours", s.session_hours >= 1, "must be at least 1"),
            (
                "session_idle_minutes",
                s.session_idle_minutes >= 1,
                "must be at least 1",
            ),
            (
                "argon2_memory_kib",
                s.argon2_memory_kib >= 8 * 1024,
                "must be at least 8192 KiB",
            ),
            (
                "argon2_iterations",
                s.argon2_iterations >= 1,
                "must be at least 1",
            ),
            (
                "saml_clock_skew_seconds",
                (0..=600).contains(&s.saml_clock_skew_seconds),
                "must be 0 to 600",
            ),
        ];
        if let Some((key, _, problem)) = checks.iter().find(|(_, ok, _)| !ok) {
            return Err(ConfigError {
                setting: raw.get(key).map(|(o, _)| o.clone()).unwrap_or_default(),
                problem: (*problem).into(),
            });
        }
        if !(1..=3650).contains(&settings.activity_log_days) {
            return Err(ConfigError {
                setting: raw
                    .get("activity_log_days")
                    .map(|(o, _)| o.clone())
                    .unwrap_or_default(),
                problem: "must be 1 to 3650".into(),
            });
        }
        if settings.drain_seconds > 300 {
            return Err(ConfigError {
                setting: raw
                    .get("drain_seconds")
                    .map(|(o, _)| o.clone())
                    .unwrap_or_default(),
                problem: "must be 0 to 300".into(),
            });
        }
        if settings.database_max_connections == 0 {
            return Err(ConfigError {
                setting: raw
                    .get("database_max_connections")
                    .map(|(o, _)| o.clone())
                    .unwrap_or_default(),
                problem: "must be at least 1".into(),
            });
        }
        Ok(settings)
    }
}

/// `http://host:port` for the bind address; an unspecified address (0.0.0.0) is shown as
/// `localhost`, since no client can reach "0.0.0.0".
pub fn default_public_url(bind: SocketAddr) -> String {
    if bind.ip().is_unspecified() {
        format!("http://localhost:{}", bind.port())
    } else {
        format!("http://{bind}")
    }
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let setting = format!("--config {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        setting: setting.clone(),
        problem: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError {
        setting,
        problem: e.message().to_string(),
    })
}

#[cfg(test)]
mod tests;
