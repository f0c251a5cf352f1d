//! Blob upload sessions: monolithic, chunked and streamed.
//!
//! A chunk is written while the session is held open in storage (exclusively, where the
//! backend needs it) and recorded in the metadata with a compare-and-set on the session's
//! size, so a chunk that does not start where the session is (out of order, replayed, or
//! racing another chunk) is refused and leaves no trace. On completion the recorded parts
//! are verified against the digest and composed into the blob's final key; only then is
//! the blob recorded. A monolithic upload is checked against its digest before it becomes
//! the blob: it never passes through a session.

use std::sync::{Arc, Mutex};

use berth_auth::{Action, Permit};
use berth_blob::{BlobError, BlobKey, ByteStream, UploadSession};
use berth_meta::PinId;
use berth_types::{Algorithm, Digest, DigestHasher, RepoName, UploadId, UploadPart};
use futures::StreamExt;

use crate::hashing::{hashing, take};
use crate::registry::check;
use crate::{CoreError, Registry};

/// A `Content-Range` of a chunk: first and last byte offsets, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub start: u64,
    pub end: u64,
}

/// Where an upload session stands.
#[derive(Debug, Clone, Copy)]
pub struct UploadState {
    /// Bytes received so far.
    pub size: u64,
}

impl Registry {
    /// Opens an upload session.
    pub async fn start_upload(
        &self,
        permit: &Permit,
        repo: &RepoName,
    ) -> Result<UploadId, CoreError> {
        check(permit, repo, Action::Push)?;
        let repo_id = self.meta.ensure_repo(repo).await?;
        let id = UploadId::random();
        self.meta.create_upload(repo_id, &id).await?;
        Ok(id)
    }

    /// A monolithic upload (`POST ?digest=`): the body is the whole blob.
    pub async fn upload_whole(
        &self,
        permit: &Permit,
        repo: &RepoName,
        digest: &Digest,
        body: ByteStream,
    ) -> Result<u64, CoreError> {
        check(permit, repo, Action::Push)?;
        let repo_id = self.meta.ensure_repo(repo).await?;
        let hasher = Arc::new(Mutex::new(DigestHasher::new(digest.algorithm())));
        let expected = digest.clone();
        let verdict = hasher.clone();
        let check = Box::new(move |_len| {
            let actual = take(verdict).finish();
            if actual == expected {
                Ok(())
            } else {
                Err(format!("content has digest {actual}, not {expected}"))
            }
        });
        let pin = self.pin(digest).await?;
        let stored = self
            .blobs
            .put_checked(&BlobKey::Blob(digest.clone()), hashing(body, hasher), check)
            .await;
        let size = match stored {
            Ok(size) => size,
            Err(e) => {
                self.meta.unpin_blob(&pin).await?;
                return Err(e.into());
            }
        };
        self.meta.link_blob(repo_id, digest, size, &pin).await?;
        Ok(size)
    }

    /// Where a session stands.
    pub async fn upload_state(
        &self,
        permit: &Permit,
        repo: &RepoName,
        id: &UploadId,
    ) -> Result<UploadState, CoreError> {
        check(permit, repo, Action::Push)?;
        let row = self
            .meta
            .upload(repo, id)
            .await?
            .ok_or(CoreError::BlobUploadUnknown)?;
        Ok(UploadState { size: row.size })
    }

    /// Appends a chunk (PATCH). Without `range` the chunk is streamed at the current end.
    pub async fn upload_chunk(
        &self,
        permit: &Permit,
        repo: &RepoName,
        id: &UploadId,
        range: Option<ContentRange>,
        body: ByteStream,
    ) -> Result<UploadState, CoreError> {
        check(permit, repo, Action::Push)?;
        if self.meta.upload(repo, id).await?.is_none() {
            return Err(CoreError::BlobUploadUnknown);
        }
        let mut session = self.blobs.open_upload(id).await?;
        let size = self.append(session.as_mut(), id, range, body).await?;
        Ok(UploadState { size })
    }

    /// Stores one chunk at the session's end and records it; returns the session's new
    /// size. The caller holds `session`, so the size read here stays true while it writes.
    async fn append(
        &self,
        session: &mut dyn UploadSession,
        id: &UploadId,
        range: Option<ContentRange>,
        body: ByteStream,
    ) -> Result<u64, CoreError> {
        let offset = self
            .meta
            .upload_size(id)
            .await?
            .ok_or(CoreError::BlobUploadUnknown)?;
        if let Some(r) = range {
            if r.start != offset {
                return Err(CoreError::RangeInvalid { size: offset });
            }
            if r.end < r.start || r.end == u64::MAX {
                return Err(CoreError::BlobUploadInvalid(
                    "Content-Range is not a valid byte range".into(),
                ));
            }
        }
        // Continue this node's SHA-256 state if it has one at this offset.
        let start_state = match self.hashes.at(id, offset) {
            Some(h) => Some(h),
            None if offset == 0 => Some(DigestHasher::new(Algorithm::Sha256)),
            None => None,
        };
        let (part, state) = match start_state {
            Some(h) => {
                let cell = Arc::new(Mutex::new(h));
                let part = session.write(offset, hashing(body, cell.clone())).await?;
                (part, Some(take(cell)))
            }
            None => (session.write(offset, body).await?, None),
        };
        if let Some(r) = range
            && r.end - r.start + 1 != part.size
        {
            session.discard(&part).await?;
            return Err(CoreError::SizeInvalid(format!(
                "Content-Range announces {} bytes, body had {}",
                r.end - r.start + 1,
                part.size
            )));
        }
        if part.size == 0 {
            session.discard(&part).await?;
            return Ok(offset);
        }
        if !self.meta.append_upload_part(id, &part).await? {
            // Cancelled meanwhile, or another chunk got there first (a backend that holds
            // no lock): ours is not part of the session.
            session.discard(&part).await?;
            return Err(match self.meta.upload_size(id).await? {
                Some(now) => CoreError::RangeInvalid { size: now },
                None => CoreError::BlobUploadUnknown,
            });
        }
        let end = offset + part.size;
        match state {
            Some(h) => self.hashes.store(id, end, h),
            None => self.hashes.forget(id),
        }
        Ok(end)
    }

    /// Completes a session (PUT ?digest=), with an optional last chunk in `body`
    /// (`None` when the request has no body).
    pub async fn complete_upload(
        &self,
        permit: &Permit,
        repo: &RepoName,
        id: &UploadId,
        digest: &Digest,
        range: Option<ContentRange>,
        body: Option<ByteStream>,
    ) -> Result<u64, CoreError> {
        check(permit, repo, Action::Push)?;
        let row = self
            .meta
            .upload(repo, id)
            .await?
            .ok_or(CoreError::BlobUploadUnknown)?;
        let mut session = self.blobs.open_upload(id).await?;
        if let Some(body) = body {
            self.append(session.as_mut(), id, range, body).await?;
        }
        // The digest is checked over exactly the parts that are composed, read while the
        // session is held (on a backend without a lock, a chunk racing this completion is
        // either wholly in the list or wholly out, and then fails the size check below).
        let parts = self.meta.upload_parts(id).await?;
        let size = parts.iter().map(|p| p.size).sum::<u64>();
        let actual = match self.hashes.at(id, size) {
            Some(h) if h.algorithm() == digest.algorithm() => h.finish(),
            _ => match self
                .rehash(session.as_mut(), &parts, digest.algorithm())
                .await
            {
                Err(CoreError::Storage(BlobError::NotFound)) => {
                    return self.broken_session(id).await;
                }
                other => other?,
            },
        };
        self.hashes.forget(id);
        if &actual != digest {
            self.meta.delete_upload(id).await?;
            drop(session);
            self.discard_parts(id).await;
            return Err(CoreError::DigestInvalid(format!(
                "content has digest {actual}, not {digest}"
            )));
        }
        let key = BlobKey::Blob(digest.clone());
        let pin = self.pin(digest).await?;
        let stored = if parts.is_empty() {
            self.blobs
                .put(&key, Box::pin(futures::stream::empty()))
                .await
                .map(drop)
        } else {
            session.compose(&parts, &key).await
        };
        if let Err(e) = stored {
            self.meta.unpin_blob(&pin).await?;
            return match e {
                BlobError::NotFound => self.broken_session(id).await,
                e => Err(e.into()),
            };
        }
        if !self
            .meta
            .finish_upload(id, row.repo, digest, size, &pin)
            .await?
        {
            self.meta.unpin_blob(&pin).await?;
            // Cancelled, completed or grown meanwhile: the verified blob stays in storage
            // unreferenced (garbage collection removes it); the session is not acknowledged.
            return Err(CoreError::BlobUploadUnknown);
        }
        drop(session);
        self.discard_parts(id).await;
        Ok(size)
    }

    /// Pins `digest` for a write of its bytes, waiting while a sweep is deleting the blob
    /// (which takes moments: its bytes, then its row).
    async fn pin(&self, digest: &Digest) -> Result<PinId, CoreError> {
        let pin = PinId(uuid::Uuid::new_v4().to_string());
        for _ in 0..600 {
            if self.meta.pin_blob(&pin, &digest.to_string()).await? {
                return Ok(pin);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(CoreError::Internal(format!(
            "blob {digest} stayed marked for deletion for 30 s"
        )))
    }

    /// Cancels a session (DELETE).
    pub async fn cancel_upload(
        &self,
        permit: &Permit,
        repo: &RepoName,
        id: &UploadId,
    ) -> Result<(), CoreError> {
        check(permit, repo, Action::Push)?;
        if self.meta.upload(repo, id).await?.is_none() {
            return Err(CoreError::BlobUploadUnknown);
        }
        self.purge_upload(id).await
    }

    /// Drops a session and its parts (a cancel, or garbage collection of an abandoned one).
    /// The session is held like a chunk or a completion, so this never removes a session's
    /// content from under one of them.
    pub(crate) async fn purge_upload(&self, id: &UploadId) -> Result<(), CoreError> {
        let session = self.blobs.open_upload(id).await?;
        self.meta.delete_upload(id).await?;
        self.hashes.forget(id);
        self.discard_parts(id).await;
        drop(session);
        Ok(())
    }

    /// Hashes a session's stored parts from the start (when this node has no state for it).
    async fn rehash(
        &self,
        session: &mut dyn UploadSession,
        parts: &[UploadPart],
        algorithm: Algorithm,
    ) -> Result<Digest, CoreError> {
        let mut hasher = DigestHasher::new(algorithm);
        let mut stream = session.read(parts).await?;
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk.map_err(|e| CoreError::Storage(e.into()))?);
        }
        Ok(hasher.finish())
    }

    /// A part of the session is gone (a completion that raced this one, or one killed after
    /// it moved the parts): the session cannot be completed any more, so it is dropped.
    async fn broken_session(&self, id: &UploadId) -> Result<u64, CoreError> {
        self.meta.delete_upload(id).await?;
        self.hashes.forget(id);
        self.discard_parts(id).await;
        Err(CoreError::BlobUploadUnknown)
    }

    /// Removes the part objects of a session; failures are only logged (garbage
    /// collection removes leftovers).
    async fn discard_parts(&self, id: &UploadId) {
        if let Err(e) = self.blobs.delete_upload(id).await {
            tracing::warn!(upload = %id, error = %e, "could not remove upload parts");
        }
    }
}
