//! Blob storage: where the bytes of layers and configs live.
//!
//! Storage is dumb on purpose. It knows keys and bytes, not digests checks, upload sessions
//! or repositories; those live in `berth-core`. Every backend guarantees one thing that the
//! rest of berth relies on: an object appears under its key whole or not at all, so a
//! killed process never leaves a partly written object where a reader could find it.
//!
//! Layout (the same on every backend, relative to its root):
//!
//! ```text
//! blobs/<algorithm>/<first two hex chars>/<hex>   verified content, immutable
//! uploads/<upload id>[/<part>]                    an upload session's content (filesystem:
//!                                                 one file; S3: one object per part)
//! ```

mod error;
mod fs;
mod key;
mod s3;
mod store;

pub use error::BlobError;
pub use fs::FsStore;
pub use key::BlobKey;
pub use s3::{S3Config, S3Store};
pub use store::{BlobStore, ByteRange, ByteStream, Capacity, Check, UploadSession};
