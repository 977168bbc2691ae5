//! The two migration folders must carry the same version numbers.

use std::{collections::BTreeSet, path::Path};

/// The version numbers (the digits before the first `_`) of the `.sql` files in `dir`.
fn migration_versions(dir: &Path) -> BTreeSet<u64> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let version = name.strip_suffix(".sql")?.split('_').next()?;
            Some(
                version
                    .parse()
                    .unwrap_or_else(|_| panic!("bad migration name {name}")),
            )
        })
        .collect()
}

/// Describes how two folders' versions differ, or `None` when they agree.
fn drift(postgres: &Path, sqlite: &Path) -> Option<String> {
    let pg = migration_versions(postgres);
    let lite = migration_versions(sqlite);
    if pg == lite {
        return None;
    }
    Some(format!(
        "only in postgres: {:?}; only in sqlite: {:?}",
        pg.difference(&lite).collect::<Vec<_>>(),
        lite.difference(&pg).collect::<Vec<_>>()
    ))
}

#[test]
fn postgres_and_sqlite_migrations_carry_the_same_versions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let (pg, lite) = (root.join("postgres"), root.join("sqlite"));
    assert!(!migration_versions(&pg).is_empty());
    if let Some(problem) = drift(&pg, &lite) {
        panic!("migration folders drifted apart: {problem}");
    }
}

#[test]
fn the_parity_check_notices_a_version_missing_from_one_folder() {
    let root = std::env::temp_dir().join(format!("gh-migrations-{}", uuid::Uuid::new_v4()));
    let (pg, lite) = (root.join("postgres"), root.join("sqlite"));
    for dir in [&pg, &lite] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("0001_foundation.sql"), "").unwrap();
    }
    assert_eq!(drift(&pg, &lite), None);
    std::fs::write(pg.join("0002_access.sql"), "").unwrap();
    let problem = drift(&pg, &lite).expect("drift must be noticed");
    assert!(problem.contains("only in postgres: [2]"), "{problem}");
    std::fs::remove_dir_all(root).unwrap();
}

/// Before domains needed proof, a workspace listed its domains itself. Migration 0007 keeps a
/// domain verified only where exactly one workspace listed it, gives memberships their own
/// email, and keeps every row (memberships, group links) where it was.
mod upgrade_to_verified_domains {
    use chrono::Utc;
    use sqlx::{migrate::Migrator, types::Json, Connection};
    use uuid::Uuid;

    use crate::helpers::{Backend, TestDatabase};

    async fn run(backend: Backend) {
        let Some(db) = TestDatabase::create(backend).await else {
            return;
        };
        let folder = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder);
        let mut before = Migrator::new(dir.as_path()).await.unwrap();
        before.migrations = before
            .migrations
            .iter()
            .filter(|m| m.version < 7)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let (a, b, acct, member, group) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let (outsider, outsider_member, foreign_member) =
            (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let now = Utc::now();
        macro_rules! seed {
            ($conn:expr) => {{
                before.run(&mut $conn).await.unwrap();
                for (id, slug, domains) in [(a, "a", vec!["only-a.test", "shared.test"]), (b, "b", vec!["shared.test"])] {
                    sqlx::query("INSERT INTO workspaces (id, slug, name, products, domains, settings, revision, created_at) \
                                 VALUES ($1, $2, $2, $3, $4, $5, 0, $6)")
                        .bind(id).bind(slug).bind(Json(vec!["sources"])).bind(Json(domains))
                        .bind(Json(serde_json::json!({}))).bind(now)
                        .execute(&mut $conn).await.unwrap();
                }
                sqlx::query("INSERT INTO accounts (id, email, email_key, created_at) VALUES ($1, 'Pat@Only-A.test', 'pat@only-a.test', $2)")
                    .bind(acct).bind(now).execute(&mut $conn).await.unwrap();
                sqlx::query("INSERT INTO memberships (id, workspace_id, account_id, kind, active, provenance, created_at, updated_at) \
                             VALUES ($1, $2, $3, 'owner', true, 'api', $4, $4)")
                    .bind(member).bind(a).bind(acct).bind(now).execute(&mut $conn).await.unwrap();
                sqlx::query("INSERT INTO groups (id, workspace_id, display_name, display_name_key, created_at, updated_at) \
                             VALUES ($1, $2, 'Team', 'team', $3, $3)")
                    .bind(group).bind(a).bind(now).execute(&mut $conn).await.unwrap();
                sqlx::query("INSERT INTO group_members (group_id, membership_id, workspace_id, source, added_at) \
                             VALUES ($1, $2, $3, 'manual', $4)")
                    .bind(group).bind(member).bind(a).bind(now).execute(&mut $conn).await.unwrap();
                // b's SCIM linked someone of a domain nobody verifies now: that link waits again.
                sqlx::query("INSERT INTO accounts (id, email, email_key, created_at) VALUES ($1, 'sam@shared.test', 'sam@shared.test', $2)")
                    .bind(outsider).bind(now).execute(&mut $conn).await.unwrap();
                sqlx::query("INSERT INTO memberships (id, workspace_id, account_id, kind, active, provenance, created_at, updated_at) \
                             VALUES ($1, $2, $3, 'member', true, 'scim', $4, $4)")
                    .bind(outsider_member).bind(b).bind(outsider).bind(now).execute(&mut $conn).await.unwrap();
                // An earlier import's bug: a's group listing a membership of b.
                sqlx::query("INSERT INTO memberships (id, workspace_id, account_id, kind, active, provenance, created_at, updated_at) \
                             VALUES ($1, $2, $3, 'member', true, 'cli', $4, $4)")
                    .bind(foreign_member).bind(b).bind(acct).bind(now).execute(&mut $conn).await.unwrap();
                sqlx::query("INSERT INTO group_members (group_id, membership_id, workspace_id, source, added_at) \
                             VALUES ($1, $2, $3, 'manual', $4)")
                    .bind(group).bind(foreign_member).bind(b).bind(now).execute(&mut $conn).await.unwrap();
            }};
        }
        match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", db.url))
                    .await
                    .unwrap();
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                seed!(conn);
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                seed!(conn);
            }
        }
        let store = gatehouse::storage::Store::connect(&db.url, 2)
            .await
            .unwrap();
        gatehouse::service::migrate(&store).await.unwrap();
        let workspace_a = store.workspace_by_slug("a").await.unwrap().unwrap();
        let workspace_b = store.workspace_by_slug("b").await.unwrap().unwrap();
        assert_eq!(
            workspace_a.domains,
            ["only-a.test"],
            "held by one workspace: verified"
        );
        assert!(workspace_b.domains.is_empty(), "held by two: a claim again");
        let claims = store.domain_claims(b).await.unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].state(), "pending");
        assert_eq!(
            store.membership_account(a, member).await.unwrap(),
            Some(acct)
        );
        let snapshot = store.load_snapshot(a).await.unwrap();
        assert_eq!(snapshot.members[0].email, "Pat@Only-A.test");
        assert!(!snapshot.members[0].awaiting_consent);
        assert_eq!(snapshot.group_members.len(), 1);
        assert_eq!(
            store.membership_account(b, outsider_member).await.unwrap(),
            None,
            "the link waits again"
        );
        assert_eq!(
            store.membership_account(b, foreign_member).await.unwrap(),
            Some(acct),
            "the operator's link stays"
        );
        let b_snapshot = store.load_snapshot(b).await.unwrap();
        assert!(
            b_snapshot.group_members.is_empty(),
            "the cross-workspace row is gone"
        );
        store.close().await;
    }

    #[tokio::test]
    async fn sqlite() {
        run(Backend::Sqlite).await
    }

    #[tokio::test]
    async fn postgres() {
        run(Backend::Postgres).await
    }
}
