//! Persistence. PostgreSQL is the production store; SQLite the embedded default. Both sit
//! behind the one [`Store`] type: the backend switch lives only in this module (the
//! [`with_pool!`] and [`in_transaction!`] macros expand the same query code for each backend),
//! so nothing above storage ever asks which database it runs on.
//!
//! Queries are runtime-checked (`query_as` + `FromRow`), so building never needs a database.
//! SQL uses `$n` placeholders, which both drivers accept. Every multi-row change runs in one
//! transaction; SQLite write transactions begin `IMMEDIATE` so two writers queue instead of
//! deadlocking on a lock upgrade.

mod access;
mod activity;
pub(crate) mod audit;
pub mod bridge;
pub mod cache;
mod domains;
mod error;
mod group_commit;
mod invites;
pub(crate) mod member_emails;
pub mod purge;
mod saml_requests;
pub mod scim;
pub mod scim_filter;
mod sessions;
pub mod side_writes;
pub mod sso;
mod tokens;
mod transfer;
pub use tokens::TokenRejection;
mod schema;
mod upgrades;
mod user_versions;
mod workspaces;

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, SqlitePool,
};

pub use access::{AuditedChange, ChangeContext, ChangeEvent};
pub use error::StoreError;
pub use invites::{Invite, InviteGrant};
pub use schema::{PendingMigration, SchemaStatus};
pub use sessions::{PendingMembership, SessionMember};
pub use side_writes::SideWrite;

/// The connection pool of one backend.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Handle to the database; cheap to clone (it wraps a pool and shared caches).
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    pub(crate) caches: std::sync::Arc<Caches>,
    /// Change sets waiting for their workspace's writer (see [`group_commit`]).
    pub(crate) commit_queues: std::sync::Arc<group_commit::CommitQueues>,
}

/// Read-through caches of hot rows (see [`cache`]).
#[derive(Default)]
pub(crate) struct Caches {
    /// Token digest → stored token.
    pub(crate) tokens: cache::TtlCache<String, tokens::TokenRow>,
    /// Workspace slug → workspace.
    pub(crate) workspaces: cache::TtlCache<String, crate::domain::Workspace>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish()
    }
}

/// Runs `$body` with `$pool` bound to the backend's pool; the body is compiled once per
/// backend, so it must only use SQL both accept.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::storage::Backend::Postgres($pool) => $body,
            $crate::storage::Backend::Sqlite($pool) => $body,
        }
    };
}

/// Runs `$body` inside one transaction bound to `$tx` and commits it; an early return (`?`)
/// drops the transaction, which rolls it back.
macro_rules! in_transaction {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.backend {
            $crate::storage::Backend::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::storage::Backend::Sqlite(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

pub(crate) use {in_transaction, with_pool};

impl Store {
    /// Connects to `sqlite://FILE` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open(url, max_connections, true).await
    }

    /// Connects like [`Store::connect`] but never creates a SQLite file: for commands that
    /// must leave a missing database missing.
    pub async fn connect_existing(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::open(url, max_connections, false).await
    }

    async fn open(url: &str, max_connections: u32, create: bool) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(create)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Backend::Sqlite(pool)
        } else {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Backend::Postgres(pool)
        };
        Ok(Self {
            backend,
            caches: Default::default(),
            commit_queues: Default::default(),
        })
    }

    /// `postgres` or `sqlite`, for log lines and the CLI.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    /// Answers whether the database takes queries (used by `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection (graceful shutdown, tests).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}
