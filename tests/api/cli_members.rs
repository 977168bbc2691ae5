//! `gatehouse member …`, exit codes by class, progress of long commands, and the demo owner
//! who signs in right after `scripts/serve`.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::{
    cli::{gatehouse, one_json_object},
    helpers::on_both_backends,
};

/// Runs the binary and answers its one JSON object, asserting the exit code.
fn json_run(url: &str, args: &[&str], code: i32) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = gatehouse(url, &[], &full);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
    one_json_object(&out)
}

on_both_backends! {
    async fn member_commands_add_grant_list_revoke_and_remove(app: TestApp) {
        let url = app.db.url.clone();
        let token = app.workspace_with_token("demo").await;
        let added = json_run(&url, &["member", "add", "--workspace", "demo", "--email", "x@example.com"], 0);
        assert_eq!(added["member"]["email"], "x@example.com");
        assert_eq!(added["member"]["kind"], "member");
        assert_eq!(added["member"]["awaiting_consent"], false, "the operator links at once");
        // Outside the verified domains too: the CLI acts with the operator's trust.
        let outsider = json_run(&url, &["member", "add", "--workspace", "demo", "--email", "pat@other.org", "--kind", "owner"], 0);
        assert_eq!(outsider["member"]["awaiting_consent"], false);
        assert_eq!(outsider["member"]["kind"], "owner");

        let (status, _) = app.post("/v1/workspaces/demo/resources", &token,
            serde_json::json!({"type": "source", "id": "web", "name": "Web"})).await;
        assert_eq!(status, 201);
        let all = json_run(&url, &["member", "grant", "--workspace", "demo", "--member", "x@example.com",
            "--role", "source.read"], 0);
        assert_eq!(all["grant"]["scope"]["type"], "all");
        let one = json_run(&url, &["member", "grant", "--workspace", "demo", "--member",
            added["member"]["id"].as_str().unwrap(), "--role", "source.admin", "--resource", "source:web"], 0);
        assert_eq!(one["grant"]["scope"]["resource"]["id"], "web");
        assert!(one["revision"].as_i64().unwrap() > all["revision"].as_i64().unwrap());

        let check = json_run(&url, &["check", "--workspace", "demo", "--user", "x@example.com",
            "--action", "source.update", "--resource", "source:web"], 0);
        assert_eq!(check["allowed"], true, "{check}");

        let listed = json_run(&url, &["member", "list", "--workspace", "demo"], 0);
        let members = listed["members"].as_array().unwrap();
        assert_eq!(members.len(), 2);
        let x = members.iter().find(|m| m["email"] == "x@example.com").unwrap();
        assert_eq!(x["grants"].as_array().unwrap().len(), 2, "{listed}");

        // Revoke by member, role and resource, and by id.
        let revoked = json_run(&url, &["member", "revoke", "--workspace", "demo", "--member", "x@example.com",
            "--role", "source.admin", "--resource", "source:web"], 0);
        assert_eq!(revoked["grant"]["id"], one["id"]);
        json_run(&url, &["member", "revoke", "--workspace", "demo", "--grant", all["id"].as_str().unwrap()], 0);
        let check = json_run(&url, &["check", "--workspace", "demo", "--user", "x@example.com",
            "--action", "source.read", "--resource", "source:web"], 0);
        assert_eq!(check["allowed"], false, "{check}");

        // Every change is audited as the CLI's.
        let (_, audit) = app.get_json("/v1/workspaces/demo/audit", &token).await;
        let by_cli: Vec<&str> = audit["entries"].as_array().unwrap().iter()
            .filter(|e| e["actor"]["type"] == "cli")
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in ["member.upsert", "grant.create", "grant.delete"] {
            assert!(by_cli.contains(&action), "{action} not audited as the CLI's: {by_cli:?}");
        }

        let last_owner = json_run(&url, &["member", "remove", "--workspace", "demo", "--member", "pat@other.org"], 4);
        assert!(last_owner["error"]["message"].as_str().unwrap().contains("last active owner"), "{last_owner}");
        json_run(&url, &["member", "remove", "--workspace", "demo", "--member", "x@example.com"], 0);
        let listed = json_run(&url, &["member", "list", "--workspace", "demo"], 0);
        assert_eq!(listed["members"].as_array().unwrap().len(), 1);
    }

    async fn failures_exit_with_the_code_of_their_class(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("demo").await;
        // Not found: 3.
        let missing = json_run(&url, &["member", "add", "--workspace", "nope", "--email", "x@example.com"], 3);
        assert_eq!(missing["error"]["class"], "not_found");
        assert!(missing["error"]["message"].as_str().unwrap().contains("nope"), "{missing}");
        json_run(&url, &["member", "remove", "--workspace", "demo", "--member", "ghost@example.com"], 3);
        json_run(&url, &["member", "revoke", "--workspace", "demo", "--grant", &uuid::Uuid::new_v4().to_string()], 3);
        // Conflict: 4.
        json_run(&url, &["member", "add", "--workspace", "demo", "--email", "x@example.com"], 0);
        let again = json_run(&url, &["member", "add", "--workspace", "demo", "--email", "X@example.com"], 4);
        assert_eq!(again["error"]["class"], "conflict");
        json_run(&url, &["workspace", "create", "--slug", "demo", "--name", "Again"], 4);
        // Usage: 2 (flags clap refuses, and values the model refuses).
        json_run(&url, &["member", "add", "--workspace", "demo", "--email", "y@example.com", "--kind", "admin"], 2);
        json_run(&url, &["member", "grant", "--workspace", "demo", "--member", "x@example.com", "--role", "no.such"], 2);
        json_run(&url, &["member", "grant", "--workspace", "demo", "--member", "x@example.com", "--role",
            "source.read", "--resource", "web"], 2);
        json_run(&url, &["member", "add", "--workspace", "demo", "--email", "not-an-email"], 2);
        json_run(&url, &["member", "revoke", "--workspace", "demo"], 2);
        // Unavailable: 5 (a database that is not there; nothing is created).
        let dir = std::env::temp_dir().join(format!("gh-missing-{}", uuid::Uuid::new_v4()));
        let missing_db = format!("sqlite://{}/none.db", dir.display());
        let down = json_run(&missing_db, &["token", "list"], 5);
        assert!(down["error"]["message"].as_str().unwrap().contains("gatehouse migrate"), "{down}");
        assert!(!dir.exists());
    }

    async fn long_commands_show_progress_on_a_terminal_only(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("acme").await;
        app.add_member_as_operator("acme", "pat@example.com").await;
        let file = std::env::temp_dir().join(format!("gh-export-{}.json", uuid::Uuid::new_v4()));
        let file = file.to_str().unwrap().to_string();
        // stderr is a pipe here: nothing but the result.
        let out = gatehouse(&url, &[], &["workspace", "export", "--workspace", "acme", "--file", &file]);
        assert!(out.status.success(), "{out:?}");
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        // On a terminal (script(1) gives the command a pseudo-terminal), one line per step.
        let command = format!(
            "{} workspace export --workspace acme --file {file}",
            env!("CARGO_BIN_EXE_gatehouse")
        );
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("GATEHOUSE_DATABASE_URL", &url)
            .stdin(Stdio::null())
            .output()
            .expect("script(1) from util-linux");
        let screen = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{screen}");
        assert!(screen.contains("] reading workspace acme"), "{screen}");
        assert!(screen.contains("] read 1 members"), "{screen}");
        assert!(screen.contains("] done"), "{screen}");
        std::fs::remove_file(&file).unwrap();
    }

    async fn after_scripts_serve_the_printed_owner_signs_in(app: TestApp) {
        // scripts/serve as a newcomer runs it, with the already-built binary instead of a
        // release build (GATEHOUSE_BINARY).
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/serve");
        let mut child = Command::new(script)
            .env("GATEHOUSE_BINARY", env!("CARGO_BIN_EXE_gatehouse"))
            .env("GATEHOUSE_DATABASE_URL", &app.db.url)
            .env("GATEHOUSE_BIND", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_DRAIN_SECONDS", "0")
            .env("GATEHOUSE_ARGON2_MEMORY_KIB", "8192")
            .env("GATEHOUSE_ARGON2_ITERATIONS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut email = None;
        let mut password = None;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(Ok(line)) = lines.next() {
            if let Some(v) = line.trim().strip_prefix("Owner email") {
                email = Some(v.trim().to_string());
            }
            if let Some(v) = line.trim().strip_prefix("Owner password") {
                password = Some(v.trim().to_string());
            }
            if line.contains("shown once") {
                break;
            }
        }
        let (email, password) = (email.expect("owner email printed"), password.expect("password printed"));
        assert_eq!(email, "owner@example.com");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut page = None;
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{base}/login")).send().await {
                page = Some(r.text().await.unwrap());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = page.expect("the server answers /login");
        // Like a browser: send back whatever hidden CSRF field the form carries.
        let mut form = vec![("email", email.clone()), ("password", password), ("return_to", "/".into())];
        if let Some(token) = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()) {
            form.push(("csrf_token", token.to_string()));
        }
        let signed_in = client.post(format!("{base}/login")).form(&form).send().await.unwrap();
        assert_eq!(signed_in.status(), 303, "{:?}", signed_in.text().await);
        let session: serde_json::Value = client.get(format!("{base}/v1/session")).send().await.unwrap().json().await.unwrap();
        assert_eq!(session["email"], "owner@example.com", "{session}");
        assert_eq!(session["workspaces"][0]["slug"], "demo", "{session}");
        assert_eq!(session["workspaces"][0]["kind"], "owner", "{session}");
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(child.wait().unwrap().success());
    }
}
