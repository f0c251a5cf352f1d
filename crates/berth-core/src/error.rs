use berth_blob::BlobError;
use berth_meta::MetaError;
use berth_types::Digest;
use thiserror::Error;

/// Why a registry operation failed, in the registry's own terms. `berth-api-oci` maps each
/// variant to a status and an error code, once.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("blob unknown to registry")]
    BlobUnknown,
    #[error("blob upload unknown to registry")]
    BlobUploadUnknown,
    #[error("blob upload invalid: {0}")]
    BlobUploadInvalid(String),
    /// A chunk did not start where the session is; `size` is the session's current size.
    #[error("chunk out of order: the upload is at {size} bytes")]
    RangeInvalid { size: u64 },
    #[error("requested range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    #[error("provided digest did not match uploaded content: {0}")]
    DigestInvalid(String),
    #[error("provided length did not match content length: {0}")]
    SizeInvalid(String),
    #[error("manifest invalid: {0}")]
    ManifestInvalid(String),
    #[error("manifest unknown to registry")]
    ManifestUnknown,
    #[error("manifest references a blob unknown to the repository: {0}")]
    ManifestBlobUnknown(Digest),
    #[error("manifest is larger than the limit of {limit} bytes")]
    ManifestTooLarge { limit: usize },
    #[error("repository name not known to registry")]
    NameUnknown,
    #[error("{0}")]
    Unsupported(String),
    /// Another artifact refers to this one (an index to its child).
    #[error("{0}")]
    InUse(String),
    /// Refused for a reason the caller should read (Harbor's 403 with a message).
    #[error("{0}")]
    Refused(String),
    /// Something berth stored or ran failed in a way no request can fix (a 500).
    #[error("internal: {0}")]
    Internal(String),
    #[error("access denied")]
    Denied,
    /// A push would take the project past its storage quota (Harbor's message).
    #[error("{0}")]
    QuotaExceeded(String),
    /// The caller did not authenticate and the operation needs it.
    #[error("unauthorized")]
    Unauthenticated,
    /// The caller is authenticated but may not do this.
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The resource is not in a state that allows the operation (a project that is not empty).
    #[error("{0}")]
    Precondition(String),
    /// A request value breaks a rule (a name, a password policy, a metadata value).
    #[error("{0}")]
    Invalid(String),
    /// The client's request body broke off.
    #[error("request body incomplete: {0}")]
    BodyIncomplete(std::io::Error),
    #[error("storage: {0}")]
    Storage(BlobError),
    #[error("metadata: {0}")]
    Meta(MetaError),
}

impl From<BlobError> for CoreError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Input(io) => CoreError::BodyIncomplete(io),
            BlobError::Rejected(reason) => CoreError::DigestInvalid(reason),
            other => CoreError::Storage(other),
        }
    }
}

impl From<MetaError> for CoreError {
    fn from(e: MetaError) -> Self {
        match e {
            MetaError::MissingBlob(d) => CoreError::ManifestBlobUnknown(d),
            MetaError::Conflict(what) => CoreError::Conflict(what.to_owned()),
            MetaError::QuotaExceeded { adding, used, hard } => {
                CoreError::QuotaExceeded(crate::quotas::exceeded_message(adding, used, hard))
            }
            other => CoreError::Meta(other),
        }
    }
}
