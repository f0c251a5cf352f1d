use berth_core::CoreError;
use berth_meta::MetaError;
use thiserror::Error;

/// Failure of a job-service operation or of a job.
#[derive(Debug, Error)]
pub enum JobError {
    /// Bad parameters, schedule or cron (400).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A run of the same kind is still going (409).
    #[error("{0}")]
    Conflict(String),
    /// An action the resource does not take (422).
    #[error("{0}")]
    Unsupported(String),
    /// The job was asked to stop and did.
    #[error("stopped")]
    Stopped,
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Meta(#[from] MetaError),
}
