use std::pin::Pin;

use async_trait::async_trait;
use berth_types::{UploadId, UploadPart};
use bytes::Bytes;
use futures::Stream;

use crate::{BlobError, BlobKey};

/// A stream of bytes in or out of storage.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Decides, once the whole body has been read (its length is the argument), whether it may
/// become the object. An `Err` carries the reason, reported as [`BlobError::Rejected`].
pub type Check = Box<dyn FnOnce(u64) -> Result<(), String> + Send>;

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
    /// atomically when the stream ends without error and `check` accepts it; otherwise
    /// nothing is left under `key` (an existing object there stays as it was). An error of
    /// the input stream is reported as [`BlobError::Input`].
    async fn put_checked(
        &self,
        key: &BlobKey,
        body: ByteStream,
        check: Check,
    ) -> Result<u64, BlobError>;

    /// [`BlobStore::put_checked`] with nothing to check.
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError> {
        self.put_checked(key, body, Box::new(|_| Ok(()))).await
    }

    /// Reads an object, or a range of it.
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError>;

    /// The object's length, or `None` when it does not exist.
    async fn stat(&self, key: &BlobKey) -> Result<Option<u64>, BlobError>;

    /// Removes an object. Removing a missing object is not an error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Opens an upload session's content. Where the backend needs it, the session is held
    /// exclusively (against other requests and other processes) until the returned handle
    /// is dropped: callers decide where to write, and record what they wrote, while they
    /// hold it.
    async fn open_upload(&self, upload: &UploadId) -> Result<Box<dyn UploadSession>, BlobError>;

    /// Removes everything stored for an upload session.
    async fn delete_upload(&self, upload: &UploadId) -> Result<(), BlobError>;

    /// A short name for logs and health reports ("filesystem", "s3").
    fn kind(&self) -> &'static str;

    /// The size of the volume that holds the blobs and its free space, where the backend
    /// can tell (object storage cannot).
    async fn capacity(&self) -> Result<Option<Capacity>, BlobError> {
        Ok(None)
    }
}

/// A storage volume's size and free space, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub total: u64,
    pub free: u64,
}

/// An upload session's content, opened by [`BlobStore::open_upload`].
#[async_trait]
pub trait UploadSession: Send {
    /// Stores `body` as the session's content from `offset` and returns the part to record.
    /// A part that is not recorded is not part of the session; [`UploadSession::discard`]
    /// frees what it took.
    async fn write(&mut self, offset: u64, body: ByteStream) -> Result<UploadPart, BlobError>;

    /// Frees a part that was written but will not be recorded.
    async fn discard(&mut self, part: &UploadPart) -> Result<(), BlobError>;

    /// Reads the content of `parts` (as recorded by writers of the session), in order.
    async fn read(&mut self, parts: &[UploadPart]) -> Result<ByteStream, BlobError>;

    /// Makes `dest` hold the concatenation of `parts` (at least one), atomically. The
    /// parts may be consumed; the caller then removes the session's leftovers with
    /// [`BlobStore::delete_upload`]. [`BlobError::NotFound`] when a part is gone.
    async fn compose(&mut self, parts: &[UploadPart], dest: &BlobKey) -> Result<(), BlobError>;
}
