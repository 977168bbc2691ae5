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
