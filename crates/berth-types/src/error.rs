use thiserror::Error;

/// Why a value from the outside was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("invalid repository name: {0}")]
    Name(String),
    #[error("invalid tag: {0}")]
    Tag(String),
    #[error("invalid digest: {0}")]
    Digest(String),
    #[error("unsupported digest algorithm: {0}")]
    Algorithm(String),
    #[error("invalid upload id")]
    UploadId,
    #[error("invalid project name: {0}")]
    ProjectName(String),
    #[error("invalid user name")]
    Username,
    #[error("{}", crate::account::PASSWORD_POLICY)]
    Password,
    #[error("invalid manifest: {0}")]
    Manifest(String),
}
