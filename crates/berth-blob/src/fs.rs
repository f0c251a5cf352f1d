//! Filesystem backend: objects are files under a root directory.
//!
//! Writes go to `tmp/<random>` first and are renamed into place when complete, so an
//! object path only ever holds a whole object. With `fsync` on, blob content is flushed to
//! disk before it is renamed to its blob key, and so survives a power loss too (a killed
//! process never loses it either way). Upload parts are not flushed when written: they are
//! verified against the digest, and flushed, before they become a blob.

use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures::StreamExt;
use std::io::{Read, Seek, Write};

use bytes::Bytes;

use crate::{BlobError, BlobKey, BlobStore, ByteRange, ByteStream};

const WRITE_BUFFER: usize = 1024 * 1024;
/// Chunks in flight between the receiving task and the writing thread.
const WRITE_QUEUE: usize = 16;
const READ_CHUNK: usize = 1024 * 1024;

/// Blob storage in a local directory.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
    fsync: bool,
}

impl FsStore {
    /// Opens (and creates) a store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>, fsync: bool) -> Result<FsStore, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(FsStore { root, fsync })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.path())
    }

    fn temp_path(&self) -> PathBuf {
        self.root
            .join("tmp")
            .join(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Streams `body` into a new file at `tmp`. The file is written by a thread of the
    /// blocking pool fed through a short channel, so receiving and hashing (on the async
    /// task) and writing (on that thread) run at the same time. With `sync`, the data is
    /// flushed to disk before this returns.
    async fn write_temp(
        &self,
        tmp: &Path,
        mut body: ByteStream,
        sync: bool,
    ) -> Result<u64, BlobError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(WRITE_QUEUE);
        let path = tmp.to_path_buf();
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out =
                std::io::BufWriter::with_capacity(WRITE_BUFFER, std::fs::File::create(path)?);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            if sync {
                file.sync_all()?;
            }
            Ok(())
        });
        let mut len = 0u64;
        let mut input_error = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    len += chunk.len() as u64;
                    if tx.send(chunk).await.is_err() {
                        break; // The writer failed; its error is reported below.
                    }
                }
                Err(e) => {
                    input_error = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let written = writer
            .await
            .map_err(|e| BlobError::Backend(format!("writer task: {e}")))?;
        if let Some(e) = input_error {
            return Err(BlobError::Input(e));
        }
        written?;
        Ok(len)
    }

    /// Flushes a file to disk (before it is renamed into a blob key).
    async fn sync_file(&self, path: PathBuf) -> Result<(), BlobError> {
        tokio::task::spawn_blocking(move || std::fs::File::open(path)?.sync_all())
            .await
            .map_err(|e| BlobError::Backend(format!("sync task: {e}")))??;
        Ok(())
    }

    async fn rename_into_place(&self, from: &Path, key: &BlobKey) -> Result<(), BlobError> {
        let dest = self.path(key);
        let durable = self.fsync && matches!(key, BlobKey::Blob(_));
        let mut synced_dirs = Vec::new();
        if let Some(parent) = dest.parent() {
            if durable && !tokio::fs::try_exists(parent).await? {
                // The new directory's own entry must reach the disk as well.
                synced_dirs.extend(parent.parent().map(Path::to_path_buf));
            }
            tokio::fs::create_dir_all(parent).await?;
            if durable {
                synced_dirs.push(parent.to_path_buf());
            }
        }
        tokio::fs::rename(from, &dest).await?;
        // A blob's name must be as durable as its content: the metadata that names it is
        // committed right after this returns.
        if !synced_dirs.is_empty() {
            tokio::task::spawn_blocking(move || {
                synced_dirs
                    .iter()
                    .try_for_each(|dir| std::fs::File::open(dir)?.sync_all())
            })
            .await
            .map_err(|e| BlobError::Backend(format!("sync task: {e}")))??;
        }
        Ok(())
    }
}

type ChunkRead = tokio::task::JoinHandle<std::io::Result<(std::fs::File, Bytes)>>;

/// Reads `len` bytes of `file` from its current position on the blocking pool, in chunks of
/// `READ_CHUNK` read straight into the buffers that go out, keeping one read ahead of the
/// consumer so the disk and the network work at the same time.
fn read_ahead(file: std::fs::File, len: u64) -> ByteStream {
    fn spawn(file: std::fs::File, remaining: u64) -> ChunkRead {
        tokio::task::spawn_blocking(move || {
            let want = remaining.min(READ_CHUNK as u64);
            let mut buf = Vec::with_capacity(want as usize);
            (&file).take(want).read_to_end(&mut buf)?;
            if (buf.len() as u64) < want {
                return Err(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "blob file is shorter than its recorded size",
                ));
            }
            Ok((file, Bytes::from(buf)))
        })
    }
    let first = (len > 0).then(|| spawn(file, len));
    Box::pin(futures::stream::unfold(
        (first, len),
        |(pending, remaining)| async move {
            let handle = pending?;
            let result = match handle.await {
                Ok(r) => r,
                Err(e) => Err(std::io::Error::other(e)),
            };
            match result {
                Ok((file, chunk)) => {
                    let left = remaining - chunk.len() as u64;
                    let next = (left > 0).then(|| spawn(file, left));
                    Some((Ok(chunk), (next, left)))
                }
                Err(e) => Some((Err(e), (None, 0))),
            }
        },
    ))
}

fn not_found_as_none<T>(r: std::io::Result<T>) -> Result<Option<T>, BlobError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl BlobStore for FsStore {
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError> {
        let tmp = self.temp_path();
        // Upload parts are verified against their digest before they become a blob, and are
        // flushed then (see `compose`), so only blob content is flushed here.
        let sync = self.fsync && matches!(key, BlobKey::Blob(_));
        let result = match self.write_temp(&tmp, body, sync).await {
            Ok(len) => self.rename_into_place(&tmp, key).await.map(|()| len),
            Err(e) => Err(e),
        };
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

    async fn delete_upload(&self, upload: &berth_types::UploadId) -> Result<(), BlobError> {
        let dir = self.root.join("uploads").join(upload.as_str());
        not_found_as_none(tokio::fs::remove_dir_all(dir).await)?;
        Ok(())
    }

    async fn compose(&self, parts: &[BlobKey], dest: &BlobKey) -> Result<(), BlobError> {
        if let [single] = parts {
            // One part: flush it, then a rename is the whole job.
            let path = self.path(single);
            if self.fsync {
                self.sync_file(path.clone()).await?;
            }
            return self.rename_into_place(&path, dest).await;
        }
        let tmp = self.temp_path();
        let sources: Vec<PathBuf> = parts.iter().map(|p| self.path(p)).collect();
        let fsync = self.fsync;
        let tmp_clone = tmp.clone();
        let joined = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = std::fs::File::create(&tmp_clone)?;
            for src in sources {
                // std::io::copy uses copy_file_range between files on Linux.
                std::io::copy(&mut std::fs::File::open(src)?, &mut out)?;
            }
            if fsync {
                out.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| BlobError::Backend(format!("compose task: {e}")))?;
        let result = match joined {
            Ok(()) => self.rename_into_place(&tmp, dest).await,
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    fn kind(&self) -> &'static str {
        "filesystem"
    }
}
