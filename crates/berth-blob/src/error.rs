use thiserror::Error;

/// Failure of a storage backend.
#[derive(Debug, Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("requested range is outside the object")]
    RangeNotSatisfiable,
    /// The body stream the caller handed in failed (client went away, digest mismatch...).
    #[error("input stream failed: {0}")]
    Input(std::io::Error),
    /// The content was read whole but its check refused it (see [`crate::Check`]).
    #[error("content refused: {0}")]
    Rejected(String),
    #[error("storage io: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage backend: {0}")]
    Backend(String),
}

impl From<opendal::Error> for BlobError {
    fn from(e: opendal::Error) -> Self {
        match e.kind() {
            opendal::ErrorKind::NotFound => BlobError::NotFound,
            opendal::ErrorKind::RangeNotSatisfied => BlobError::RangeNotSatisfiable,
            _ => BlobError::Backend(e.to_string()),
        }
    }
}
