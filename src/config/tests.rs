//! Tests of settings loading, and of the README's configuration table against [`KEYS`](super::KEYS).
use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_serve_sqlite_on_localhost() {
    let s = Settings::load_from(None, &[]).unwrap();
    assert_eq!(s.database_url, "sqlite://gatehouse.db");
    assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.public_url, "http://127.0.0.1:8080");
    assert_eq!(s.log_format, LogFormat::Text);
}

#[test]
fn environment_overrides_file_and_file_overrides_defaults() {
    let dir = std::env::temp_dir().join(format!("gh-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gatehouse.toml");
    std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
    let s = Settings::load_from(Some(&file), &env(&[("GATEHOUSE_LOG_FORMAT", "text")])).unwrap();
    assert_eq!(s.bind.port(), 9000);
    assert_eq!(s.public_url, "http://localhost:9000");
    assert_eq!(s.log_format, LogFormat::Text);
}

#[test]
fn a_bad_value_names_the_variable() {
    let err = Settings::load_from(None, &env(&[("GATEHOUSE_BIND", "nonsense")])).unwrap_err();
    assert_eq!(err.setting, "GATEHOUSE_BIND");
    assert!(err.to_string().contains("GATEHOUSE_BIND"));
    let err = Settings::load_from(None, &env(&[("GATEHOUSE_LOG_FORMAT", "yaml")])).unwrap_err();
    assert_eq!(err.setting, "GATEHOUSE_LOG_FORMAT");
    let err = Settings::load_from(None, &env(&[("GATEHOUSE_PUBLIC_URL", "ftp://x")])).unwrap_err();
    assert_eq!(err.setting, "GATEHOUSE_PUBLIC_URL");
    let err =
        Settings::load_from(None, &env(&[("GATEHOUSE_DATABASE_URL", "mysql://x")])).unwrap_err();
    assert_eq!(err.setting, "GATEHOUSE_DATABASE_URL");
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let dir = std::env::temp_dir().join(format!("gh-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gatehouse.toml");
    std::fs::write(&file, "bnd = \"0.0.0.0:9000\"\n").unwrap();
    let err = Settings::load_from(Some(&file), &[]).unwrap_err();
    assert!(err.setting.starts_with("--config"), "{err}");
    assert!(err.problem.contains("bnd"), "{err}");
}

#[test]
fn the_dns_server_takes_an_address_with_or_without_port() {
    let s = Settings::load_from(None, &env(&[("GATEHOUSE_DNS_SERVER", "127.0.0.1:5353")])).unwrap();
    assert_eq!(s.dns_server, Some("127.0.0.1:5353".parse().unwrap()));
    let s = Settings::load_from(None, &env(&[("GATEHOUSE_DNS_SERVER", "::1")])).unwrap();
    assert_eq!(s.dns_server, Some("[::1]:53".parse().unwrap()));
    assert_eq!(Settings::load_from(None, &[]).unwrap().dns_server, None);
    let err =
        Settings::load_from(None, &env(&[("GATEHOUSE_DNS_SERVER", "dns.example")])).unwrap_err();
    assert_eq!(err.setting, "GATEHOUSE_DNS_SERVER");
}

/// The settings the README's configuration table does not list (a row naming both the
/// environment variable and the file key).
fn undocumented(readme: &str) -> Vec<&'static str> {
    KEYS.iter()
        .copied()
        .filter(|key| {
            let env = format!("`GATEHOUSE_{}`", key.to_ascii_uppercase());
            let file = format!("`{key}`");
            !readme
                .lines()
                .any(|l| l.starts_with('|') && l.contains(&env) && l.contains(&file))
        })
        .collect()
}

#[test]
fn the_readme_configuration_table_lists_every_setting() {
    let missing = undocumented(include_str!("../../README.md"));
    assert!(
        missing.is_empty(),
        "README.md's configuration table lacks {missing:?}"
    );
}

#[test]
fn a_setting_missing_from_the_readme_is_noticed() {
    let readme = include_str!("../../README.md");
    let without_bind: String = readme
        .lines()
        .filter(|l| !l.contains("`GATEHOUSE_BIND`"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(undocumented(&without_bind), ["bind"]);
}
