use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

use crate::{BlobError, BlobKey};

/// A stream of bytes in or out of storage.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A byte range `[start, start + len)` of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub len: u64,
}

/// The storage backend contract. Implementations hold no registry logic.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes an object from a stream and returns its length. The object becomes visible
    /// atomically when the stream ends without error; on any error nothing is left under
    /// `key`, and an error of the input stream is reported as [`BlobError::Input`].
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError>;

    /// Reads an object, or a range of it.
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError>;

    /// The object's length, or `None` when it does not exist.
    async fn stat(&self, key: &BlobKey) -> Result<Option<u64>, BlobError>;

    /// Removes an object. Removing a missing object is not an error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Removes every part of an upload session.
    async fn delete_upload(&self, upload: &berth_types::UploadId) -> Result<(), BlobError>;

    /// Makes `dest` hold the concatenation of `parts`, atomically. The parts may be
    /// consumed (moved) by the call; the caller deletes whatever is left of them.
    async fn compose(&self, parts: &[BlobKey], dest: &BlobKey) -> Result<(), BlobError>;

    /// A short name for logs and health reports ("filesystem", "s3").
    fn kind(&self) -> &'static str;
}
