//! The database schema's version, as this binary sees it: which of its migrations are applied
//! or pending, and which applied ones it does not know (a newer release's).
//!
//! Only `gatehouse migrate` and `gatehouse serve` change the schema ([`Store::migrate`]); every
//! other command asks [`Store::schema_status`] first, which only reads, and refuses to run on
//! a schema that is behind. A schema *ahead* of the binary is fine: migrations are written
//! expand-first (docs/DEPLOYMENT.md), so during a rolling upgrade the old release serves on
//! the new release's schema, and its migrator ignores the versions it does not know.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::migrate::Migrator;

use crate::domain::query::SearchDocument;

use super::{upgrades::UPGRADES, Backend, Store, StoreError};

/// Embedded migrations; the two folders carry the same version numbers (a test checks it).
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// This backend's migrations, tolerating applied versions the binary does not know.
fn migrator(backend: &Backend) -> Migrator {
    let embedded = match backend {
        Backend::Postgres(_) => &POSTGRES_MIGRATIONS,
        Backend::Sqlite(_) => &SQLITE_MIGRATIONS,
    };
    let mut migrator = Migrator {
        migrations: embedded.migrations.clone(),
        ..Migrator::DEFAULT
    };
    migrator.set_ignore_missing(true);
    migrator
}

/// One migration this binary knows but the database has not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingMigration {
    pub version: i64,
    pub description: String,
}

/// Where the database's schema stands relative to this binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaStatus {
    /// The newest applied migration (`None`: the database was never migrated).
    pub version: Option<i64>,
    /// The newest migration this binary carries.
    pub binary_version: i64,
    /// Migrations this binary carries that are not applied.
    pub pending: Vec<PendingMigration>,
    /// Upgrades after migrations (`storage/upgrades.rs`) not run yet.
    pub pending_upgrades: Vec<String>,
    /// Applied migrations this binary does not know (a newer release ran them).
    pub unknown: Vec<i64>,
    /// A migration that failed half-way (the database needs an operator).
    pub dirty: Option<i64>,
}

impl SchemaStatus {
    /// Whether this binary can work on the database as it is.
    pub fn is_current(&self) -> bool {
        self.version.is_some()
            && self.pending.is_empty()
            && self.pending_upgrades.is_empty()
            && self.dirty.is_none()
    }

    /// What an operator should read when the schema is not current.
    pub fn problem(&self) -> Option<String> {
        if let Some(version) = self.dirty {
            return Some(format!(
                "migration {version} failed half-way on this database; repair it (see the \
                 _sqlx_migrations table) before running Gatehouse"
            ));
        }
        if self.version.is_none() {
            return Some(
                "the database has no Gatehouse schema yet: run `gatehouse migrate` first".into(),
            );
        }
        if !self.pending.is_empty() || !self.pending_upgrades.is_empty() {
            let mut names: Vec<String> = self
                .pending
                .iter()
                .map(|m| format!("{:04} {}", m.version, m.description))
                .collect();
            names.extend(self.pending_upgrades.iter().map(|u| format!("upgrade {u}")));
            return Some(format!(
                "the database schema is behind this binary (pending: {}); nothing was changed: \
                 run `gatehouse migrate` first",
                names.join(", ")
            ));
        }
        None
    }
}

impl Store {
    /// Applies every pending migration of this backend (ignoring applied versions a newer
    /// release added), runs the upgrades SQL cannot do, then writes the built-in role catalog
    /// into `role_catalog` (SQL readers join on it).
    /// `search` computes the search copies of stored documents (their protocol's rule) for
    /// the upgrades; `service::migrate` passes SCIM's.
    pub async fn migrate(&self, search: SearchDocument) -> Result<(), StoreError> {
        let migrator = migrator(&self.backend);
        match &self.backend {
            Backend::Postgres(pool) => migrator.run(pool).await?,
            Backend::Sqlite(pool) => migrator.run(pool).await?,
        }
        self.run_upgrades(search).await?;
        self.sync_role_catalog().await
    }

    /// Reads where the schema stands, changing nothing (not even creating sqlx's table).
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let migrator = migrator(&self.backend);
        let known: Vec<(i64, String)> = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        let binary_version = known.iter().map(|(v, _)| *v).max().unwrap_or(0);
        let applied = self.applied_migrations().await?;
        let Some(applied) = applied else {
            return Ok(SchemaStatus {
                version: None,
                binary_version,
                pending: known
                    .into_iter()
                    .map(|(version, description)| PendingMigration {
                        version,
                        description,
                    })
                    .collect(),
                pending_upgrades: UPGRADES.iter().map(|u| u.to_string()).collect(),
                unknown: Vec::new(),
                dirty: None,
            });
        };
        let dirty = applied.iter().find(|(_, ok)| !ok).map(|(v, _)| *v);
        let applied_versions: BTreeSet<i64> = applied.iter().map(|(v, _)| *v).collect();
        let known_versions: BTreeSet<i64> = known.iter().map(|(v, _)| *v).collect();
        let done_upgrades = if applied_versions.is_empty() {
            Vec::new()
        } else {
            self.done_upgrades().await?
        };
        Ok(SchemaStatus {
            version: applied_versions.iter().next_back().copied(),
            binary_version,
            pending: known
                .into_iter()
                .filter(|(v, _)| !applied_versions.contains(v))
                .map(|(version, description)| PendingMigration {
                    version,
                    description,
                })
                .collect(),
            pending_upgrades: UPGRADES
                .iter()
                .filter(|u| !done_upgrades.iter().any(|d| d == *u))
                .map(|u| u.to_string())
                .collect(),
            unknown: applied_versions
                .difference(&known_versions)
                .copied()
                .collect(),
            dirty,
        })
    }

    /// The newest migration this binary carries.
    pub fn binary_schema_version(&self) -> i64 {
        migrator(&self.backend)
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// The newest applied migration, for `/readyz` (a cheap query that also proves the
    /// database answers).
    pub async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let row: (Option<i64>,) = super::with_pool!(self, pool => {
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(row.0)
    }

    /// `(version, success)` of every applied migration, or `None` when sqlx's bookkeeping
    /// table does not exist (a database never migrated).
    async fn applied_migrations(&self) -> Result<Option<Vec<(i64, bool)>>, StoreError> {
        let exists = match &self.backend {
            Backend::Postgres(pool) => {
                let (name,): (Option<String>,) =
                    sqlx::query_as("SELECT to_regclass('_sqlx_migrations')::text")
                        .fetch_one(pool)
                        .await?;
                name.is_some()
            }
            Backend::Sqlite(pool) => {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name = '_sqlx_migrations'",
                )
                .fetch_optional(pool)
                .await?;
                row.is_some()
            }
        };
        if !exists {
            return Ok(None);
        }
        let rows: Vec<(i64, bool)> = super::with_pool!(self, pool => {
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
                .fetch_all(pool)
                .await?
        });
        Ok(Some(rows))
    }

    /// Names recorded in `storage_upgrades` (empty when the table is not there yet).
    async fn done_upgrades(&self) -> Result<Vec<String>, StoreError> {
        let rows: Result<Vec<(String,)>, sqlx::Error> = super::with_pool!(self, pool => {
            sqlx::query_as("SELECT name FROM storage_upgrades")
                .fetch_all(pool)
                .await
        });
        match rows {
            Ok(rows) => Ok(rows.into_iter().map(|(n,)| n).collect()),
            // Migrations before 0009 have no `storage_upgrades` table: nothing is done yet.
            Err(sqlx::Error::Database(_)) => Ok(Vec::new()),
            Err(err) => Err(err.into()),
        }
    }
}
