//! What can go wrong in storage, in terms the layers above can act on.

/// A storage failure. `NotFound`, `Conflict` and `Invalid` are the caller's to report;
/// `Database` is an operational fault (logged with its cause, never shown to clients).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A value that a unique index of the database holds is already taken (a userName, a
    /// group name, a member's email). Decided by the index, so racing writers all see it.
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    Invalid(String),
    /// A SCIM filter or sort that cannot be run (RFC 7644 `invalidFilter`).
    #[error("{0}")]
    InvalidFilter(String),
    /// An `If-Match` version did not match the stored one.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict(message)`, anything else unchanged.
    pub(crate) fn on_unique_violation(err: sqlx::Error, message: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(message.into()),
            _ => Self::Database(err),
        }
    }

    /// Maps a reference that points outside the workspace (a composite foreign key, or the
    /// trigger that keeps grant subjects in their workspace) to `Conflict(message)`.
    pub(crate) fn on_reference_violation(err: sqlx::Error, message: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db)
                if db.is_foreign_key_violation()
                    || db.message().contains("not in the grant's workspace") =>
            {
                Self::Conflict(message.into())
            }
            _ => Self::Database(err),
        }
    }

    /// Maps a unique-constraint violation to `Duplicate(message)`, anything else unchanged:
    /// for the unique indexes behind SCIM's `uniqueness` (RFC 7644 §3.12), so that however a
    /// race between creators is decided, every loser is told the same thing.
    pub(crate) fn duplicate_if_unique(err: sqlx::Error, message: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Duplicate(message.into())
            }
            _ => Self::Database(err),
        }
    }
}
