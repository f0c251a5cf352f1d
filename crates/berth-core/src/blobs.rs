use berth_auth::{Action, Permit};
use berth_blob::{BlobError, BlobKey, ByteRange, ByteStream};
use berth_types::{Digest, RepoName};

use crate::registry::check;
use crate::{CoreError, Registry};

/// A `Range` request on a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=<start>-[<end>]`, `end` inclusive.
    From { start: u64, end: Option<u64> },
    /// `bytes=-<n>`: the last `n` bytes.
    Suffix(u64),
}

/// A blob as a GET or HEAD serves it.
pub struct BlobRead {
    /// The blob's full length.
    pub size: u64,
    /// The range served, when the request asked for one.
    pub range: Option<ByteRange>,
    /// The bytes; `None` for HEAD.
    pub body: Option<ByteStream>,
}

impl Registry {
    /// Looks a blob up (`with_body` false for HEAD) and, for GET, opens it, or a range of it.
    pub async fn read_blob(
        &self,
        permit: &Permit,
        repo: &RepoName,
        digest: &Digest,
        range: Option<RangeRequest>,
        with_body: bool,
    ) -> Result<BlobRead, CoreError> {
        check(permit, repo, Action::Pull)?;
        let size = self
            .meta
            .repo_blob_size(repo, digest)
            .await?
            .ok_or(CoreError::BlobUnknown)?;
        let range = match range {
            None => None,
            Some(RangeRequest::Suffix(n)) => {
                if n == 0 || size == 0 {
                    return Err(CoreError::RangeNotSatisfiable { size });
                }
                let len = n.min(size);
                Some(ByteRange {
                    start: size - len,
                    len,
                })
            }
            Some(RangeRequest::From { start, end }) => {
                let last = end
                    .unwrap_or(size.saturating_sub(1))
                    .min(size.saturating_sub(1));
                if start >= size || last < start {
                    return Err(CoreError::RangeNotSatisfiable { size });
                }
                Some(ByteRange {
                    start,
                    len: last - start + 1,
                })
            }
        };
        if !with_body {
            return Ok(BlobRead {
                size,
                range,
                body: None,
            });
        }
        let body = match self.blobs.get(&BlobKey::Blob(digest.clone()), range).await {
            Ok(b) => b,
            Err(BlobError::NotFound) => {
                tracing::error!(%digest, "blob recorded in metadata is missing from storage");
                return Err(CoreError::BlobUnknown);
            }
            Err(BlobError::RangeNotSatisfiable) => {
                return Err(CoreError::RangeNotSatisfiable { size });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(BlobRead {
            size,
            range,
            body: Some(body),
        })
    }

    /// Withdraws a blob from a repository. Its bytes stay until garbage collection.
    pub async fn delete_blob(
        &self,
        permit: &Permit,
        repo: &RepoName,
        digest: &Digest,
    ) -> Result<(), CoreError> {
        check(permit, repo, Action::Delete)?;
        if self.meta.unlink_blob(repo, digest).await? {
            Ok(())
        } else {
            Err(CoreError::BlobUnknown)
        }
    }

    /// Cross-repository mount: makes a blob of `from` (or any blob the registry holds when
    /// `from` is absent) available to `repo` without upload. `from_permit` must cover pull
    /// on `from`. Returns the blob's size, or `None` when there is nothing to mount and the
    /// client should upload instead.
    pub async fn mount_blob(
        &self,
        permit: &Permit,
        repo: &RepoName,
        digest: &Digest,
        from: Option<(&RepoName, &Permit)>,
    ) -> Result<Option<u64>, CoreError> {
        check(permit, repo, Action::Push)?;
        if let Some((from, from_permit)) = from {
            check(from_permit, from, Action::Pull)?;
        }
        let repo_id = self.meta.ensure_repo(repo).await?;
        Ok(self
            .meta
            .mount_blob(repo_id, digest, from.map(|(name, _)| name))
            .await?)
    }
}
