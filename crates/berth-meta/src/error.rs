use berth_types::Digest;
use thiserror::Error;

/// Failure of a metadata operation.
#[derive(Debug, Error)]
pub enum MetaError {
    /// A manifest names a blob that the repository does not have.
    #[error("blob {0} is not in the repository")]
    MissingBlob(Digest),
    /// A stored value did not parse back (a digest written by an older version, say).
    #[error("corrupt metadata: {0}")]
    Corrupt(String),
    /// The change would take a project past its storage quota (sizes in bytes).
    #[error("quota exceeded")]
    QuotaExceeded { adding: i64, used: i64, hard: i64 },
    /// A unique name is taken.
    #[error("{0}")]
    Conflict(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl MetaError {
    /// A unique-constraint violation as [`MetaError::Conflict`] with `what`, anything else
    /// as a database error.
    pub(crate) fn conflict_or(e: sqlx::Error, what: &'static str) -> MetaError {
        match e.as_database_error() {
            Some(d) if d.is_unique_violation() => MetaError::Conflict(what),
            _ => MetaError::Db(e),
        }
    }
}
