use berth_types::{Digest, RepoId, RepoName};
use sqlx::Row;

use crate::gc::PinId;
use crate::{MetaError, MetaStore, now_ms};

impl MetaStore {
    /// Size of a blob the repository may serve, or `None`.
    pub async fn repo_blob_size(
        &self,
        repo: &RepoName,
        digest: &Digest,
    ) -> Result<Option<u64>, MetaError> {
        let row = sqlx::query(
            "SELECT b.size FROM repositories r \
             JOIN repository_blobs rb ON rb.repository_id = r.id \
             JOIN blobs b ON b.digest = rb.digest \
             WHERE r.name = $1 AND rb.digest = $2",
        )
        .bind(repo.as_str())
        .bind(digest.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| r.get::<i64, _>(0) as u64))
    }

    /// Size of a blob known anywhere in the registry, or `None`.
    pub async fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, MetaError> {
        let row = sqlx::query("SELECT size FROM blobs WHERE digest = $1")
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.get::<i64, _>(0) as u64))
    }

    /// Records a verified blob written under `pin` and makes it available to a repository
    /// (charged to its project's quota), dropping the pin. On
    /// [`MetaError::QuotaExceeded`] the blob is recorded unlinked, for garbage collection.
    pub async fn link_blob(
        &self,
        repo: RepoId,
        digest: &Digest,
        size: u64,
        pin: &PinId,
    ) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        match insert_blob_and_link(&mut tx, repo, digest, size).await {
            Ok(()) => {
                unpin(&mut tx, pin).await?;
                tx.commit().await?;
                Ok(())
            }
            Err(e @ MetaError::QuotaExceeded { .. }) => {
                drop(tx);
                self.record_unlinked(digest, size, pin).await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Records a verified blob that nothing links (its write was refused), so garbage
    /// collection finds it, and drops the write's pin.
    pub(crate) async fn record_unlinked(
        &self,
        digest: &Digest,
        size: u64,
        pin: &PinId,
    ) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        upsert_blob(&mut tx, digest, size).await?;
        unpin(&mut tx, pin).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a blob of `from` (or, without `from`, any known blob) available to `repo`.
    /// Returns the blob's size, or `None` when there was nothing to mount (or the blob is
    /// being collected).
    pub async fn mount_blob(
        &self,
        repo: RepoId,
        digest: &Digest,
        from: Option<&RepoName>,
    ) -> Result<Option<u64>, MetaError> {
        let size = match from {
            Some(from) => self.repo_blob_size(from, digest).await?,
            None => self.blob_size(digest).await?,
        };
        let Some(size) = size else {
            return Ok(None);
        };
        let mut tx = self.begin_write().await?;
        let scope = crate::quotas::lock_quota(&mut tx, repo.0).await?;
        // Take the blob up under its row's lock: refused when a sweep has marked it (or it
        // went meanwhile); a sweep that saw the old version then leaves it alone.
        if !touch_blob(&mut tx, &digest.to_string()).await? {
            return Ok(None);
        }
        if let Some(scope) = &scope {
            crate::quotas::charge(&mut tx, scope, &digest.to_string(), size as i64, true).await?;
        }
        link(&mut tx, repo, digest).await?;
        tx.commit().await?;
        Ok(Some(size))
    }

    /// Names of repositories that hold a blob, in name order, at most `limit`.
    pub async fn repos_with_blob(
        &self,
        digest: &Digest,
        limit: i64,
    ) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query(
            "SELECT r.name FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id \
             WHERE rb.digest = $1 ORDER BY r.name LIMIT $2",
        )
        .bind(digest.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| sqlx::Row::get(r, 0)).collect())
    }

    /// Withdraws a blob from a repository. True when it was there.
    pub async fn unlink_blob(&self, repo: &RepoName, digest: &Digest) -> Result<bool, MetaError> {
        let Some(id) = self.repo_id(repo).await? else {
            return Ok(false);
        };
        let mut tx = self.begin_write().await?;
        let scope = crate::quotas::lock_quota(&mut tx, id.0).await?;
        let done =
            sqlx::query("DELETE FROM repository_blobs WHERE digest = $1 AND repository_id = $2")
                .bind(digest.to_string())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        crate::quotas::recount(&mut tx, scope.as_ref()).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

/// Records a blob (or takes an existing one up: a new version, so a sweep that saw it
/// unreferenced leaves it alone), charges it to the repository's project and links it.
/// The caller holds a pin on the digest, so no sweep has it marked.
pub(crate) async fn insert_blob_and_link(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: RepoId,
    digest: &Digest,
    size: u64,
) -> Result<(), MetaError> {
    let scope = crate::quotas::lock_quota(tx, repo.0).await?;
    upsert_blob(tx, digest, size).await?;
    if let Some(scope) = &scope {
        crate::quotas::charge(tx, scope, &digest.to_string(), size as i64, true).await?;
    }
    link(tx, repo, digest).await
}

async fn upsert_blob(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    digest: &Digest,
    size: u64,
) -> Result<(), MetaError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (digest) DO UPDATE SET version = blobs.version + 1, updated_at = excluded.updated_at",
    )
    .bind(digest.to_string())
    .bind(size as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Bumps the version of a blob no sweep has marked. False when it is marked or gone.
pub(crate) async fn touch_blob(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    digest: &str,
) -> Result<bool, MetaError> {
    let done = sqlx::query(
        "UPDATE blobs SET version = version + 1, updated_at = $1 WHERE digest = $2 AND status = 'none'",
    )
    .bind(now_ms())
    .bind(digest)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Links a blob to a repository, or renews the link's time (so a sweep's grace window
/// counts from now).
async fn link(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: RepoId,
    digest: &Digest,
) -> Result<(), MetaError> {
    sqlx::query(
        "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = excluded.created_at",
    )
    .bind(repo.0)
    .bind(digest.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn unpin(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    pin: &PinId,
) -> Result<(), MetaError> {
    sqlx::query("DELETE FROM blob_pins WHERE id = $1")
        .bind(&pin.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
