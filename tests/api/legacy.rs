//! Legacy roles migrate to the new ones with equivalent access (the product document's table),
//! through `gatehouse legacy import` and `gatehouse check`.

use std::process::{Command, Output};

use crate::helpers::on_both_backends;

fn gatehouse(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .output()
        .expect("run gatehouse")
}

fn json_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

const LEGACY: &str = r#"{"email": "owner@example.com", "role": "workspace_owner"}
{"email": "reader@example.com", "role": "workspace_read_only"}
{"email": "collab@example.com", "role": "source_collaborator", "sources": ["ios-prod", "web-prod"]}
"#;

fn allowed(url: &str, slug: &str, user: &str, action: &str, resource: &str) -> bool {
    let out = gatehouse(
        url,
        &[
            "--json",
            "check",
            "--workspace",
            slug,
            "--user",
            user,
            "--action",
            action,
            "--resource",
            resource,
        ],
    );
    json_of(&out)["allowed"].as_bool().unwrap()
}

on_both_backends! {
    async fn legacy_roles_become_equivalent_new_roles_idempotently(app: TestApp) {
        let url = app.db.url.clone();
        app.create_workspace("acme").await;
        let file = std::env::temp_dir().join(format!("legacy-{}.jsonl", uuid::Uuid::new_v4()));
        std::fs::write(&file, LEGACY).unwrap();
        let file = file.to_str().unwrap();

        let dry = json_of(&gatehouse(&url, &["--json", "legacy", "import", "--workspace", "acme", "--file", file, "--dry-run"]));
        let steps: Vec<&str> = dry["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        assert!(steps.contains(&"grant reader@example.com protocols.read on all current and future instances"), "{steps:?}");
        assert!(steps.contains(&"grant collab@example.com source.admin on source ios-prod"), "{steps:?}");
        assert!(!allowed(&url, "acme", "reader@example.com", "workspace.sign_in", "workspace"),
            "a dry run changes nothing");

        let applied = json_of(&gatehouse(&url, &["--json", "legacy", "import", "--workspace", "acme", "--file", file]));
        assert_eq!(applied["steps"], dry["steps"]);
        let again = json_of(&gatehouse(&url, &["--json", "legacy", "import", "--workspace", "acme", "--file", file]));
        assert_eq!(again["steps"].as_array().unwrap().len(), 0, "importing twice changes nothing");

        // Workspace owner: no change.
        assert!(allowed(&url, "acme", "owner@example.com", "workspace.invite", "workspace"));
        // Workspace read-only: sources, warehouses and protocols read-only.
        for (action, resource) in [("source.read", "source:ios-prod"), ("destination.read", "destination:d"),
                                   ("warehouse.read", "warehouse:w"), ("tracking_plan.read", "tracking_plan:t")] {
            assert!(allowed(&url, "acme", "reader@example.com", action, resource), "{action}");
        }
        assert!(!allowed(&url, "acme", "reader@example.com", "source.update", "source:ios-prod"));
        assert!(!allowed(&url, "acme", "reader@example.com", "personas_space.read", "personas_space:p"));
        // Source collaborator: Source admin on exactly those sources, and no invites.
        assert!(allowed(&url, "acme", "collab@example.com", "source.update", "source:ios-prod"));
        assert!(allowed(&url, "acme", "collab@example.com", "source.delete", "source:web-prod"));
        assert!(!allowed(&url, "acme", "collab@example.com", "source.update", "source:android-prod"));
        assert!(!allowed(&url, "acme", "collab@example.com", "source.create", "source"));
        assert!(!allowed(&url, "acme", "collab@example.com", "workspace.invite", "workspace"));

        // The explanation names the legacy grant.
        let out = gatehouse(&url, &["check", "--workspace", "acme", "--user", "collab@example.com",
            "--action", "source.update", "--resource", "source:ios-prod"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("ALLOWED"), "{text}");
        assert!(text.contains("source.admin on source:ios-prod (direct grant)"), "{text}");
    }

    async fn read_only_gets_protocols_only_where_protocols_is_enabled(app: TestApp) {
        let url = app.db.url.clone();
        let created = gatehouse(&url, &["--json", "workspace", "create", "--slug", "lean", "--name", "Lean",
            "--products", "sources,warehouses"]);
        json_of(&created);
        let file = std::env::temp_dir().join(format!("legacy-{}.jsonl", uuid::Uuid::new_v4()));
        std::fs::write(&file, "{\"email\": \"reader@example.com\", \"role\": \"workspace_read_only\"}\n").unwrap();
        let applied = json_of(&gatehouse(&url, &["--json", "legacy", "import", "--workspace", "lean",
            "--file", file.to_str().unwrap()]));
        let steps = applied["steps"].to_string();
        assert!(steps.contains("source.read") && steps.contains("warehouse.read"), "{steps}");
        assert!(!steps.contains("protocols.read"), "{steps}");
    }
}
