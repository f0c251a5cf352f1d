//! Upload sessions on the filesystem: one data file per session, written in place.
//!
//! `uploads/<id>` is one file that holds the session's bytes at their offsets (no directory
//! per session: creating and removing one costs more than the file itself). A writer holds
//! the file locked (`flock`, so other processes sharing the directory wait too; waiters
//! sleep, they do not hold a thread) while the caller decides where to write and records
//! what was written; bytes past the recorded size (a chunk that broke off or lost a race)
//! are never read and are cut off when the file becomes a blob. Completion renames the file
//! into its blob key: no copy.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use berth_types::UploadPart;

use super::io::{blocking, commit, read_ahead, write_stream};
use crate::{BlobError, BlobKey, ByteStream, UploadSession};

/// The part name every part of a filesystem session has: they are ranges of one file.
pub(super) const DATA: &str = "data";

/// The total size of `parts` when they are consecutive ranges of the data file from its
/// start, as writers of this backend record them.
pub(super) fn data_len(parts: &[UploadPart]) -> Option<u64> {
    parts.iter().try_fold(0u64, |at, p| {
        (p.name == DATA && p.offset == at).then(|| at + p.size)
    })
}

/// Recorded bytes are missing (a completion was killed after it took the file): the
/// session is as good as gone.
fn shorter_than_recorded() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "upload data is shorter than its recorded parts",
    )
}

/// A file of the session that is not there makes the session's content gone.
fn gone(e: BlobError) -> BlobError {
    match e {
        BlobError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => BlobError::NotFound,
        other => other,
    }
}

/// Opens and locks the session's data file, creating it when missing; `None` when another
/// request (or process) holds it now. Never waits: waiting is the caller's, off the
/// blocking pool.
pub(super) fn try_lock_data_file(path: &Path) -> std::io::Result<Option<File>> {
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        // A completion may have renamed the file into a blob, or a cancel removed it,
        // between our open and our lock: hold only the file that is still the session's.
        let held = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => return Ok(Some(file)),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A locked session data file.
pub(super) struct FsUploadSession {
    pub(super) file: Arc<File>,
    pub(super) path: PathBuf,
    /// Where blob keys live, and whether blobs are flushed to disk.
    pub(super) store: super::FsStore,
}

#[async_trait]
impl UploadSession for FsUploadSession {
    async fn write(&mut self, offset: u64, body: ByteStream) -> Result<UploadPart, BlobError> {
        let file = self.file.clone();
        let position = move || {
            (&*file).seek(SeekFrom::Start(offset))?;
            Ok(file)
        };
        let (_, size) = write_stream(position, body).await?;
        Ok(UploadPart {
            name: DATA.to_owned(),
            offset,
            size,
        })
    }

    async fn discard(&mut self, _part: &UploadPart) -> Result<(), BlobError> {
        // Bytes past the recorded size are never read and are cut off at completion.
        Ok(())
    }

    async fn read(&mut self, parts: &[UploadPart]) -> Result<ByteStream, BlobError> {
        let len = data_len(parts).ok_or(BlobError::NotFound)?;
        let path = self.path.clone();
        let file = blocking(move || {
            let file = File::open(path)?;
            if file.metadata()?.len() < len {
                return Err(shorter_than_recorded());
            }
            Ok(file)
        })
        .await
        .map_err(gone)?;
        Ok(read_ahead(file, len))
    }

    async fn compose(&mut self, parts: &[UploadPart], dest: &BlobKey) -> Result<(), BlobError> {
        let len = data_len(parts).ok_or(BlobError::NotFound)?;
        let file = self.file.clone();
        let from = self.path.clone();
        let to = self.store.path(dest);
        let durable = self.store.durable(dest);
        blocking(move || {
            if file.metadata()?.len() < len {
                return Err(shorter_than_recorded());
            }
            // The path must still name the file this session holds: never rename another
            // file over a blob.
            let held = file.metadata()?;
            let named = std::fs::metadata(&from)?;
            if named.ino() != held.ino() || named.dev() != held.dev() {
                return Err(shorter_than_recorded());
            }
            file.set_len(len)?;
            commit(&file, &from, &to, durable)
        })
        .await
        .map_err(gone)
    }
}
