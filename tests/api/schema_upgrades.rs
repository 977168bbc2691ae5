//! Rolling upgrades: only `migrate` and `serve` change the schema; other commands refuse a
//! schema that is behind and change nothing; a binary serves on a schema newer than itself.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::{
    cli::{gatehouse, one_json_object},
    helpers::{on_both_backends, Backend, TestDatabase},
};

fn backend_of(url: &str) -> Backend {
    if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// The schema as data: every table and column, and sqlx's record of applied migrations.
async fn fingerprint(url: &str) -> Vec<String> {
    match backend_of(url) {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await.unwrap();
            let mut rows: Vec<String> = sqlx::query_as::<_, (String, Option<String>)>(
                "SELECT name, sql FROM sqlite_master ORDER BY name",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|(n, sql)| format!("{n}: {}", sql.unwrap_or_default()))
            .collect();
            let applied: Vec<(i64,)> =
                sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            rows.push(format!("applied {applied:?}"));
            rows
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await.unwrap();
            let mut rows: Vec<String> = sqlx::query_as::<_, (String, String)>(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' ORDER BY 1, 2",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|(t, c)| format!("{t}.{c}"))
            .collect();
            let applied: Vec<(i64,)> =
                sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            rows.push(format!("applied {applied:?}"));
            rows
        }
    }
}

/// Applies this backend's migrations up to `last` (as an older release would have), by
/// running a copy of the first ones.
async fn migrate_up_to(url: &str, last: i64) {
    let folder = match backend_of(url) {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let older = std::env::temp_dir().join(format!("gh-older-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&older).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version <= last {
            std::fs::copy(&path, older.join(&name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(older.as_path()).await.unwrap();
    match backend_of(url) {
        Backend::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let mut conn = SqliteConnection::connect_with(&options.create_if_missing(true))
                .await
                .unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
    }
    std::fs::remove_dir_all(older).unwrap();
}

/// What a newer release would do: an expand-only migration (a nullable column) recorded in
/// sqlx's table under a version this binary does not carry.
async fn apply_unknown_migration(url: &str, version: i64) {
    let ddl = "ALTER TABLE workspaces ADD COLUMN future_note TEXT";
    let record = "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                  execution_time) VALUES ($1, $2, $3, $4, $5)";
    let checksum = vec![0u8; 48];
    match backend_of(url) {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await.unwrap();
            sqlx::query(ddl).execute(&mut conn).await.unwrap();
            sqlx::query(record)
                .bind(version)
                .bind("future release")
                .bind(true)
                .bind(checksum)
                .bind(1_i64)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(url).await.unwrap();
            sqlx::query(ddl).execute(&mut conn).await.unwrap();
            sqlx::query(record)
                .bind(version)
                .bind("future release")
                .bind(true)
                .bind(checksum)
                .bind(1_i64)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

/// Starts `gatehouse --json serve` with `args`; answers the child and its start-up JSON.
fn start_serving(url: &str, args: &[&str]) -> (std::process::Child, serde_json::Value) {
    let mut full = vec!["--json", "serve"];
    full.extend_from_slice(args);
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(&full)
        .env("GATEHOUSE_DATABASE_URL", url)
        .env("GATEHOUSE_BIND", "127.0.0.1:0")
        .env("GATEHOUSE_DRAIN_SECONDS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
    (child, started)
}

fn stop(mut child: std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

on_both_backends! {
    async fn a_binary_serves_on_a_schema_newer_than_itself(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("acme").await;
        app.store.close().await;
        apply_unknown_migration(&url, 9_000).await;
        let before = fingerprint(&url).await;

        // Commands that do not migrate run on it.
        let token = gatehouse(&url, &[], &["--json", "token", "create", "--workspace", "acme", "--kind", "service"]);
        assert!(token.status.success(), "{token:?}");
        let token = one_json_object(&token)["token"].as_str().unwrap().to_string();
        // `migrate` leaves the unknown version alone and says so.
        let migrated = gatehouse(&url, &[], &["--json", "migrate"]);
        assert!(migrated.status.success(), "{migrated:?}");
        let migrated = one_json_object(&migrated);
        assert_eq!(migrated["schema_version"], 9_000);
        assert_eq!(migrated["unknown_migrations"], serde_json::json!([9_000]));

        // `serve` migrates (nothing to do) and serves, reads and writes.
        let (child, started) = start_serving(&url, &[]);
        assert_eq!(started["schema_version"], 9_000, "{started}");
        let base = format!("http://{}", started["listening"].as_str().unwrap());
        let ready: serde_json::Value = app.client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["status"], "ready");
        assert_eq!(ready["schema_version"], 9_000);
        let binary = ready["binary_schema_version"].as_i64().unwrap();
        assert!(binary < 9_000, "{ready}");
        let created = app.client.post(format!("{base}/v1/workspaces/acme/members")).bearer_auth(&token)
            .json(&serde_json::json!({"email": "kim@example.com"})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let members: serde_json::Value = app.client.get(format!("{base}/v1/workspaces/acme/members"))
            .bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(members["members"][0]["email"], "kim@example.com");
        stop(child);

        // With --no-migrate too.
        let (child, started) = start_serving(&url, &["--no-migrate"]);
        assert_eq!(started["schema_version"], 9_000, "{started}");
        stop(child);
        assert_eq!(fingerprint(&url).await, before, "nothing to migrate: the schema is as the newer release left it");
    }

    async fn a_command_on_a_schema_behind_the_binary_changes_nothing_and_says_so(app: TestApp) {
        let older = TestDatabase::create(backend_of(&app.db.url)).await.unwrap();
        migrate_up_to(&older.url, 7).await;
        let before = fingerprint(&older.url).await;
        let out = gatehouse(&older.url, &[], &["token", "list"]);
        assert_eq!(out.status.code(), Some(5), "unavailable: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("behind this binary"), "{stderr}");
        assert!(stderr.contains("0009"), "names the pending migration: {stderr}");
        assert!(stderr.contains("gatehouse migrate"), "{stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        let json = one_json_object(&gatehouse(&older.url, &[], &["--json", "token", "list"]));
        assert_eq!(json["error"]["class"], "unavailable");
        // serve --no-migrate refuses the same way; nothing changed.
        let refused = gatehouse(&older.url, &[("GATEHOUSE_BIND", "127.0.0.1:0")], &["serve", "--no-migrate"]);
        assert_eq!(refused.status.code(), Some(5), "{refused:?}");
        assert_eq!(fingerprint(&older.url).await, before);

        // `gatehouse migrate` brings it up to date; then the command works.
        let migrated = gatehouse(&older.url, &[], &["migrate"]);
        assert!(migrated.status.success(), "{migrated:?}");
        assert_ne!(fingerprint(&older.url).await, before);
        let listed = gatehouse(&older.url, &[], &["--json", "token", "list"]);
        assert!(listed.status.success(), "{listed:?}");
        assert_eq!(one_json_object(&listed)["tokens"], serde_json::json!([]));
    }

    async fn readyz_reports_the_schema_version(app: TestApp) {
        let ready: serde_json::Value = app.get("/readyz", None).await.json().await.unwrap();
        assert_eq!(ready["status"], "ready");
        assert!(ready["schema_version"].as_i64().unwrap() >= 9, "{ready}");
        assert_eq!(ready["schema_version"], ready["binary_schema_version"], "{ready}");
    }
}
