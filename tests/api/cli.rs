//! The `gatehouse` binary: its commands and flags are a public contract.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Output, Stdio},
};

use crate::helpers::on_both_backends;

/// Runs the binary against `database_url` with extra environment variables.
pub(crate) fn gatehouse(database_url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_DATABASE_URL", database_url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run gatehouse")
}

/// Stdout must be exactly one JSON object.
pub(crate) fn one_json_object(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line of JSON, got: {stdout}");
    let value: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
    assert!(value.is_object(), "{value}");
    value
}

on_both_backends! {
    async fn workspace_and_token_commands_print_one_json_object(app: TestApp) {
        let url = app.db.url.clone();
        let created = gatehouse(&url, &[], &["--json", "workspace", "create", "--slug", "acme",
            "--name", "Acme", "--products", "sources,warehouses", "--domain", "Acme.com"]);
        assert!(created.status.success(), "{created:?}");
        let created = one_json_object(&created);
        assert_eq!(created["workspace"]["slug"], "acme");
        assert_eq!(created["workspace"]["products"], serde_json::json!(["sources", "warehouses"]));
        assert_eq!(created["workspace"]["domains"], serde_json::json!(["acme.com"]));

        // --json is accepted after the subcommand too.
        let token = gatehouse(&url, &[], &["token", "create", "--workspace", "acme", "--kind", "scim", "--json"]);
        assert!(token.status.success(), "{token:?}");
        let token = one_json_object(&token);
        assert!(token["token"].as_str().unwrap().starts_with("gh_scim_"));

        let listed = one_json_object(&gatehouse(&url, &[], &["--json", "token", "list"]));
        let tokens = listed["tokens"].as_array().unwrap();
        assert_eq!(tokens.len(), 1);
        assert!(!listed.to_string().contains(token["token"].as_str().unwrap()));

        let id = token["id"].as_str().unwrap();
        let revoked = one_json_object(&gatehouse(&url, &[], &["--json", "token", "revoke", id]));
        assert_eq!(revoked["revoked"], true);

        let listed = one_json_object(&gatehouse(&url, &[], &["workspace", "list", "--json"]));
        assert_eq!(listed["workspaces"][0]["slug"], "acme");
    }

    async fn token_rotate_prints_the_new_secret_once_and_when_the_old_one_expires(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("acme").await;
        let (old_id, _) = app.issue_token("acme", gatehouse::domain::TokenKind::Scim).await;
        let old_id = old_id.to_string();
        let rotated = gatehouse(&url, &[], &["--json", "token", "rotate", &old_id]);
        assert!(rotated.status.success(), "{rotated:?}");
        let rotated = one_json_object(&rotated);
        assert!(rotated["token"].as_str().unwrap().starts_with("gh_scim_"), "{rotated}");
        assert_eq!(rotated["replaces"], old_id.as_str());
        let expires: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(rotated["old_expires_at"].clone()).unwrap();
        let hours = (expires - chrono::Utc::now()).num_minutes();
        assert!((23 * 60..=24 * 60).contains(&hours), "default overlap is 24 h: {rotated}");

        let new_id = rotated["id"].as_str().unwrap().to_string();
        let again = one_json_object(&gatehouse(&url, &[], &["--json", "token", "rotate", &new_id,
            "--overlap-hours", "0"]));
        let listed = gatehouse(&url, &[], &["token", "list", "--workspace", "acme"]);
        let listed = String::from_utf8_lossy(&listed.stdout);
        let line = listed.lines().find(|l| l.starts_with(&new_id)).unwrap();
        assert!(line.ends_with("expired"), "{listed}");
        assert!(listed.lines().any(|l| l.starts_with(again["id"].as_str().unwrap()) && l.ends_with("active")), "{listed}");

        app.store.revoke_token(again["id"].as_str().unwrap().parse().unwrap(),
            &gatehouse::domain::Actor::Cli, None).await.unwrap();
        let refused = gatehouse(&url, &[], &["--json", "token", "rotate", again["id"].as_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(one_json_object(&refused)["error"]["message"].as_str().unwrap().contains("revoked"));
        let too_long = gatehouse(&url, &[], &["token", "rotate", &old_id, "--overlap-hours", "-1"]);
        assert!(!too_long.status.success());
    }

    async fn errors_are_one_json_object_too(app: TestApp) {
        let out = gatehouse(&app.db.url, &[], &["--json", "token", "create", "--workspace", "nope", "--kind", "scim"]);
        assert_eq!(out.status.code(), Some(3), "not found: {out:?}");
        let body = one_json_object(&out);
        assert!(body["error"]["message"].as_str().unwrap().contains("nope"), "{body}");
        assert_eq!(body["error"]["class"], "not_found");
        assert_eq!(body["error"]["exit_code"], 3);
        // A usage error (a kind clap refuses) is one JSON object too, with exit code 2.
        let out = gatehouse(&app.db.url, &[], &["--json", "token", "create", "--workspace", "nope", "--kind", "admin"]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let body = one_json_object(&out);
        assert_eq!(body["error"]["class"], "usage");
        assert!(body["error"]["message"].as_str().unwrap().contains("admin"), "{body}");
    }

    async fn demo_creates_the_workspace_once_and_fresh_tokens_each_time(app: TestApp) {
        let url = app.db.url.clone();
        let env = [("GATEHOUSE_PUBLIC_URL", "https://gatehouse.example.com")];
        let first = one_json_object(&gatehouse(&url, &env, &["--json", "demo"]));
        let second = one_json_object(&gatehouse(&url, &env, &["--json", "demo"]));
        assert_eq!(first["scim_base_url"], "https://gatehouse.example.com/scim/v2");
        assert_eq!(first["health_url"], "https://gatehouse.example.com/healthz");
        assert_eq!(first["sso"]["acs_url"], "https://gatehouse.example.com/saml/demo/acs");
        assert_eq!(first["sso"]["sp_entity_id"], "https://gatehouse.example.com/saml/demo/metadata");
        assert_ne!(first["scim_token"], second["scim_token"]);
        let workspaces = app.store.list_workspaces().await.unwrap();
        assert_eq!(workspaces.len(), 1);
        assert_eq!(workspaces[0].domains, ["example.com"]);
        assert_eq!(workspaces[0].products.len(), 4);
    }

    async fn serve_answers_health_checks_and_stops_on_sigterm(app: TestApp) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["--json", "serve"])
            .env("GATEHOUSE_DATABASE_URL", &app.db.url)
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .env("GATEHOUSE_DRAIN_SECONDS", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let started: serde_json::Value = serde_json::from_str(&line).expect("start-up JSON");
        let listening = started["listening"].as_str().unwrap();
        let health = app.client.get(format!("http://{listening}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    }
}

#[test]
fn bad_configuration_exits_with_one_line_naming_the_setting() {
    for (name, value) in [
        ("GATEHOUSE_BIND", "nonsense"),
        ("GATEHOUSE_LOG_FORMAT", "xml"),
        ("GATEHOUSE_DATABASE_URL", "mysql://nope"),
    ] {
        let out = gatehouse("sqlite::memory:", &[(name, value)], &["migrate"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: configuration errors exit 2"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(name), "{stderr}");
    }
}
