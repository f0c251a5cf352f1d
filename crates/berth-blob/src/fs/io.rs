//! Blocking file work of the filesystem backend, each piece run on the blocking pool.

use std::borrow::Borrow;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;

use super::direct::AlignedWriter;
use crate::{BlobError, ByteStream};

/// The largest single write, and how much the receiving task gathers before it hands bytes
/// to the writer (`WRITE_BATCH`).
const WRITE_BUFFER: usize = 1024 * 1024;
const WRITE_BATCH: usize = 256 * 1024;
/// Batches in flight between the receiving task and the writing thread.
const WRITE_QUEUE: usize = 4;
const READ_CHUNK: usize = 1024 * 1024;

/// Runs blocking file work on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BlobError::Backend(format!("file task: {e}")))?
        .map_err(BlobError::from)
}

/// Streams `body` into the file that `open` returns (positioned where the bytes go) and
/// gives the file back with the number of bytes written. The file is opened and written
/// by one thread of the blocking pool fed through a short channel, so receiving and
/// hashing (on the async task) and writing (on that thread) run at the same time. Chunks
/// go over in batches of about `WRITE_BATCH` bytes: one wake-up of the writer per batch,
/// not per network read. The bytes go around the page cache ([`AlignedWriter`]): they are
/// on their way to the disk as they arrive, and a final flush waits for little.
pub(super) async fn write_stream<F, T>(open: F, mut body: ByteStream) -> Result<(T, u64), BlobError>
where
    F: FnOnce() -> std::io::Result<T> + Send + 'static,
    T: Borrow<File> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Bytes>>(WRITE_QUEUE);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<T> {
        let file = open()?;
        let f = file.borrow();
        let mut out = AlignedWriter::start(f, position(f)?, WRITE_BUFFER)?;
        while let Some(batch) = rx.blocking_recv() {
            for chunk in batch {
                out.write(&chunk)?;
            }
            if rx.is_empty() {
                // Nothing more has come: the disk takes what is here while the network
                // brings the rest. Under a fast sender batches queue up, and writes grow.
                out.write_ready()?;
            }
        }
        out.finish()?;
        Ok(file)
    });
    let mut len = 0u64;
    let mut input_error = None;
    let mut batch = Vec::new();
    let mut batched = 0usize;
    loop {
        let next = body.next().await;
        let end = match next {
            Some(Ok(chunk)) => {
                len += chunk.len() as u64;
                batched += chunk.len();
                batch.push(chunk);
                false
            }
            Some(Err(e)) => {
                input_error = Some(e);
                break;
            }
            None => true,
        };
        if (end || batched >= WRITE_BATCH) && !batch.is_empty() {
            batched = 0;
            if tx.send(std::mem::take(&mut batch)).await.is_err() {
                break; // The writer failed; its error is reported below.
            }
        }
        if end {
            break;
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| BlobError::Backend(format!("writer task: {e}")))?;
    if let Some(e) = input_error {
        return Err(BlobError::Input(e));
    }
    Ok((written?, len))
}

/// The file's position: where the bytes written next go.
fn position(file: &File) -> std::io::Result<u64> {
    let mut f = file;
    std::io::Seek::stream_position(&mut f)
}

/// Makes the written file `file` (now at `from`) the object at `dest`. With `durable`, the
/// content reaches the disk before it gets its name, and the name before this returns: the
/// metadata that names a blob is committed right after.
pub(super) fn commit(file: &File, from: &Path, dest: &Path, durable: bool) -> std::io::Result<()> {
    if durable {
        file.sync_all()?;
    }
    let parent = dest.parent().map(Path::to_path_buf);
    if let Some(dir) = &parent {
        // Blob directories exist from the start (and are durable); others appear on demand.
        std::fs::create_dir_all(dir)?;
    }
    std::fs::rename(from, dest)?;
    if durable && let Some(dir) = parent {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Creates the directories `dirs` and flushes each one's entry in its parent to disk.
pub(super) fn create_durable_dirs(dirs: &[PathBuf], fsync: bool) -> std::io::Result<()> {
    for dir in dirs {
        if dir.is_dir() {
            continue;
        }
        std::fs::create_dir_all(dir)?;
        if fsync && let Some(parent) = dir.parent() {
            File::open(parent)?.sync_all()?;
        }
    }
    Ok(())
}

type ChunkRead = tokio::task::JoinHandle<std::io::Result<(File, Bytes)>>;

/// Reads `len` bytes of `file` from its current position on the blocking pool, in chunks of
/// `READ_CHUNK` read straight into the buffers that go out, keeping one read ahead of the
/// consumer so the disk and the network work at the same time.
pub(super) fn read_ahead(file: File, len: u64) -> ByteStream {
    fn spawn(file: File, remaining: u64) -> ChunkRead {
        tokio::task::spawn_blocking(move || {
            let want = remaining.min(READ_CHUNK as u64);
            let mut buf = Vec::with_capacity(want as usize);
            (&file).take(want).read_to_end(&mut buf)?;
            if (buf.len() as u64) < want {
                return Err(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "file is shorter than its recorded size",
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

pub(super) fn not_found_as_none<T>(r: std::io::Result<T>) -> Result<Option<T>, BlobError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
