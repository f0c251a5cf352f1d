//! Filesystem backend: objects are files under a root directory.
//!
//! Writes go to `tmp/<random>` first and are renamed into place when complete (and
//! checked), so an object path only ever holds a whole object. With `fsync` on, blob
//! content is flushed to disk before it is renamed to its blob key, and the name before the
//! write returns, so it survives a power loss too (a killed process never loses it either
//! way). Content is written around the page cache where the file system allows it
//! ([`direct`]). Upload sessions are described in [`session`].

mod direct;
mod io;
mod session;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use berth_types::{Algorithm, UploadId};
use std::io::{Seek, SeekFrom};

use crate::{BlobError, BlobKey, BlobStore, ByteRange, ByteStream, Check, UploadSession};
use io::{blocking, commit, create_durable_dirs, not_found_as_none, read_ahead, write_stream};
use session::{FsUploadSession, try_lock_data_file};

/// Blob storage in a local directory.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
    fsync: bool,
}

impl FsStore {
    /// Opens (and creates) a store rooted at `root`. Every blob directory
    /// (`blobs/<algorithm>/<xx>`) is made here, once, so that storing a blob is one rename.
    pub fn open(root: impl Into<PathBuf>, fsync: bool) -> Result<FsStore, BlobError> {
        let root = root.into();
        let mut dirs = vec![root.clone(), root.join("tmp"), root.join("uploads")];
        for algorithm in Algorithm::ALL {
            let base = root.join("blobs").join(algorithm.as_str());
            dirs.push(base.clone());
            dirs.extend((0..=255u8).map(|b| base.join(format!("{b:02x}"))));
        }
        create_durable_dirs(&dirs, fsync)?;
        Ok(FsStore { root, fsync })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.path())
    }

    /// Whether writes under `key` are flushed to disk (blobs, when fsync is on).
    fn durable(&self, key: &BlobKey) -> bool {
        self.fsync && matches!(key, BlobKey::Blob(_))
    }

    fn temp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    fn upload_path(&self, upload: &UploadId) -> PathBuf {
        self.root.join("uploads").join(upload.as_str())
    }
}

#[async_trait]
impl BlobStore for FsStore {
    async fn put_checked(
        &self,
        key: &BlobKey,
        body: ByteStream,
        check: Check,
    ) -> Result<u64, BlobError> {
        let tmp = self.temp_path();
        let dest = self.path(key);
        let durable = self.durable(key);
        let create = {
            let tmp = tmp.clone();
            move || std::fs::File::create(tmp)
        };
        let result = async {
            let (file, len) = write_stream(create, body).await?;
            check(len).map_err(BlobError::Rejected)?;
            let from = tmp.clone();
            blocking(move || commit(&file, &from, &dest, durable)).await?;
            Ok(len)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let path = self.path(key);
        let opened = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(path)?;
            let size = file.metadata()?.len();
            Ok::<_, std::io::Error>((file, size))
        })
        .await
        .map_err(|e| BlobError::Backend(format!("open task: {e}")))?;
        let (mut file, size) = not_found_as_none(opened)?.ok_or(BlobError::NotFound)?;
        let (start, len) = match range {
            Some(r) if r.start.checked_add(r.len).is_none_or(|end| end > size) => {
                return Err(BlobError::RangeNotSatisfiable);
            }
            Some(r) => (r.start, r.len),
            None => (0, size),
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start))?;
        }
        Ok(read_ahead(file, len))
    }

    async fn stat(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        Ok(not_found_as_none(tokio::fs::metadata(self.path(key)).await)?.map(|m| m.len()))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        not_found_as_none(tokio::fs::remove_file(self.path(key)).await)?;
        Ok(())
    }

    async fn open_upload(&self, upload: &UploadId) -> Result<Box<dyn UploadSession>, BlobError> {
        let path = self.upload_path(upload);
        // Another request holding the session (a slow chunk, say) is waited for here, asleep,
        // not on a thread of the blocking pool.
        let mut pause = std::time::Duration::from_millis(1);
        let file = loop {
            let attempt = path.clone();
            if let Some(file) = blocking(move || try_lock_data_file(&attempt)).await? {
                break file;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(50));
        };
        Ok(Box::new(FsUploadSession {
            file: Arc::new(file),
            path,
            store: self.clone(),
        }))
    }

    async fn delete_upload(&self, upload: &UploadId) -> Result<(), BlobError> {
        not_found_as_none(tokio::fs::remove_file(self.upload_path(upload)).await)?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "filesystem"
    }

    async fn capacity(&self) -> Result<Option<crate::Capacity>, BlobError> {
        let root = self.root.clone();
        let stat = tokio::task::spawn_blocking(move || rustix::fs::statvfs(&root))
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
            .map_err(|e| BlobError::Io(e.into()))?;
        Ok(Some(crate::Capacity {
            total: stat.f_blocks.saturating_mul(stat.f_frsize),
            free: stat.f_bavail.saturating_mul(stat.f_frsize),
        }))
    }
}
