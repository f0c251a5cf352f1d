use berth_types::{Digest, RepoId, RepoName};
use sqlx::Row;

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

    /// Records a verified blob and makes it available to a repository.
    pub async fn link_blob(
        &self,
        repo: RepoId,
        digest: &Digest,
        size: u64,
    ) -> Result<(), MetaError> {
        let mut tx = self.write.begin().await?;
        insert_blob_and_link(&mut tx, repo, digest, size).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a blob of `from` (or, without `from`, any known blob) available to `repo`.
    /// Returns the blob's size, or `None` when there was nothing to mount.
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
        let mut tx = self.write.begin().await?;
        // Re-check under the write transaction: the source may have gone meanwhile.
        let still_there = sqlx::query("SELECT size FROM blobs WHERE digest = $1")
            .bind(digest.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if still_there.is_none() {
            return Ok(None);
        }
        insert_blob_and_link(&mut tx, repo, digest, size).await?;
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
        let done = sqlx::query(
            "DELETE FROM repository_blobs WHERE digest = $1 \
             AND repository_id = (SELECT id FROM repositories WHERE name = $2)",
        )
        .bind(digest.to_string())
        .bind(repo.as_str())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

pub(crate) async fn insert_blob_and_link(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: RepoId,
    digest: &Digest,
    size: u64,
) -> Result<(), MetaError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (digest) DO NOTHING",
    )
    .bind(digest.to_string())
    .bind(size as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (repository_id, digest) DO NOTHING",
    )
    .bind(repo.0)
    .bind(digest.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
