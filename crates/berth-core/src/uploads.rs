//! Blob upload sessions: monolithic, chunked and streamed.
//!
//! Each chunk is stored as its own part object and recorded in the metadata with a
//! compare-and-set on the session's size, so a chunk that does not start where the session
//! is (out of order, replayed, or racing another chunk) is refused and leaves no trace. On
//! completion the parts are verified against the digest and composed into the blob's final
//! key; only then is the blob recorded.

use std::sync::{Arc, Mutex};

use berth_auth::{Action, Permit};
use berth_blob::{BlobError, BlobKey, ByteStream};
use berth_types::{Algorithm, Digest, DigestHasher, RepoName, UploadId};
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

fn part_name(offset: u64) -> String {
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("p{offset}-{}", &rand[..12])
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
        let scratch = UploadId::random();
        let part = BlobKey::upload_part(&scratch, "whole".to_owned());
        let hasher = Arc::new(Mutex::new(DigestHasher::new(digest.algorithm())));
        let result = async {
            let size = self.blobs.put(&part, hashing(body, hasher.clone())).await?;
            let actual = take(hasher).finish();
            if &actual != digest {
                return Err(CoreError::DigestInvalid(format!(
                    "content has digest {actual}, not {digest}"
                )));
            }
            self.store_verified(std::slice::from_ref(&part), digest)
                .await?;
            self.meta.link_blob(repo_id, digest, size).await?;
            Ok(size)
        }
        .await;
        self.discard_parts(&scratch).await;
        result
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
        let row = self
            .meta
            .upload(repo, id)
            .await?
            .ok_or(CoreError::BlobUploadUnknown)?;
        let size = self.append(id, row.size, range, body).await?;
        Ok(UploadState { size })
    }

    /// Stores one chunk at `offset` and records it; returns the session's new size.
    async fn append(
        &self,
        id: &UploadId,
        offset: u64,
        range: Option<ContentRange>,
        body: ByteStream,
    ) -> Result<u64, CoreError> {
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
        let name = part_name(offset);
        let part = BlobKey::upload_part(id, name.clone());
        let (len, state) = match start_state {
            Some(h) => {
                let cell = Arc::new(Mutex::new(h));
                let len = self.blobs.put(&part, hashing(body, cell.clone())).await?;
                (len, Some(take(cell)))
            }
            None => (self.blobs.put(&part, body).await?, None),
        };
        if let Some(r) = range
            && r.end - r.start + 1 != len
        {
            self.blobs.delete(&part).await?;
            return Err(CoreError::SizeInvalid(format!(
                "Content-Range announces {} bytes, body had {len}",
                r.end - r.start + 1
            )));
        }
        if len == 0 {
            self.blobs.delete(&part).await?;
            return Ok(offset);
        }
        if !self.meta.append_upload_part(id, offset, &name, len).await? {
            // Another chunk got there first: ours is not part of the session.
            self.blobs.delete(&part).await?;
            return Err(match self.meta.upload_size(id).await? {
                Some(now) => CoreError::RangeInvalid { size: now },
                None => CoreError::BlobUploadUnknown,
            });
        }
        match state {
            Some(h) => self.hashes.store(id, offset + len, h),
            None => self.hashes.forget(id),
        }
        Ok(offset + len)
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
        if let Some(body) = body {
            self.append(id, row.size, range, body).await?;
        }
        // The digest is checked over exactly the parts that are composed: one read gives both
        // (a chunk racing this completion is either wholly in it or wholly out).
        let recorded = self.meta.upload_parts(id).await?;
        let size = recorded.iter().map(|p| p.size).sum::<u64>();
        let parts: Vec<BlobKey> = recorded
            .into_iter()
            .map(|p| BlobKey::upload_part(id, p.name))
            .collect();
        let actual = match self.hashes.at(id, size) {
            Some(h) if h.algorithm() == digest.algorithm() => h.finish(),
            _ => match self.rehash(&parts, digest.algorithm()).await {
                Err(CoreError::Storage(BlobError::NotFound)) => {
                    return self.broken_session(id).await;
                }
                other => other?,
            },
        };
        self.hashes.forget(id);
        if &actual != digest {
            self.meta.delete_upload(id).await?;
            self.discard_parts(id).await;
            return Err(CoreError::DigestInvalid(format!(
                "content has digest {actual}, not {digest}"
            )));
        }
        match self.store_verified(&parts, digest).await {
            Ok(()) => {}
            Err(CoreError::Storage(BlobError::NotFound)) => return self.broken_session(id).await,
            Err(e) => return Err(e),
        }
        if !self.meta.finish_upload(id, row.repo, digest, size).await? {
            // Cancelled, completed or grown meanwhile: the verified blob stays in storage
            // unreferenced (garbage collection removes it); the session is not acknowledged.
            return Err(CoreError::BlobUploadUnknown);
        }
        self.discard_parts(id).await;
        Ok(size)
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
        self.meta.delete_upload(id).await?;
        self.hashes.forget(id);
        self.discard_parts(id).await;
        Ok(())
    }

    /// Makes the verified content of `parts` the blob `digest`, unless storage has it.
    async fn store_verified(&self, parts: &[BlobKey], digest: &Digest) -> Result<(), CoreError> {
        let key = BlobKey::Blob(digest.clone());
        if self.blobs.stat(&key).await?.is_some() {
            return Ok(());
        }
        if parts.is_empty() {
            self.blobs
                .put(&key, Box::pin(futures::stream::empty()))
                .await?;
        } else {
            self.blobs.compose(parts, &key).await?;
        }
        Ok(())
    }

    /// Hashes stored parts from the start (when this node has no state for the session).
    async fn rehash(&self, parts: &[BlobKey], algorithm: Algorithm) -> Result<Digest, CoreError> {
        let mut hasher = DigestHasher::new(algorithm);
        for part in parts {
            let mut stream = self.blobs.get(part, None).await?;
            while let Some(chunk) = stream.next().await {
                hasher.update(&chunk.map_err(|e| CoreError::Storage(e.into()))?);
            }
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
