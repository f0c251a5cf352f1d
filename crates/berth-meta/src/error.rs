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
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}
