//! Exit codes by class of failure, so a script can tell "not found" from "database down"
//! without reading messages. The codes are a public contract (listed in the README).

use std::process::ExitCode;

use crate::{
    config::ConfigError,
    service::{CacheError, ServiceError},
    storage::StoreError,
};

/// Why a command failed, as its exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 1: anything not in another class (a bug, an unexpected database error).
    Failure,
    /// 2: bad flags or arguments, a bad setting, input that is not valid.
    Usage,
    /// 3: the workspace, member, grant, token… named does not exist.
    NotFound,
    /// 4: the change contradicts the current state (already exists, last owner, revoked).
    Conflict,
    /// 5: the database cannot be used now (unreachable, or its schema is behind this binary).
    Unavailable,
}

impl ExitClass {
    pub fn code(self) -> u8 {
        match self {
            Self::Failure => 1,
            Self::Usage => 2,
            Self::NotFound => 3,
            Self::Conflict => 4,
            Self::Unavailable => 5,
        }
    }

    /// The stable name in `--json` error objects (`error.class`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::Usage => "usage",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
        }
    }
}

impl From<ExitClass> for ExitCode {
    fn from(class: ExitClass) -> Self {
        ExitCode::from(class.code())
    }
}

/// A failure the CLI itself detects, with its class.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
}

/// The class of the first error in the chain that has one.
pub fn classify(err: &anyhow::Error) -> ExitClass {
    for cause in err.chain() {
        if let Some(class) = class_of(cause) {
            return class;
        }
    }
    ExitClass::Failure
}

fn class_of(cause: &(dyn std::error::Error + 'static)) -> Option<ExitClass> {
    if let Some(err) = cause.downcast_ref::<CliError>() {
        return Some(match err {
            CliError::Usage(_) => ExitClass::Usage,
            CliError::NotFound(_) => ExitClass::NotFound,
            CliError::Conflict(_) => ExitClass::Conflict,
            CliError::Unavailable(_) => ExitClass::Unavailable,
        });
    }
    if cause.downcast_ref::<ConfigError>().is_some()
        || cause
            .downcast_ref::<crate::access::InvalidValue>()
            .is_some()
        || cause.downcast_ref::<crate::access::GrantError>().is_some()
    {
        // A value the access model refuses at its edge (an email, a role key, a type).
        return Some(ExitClass::Usage);
    }
    if let Some(err) = cause.downcast_ref::<ServiceError>() {
        return Some(match err {
            ServiceError::NotFound(_) => ExitClass::NotFound,
            ServiceError::Invalid(_) | ServiceError::Grant(_) => ExitClass::Usage,
            ServiceError::Conflict(_) | ServiceError::Forbidden(_) => ExitClass::Conflict,
            ServiceError::Cache(CacheError::RevisionAhead { .. }) => ExitClass::Usage,
            ServiceError::Cache(CacheError::Store(e)) | ServiceError::Store(e) => store_class(e),
        });
    }
    if let Some(err) = cause.downcast_ref::<StoreError>() {
        return Some(store_class(err));
    }
    if cause
        .downcast_ref::<crate::access::legacy::LegacyError>()
        .is_some()
    {
        return Some(ExitClass::Usage);
    }
    if let Some(err) = cause.downcast_ref::<sqlx::Error>() {
        return Some(sqlx_class(err));
    }
    None
}

fn store_class(err: &StoreError) -> ExitClass {
    match err {
        StoreError::NotFound(_) => ExitClass::NotFound,
        StoreError::Conflict(_) | StoreError::Duplicate(_) | StoreError::PreconditionFailed(_) => {
            ExitClass::Conflict
        }
        StoreError::Invalid(_) | StoreError::InvalidFilter(_) => ExitClass::Usage,
        StoreError::Database(e) => sqlx_class(e),
        StoreError::Migration(_) => ExitClass::Failure,
    }
}

/// Connection trouble is "unavailable" (try again later); anything else a failure.
fn sqlx_class(err: &sqlx::Error) -> ExitClass {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ExitClass::Unavailable,
        // SQLite's "unable to open database file" (a missing file, a missing directory).
        sqlx::Error::Database(db) if db.code().as_deref() == Some("14") => ExitClass::Unavailable,
        _ => ExitClass::Failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_has_its_own_code() {
        let classes = [
            ExitClass::Failure,
            ExitClass::Usage,
            ExitClass::NotFound,
            ExitClass::Conflict,
            ExitClass::Unavailable,
        ];
        let codes: std::collections::BTreeSet<u8> = classes.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), classes.len());
        assert!(!codes.contains(&0));
    }

    #[test]
    fn errors_are_classified_through_their_context() {
        let err = anyhow::Error::from(StoreError::NotFound("workspace nope".into()))
            .context("cannot issue the token");
        assert_eq!(classify(&err), ExitClass::NotFound);
        let err = anyhow::Error::from(ServiceError::Conflict("already a member".into()));
        assert_eq!(classify(&err), ExitClass::Conflict);
        let err = anyhow::Error::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(classify(&err), ExitClass::Unavailable);
        let err = anyhow::Error::from(CliError::Usage("--resource is TYPE:ID".into()));
        assert_eq!(classify(&err), ExitClass::Usage);
        assert_eq!(classify(&anyhow::anyhow!("surprise")), ExitClass::Failure);
    }
}
