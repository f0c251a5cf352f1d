use berth_types::{Digest, RepoId, RepoName, UploadId, UploadPart};
use sqlx::Row;

use crate::blobs::{insert_blob_and_link, unpin};
use crate::gc::PinId;
use crate::{MetaError, MetaStore, now_ms};

/// An upload session: its repository and the bytes received so far.
#[derive(Debug, Clone)]
pub struct UploadRow {
    pub repo: RepoId,
    pub size: u64,
}

impl MetaStore {
    pub async fn create_upload(&self, repo: RepoId, id: &UploadId) -> Result<(), MetaError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO uploads (id, repository_id, size, created_at, updated_at) \
             VALUES ($1, $2, 0, $3, $4)",
        )
        .bind(id.as_str())
        .bind(repo.0)
        .bind(now)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// An upload session of repository `repo`, or `None`.
    pub async fn upload(
        &self,
        repo: &RepoName,
        id: &UploadId,
    ) -> Result<Option<UploadRow>, MetaError> {
        let row = sqlx::query(
            "SELECT u.repository_id, u.size FROM uploads u JOIN repositories r ON r.id = u.repository_id \
             WHERE u.id = $1 AND r.name = $2",
        )
        .bind(id.as_str())
        .bind(repo.as_str())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|row| UploadRow {
            repo: RepoId(row.get(0)),
            size: row.get::<i64, _>(1) as u64,
        }))
    }

    /// The parts of a session, in order (read only when the session completes).
    pub async fn upload_parts(&self, id: &UploadId) -> Result<Vec<UploadPart>, MetaError> {
        let rows = sqlx::query(
            "SELECT part_name, offset_bytes, size FROM upload_parts WHERE upload_id = $1 \
             ORDER BY offset_bytes",
        )
        .bind(id.as_str())
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|p| UploadPart {
                name: p.get(0),
                offset: p.get::<i64, _>(1) as u64,
                size: p.get::<i64, _>(2) as u64,
            })
            .collect())
    }

    /// The current size of a session, or `None` when it is gone.
    pub async fn upload_size(&self, id: &UploadId) -> Result<Option<u64>, MetaError> {
        let row = sqlx::query("SELECT size FROM uploads WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.write)
            .await?;
        Ok(row.map(|r| r.get::<i64, _>(0) as u64))
    }

    /// Appends a stored part if the session is still at the part's offset. False when
    /// another request moved the session on first (the caller then discards its part).
    pub async fn append_upload_part(
        &self,
        id: &UploadId,
        part: &UploadPart,
    ) -> Result<bool, MetaError> {
        let (offset, size) = (part.offset, part.size);
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3 AND size = $4",
        )
        .bind((offset + size) as i64)
        .bind(now_ms())
        .bind(id.as_str())
        .bind(offset as i64)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO upload_parts (upload_id, offset_bytes, part_name, size) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(offset as i64)
        .bind(&part.name)
        .bind(size as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a session whose content is now the verified blob `digest` (written under
    /// `pin`): records the blob, links it to the repository (charged to its project's
    /// quota), forgets the session and drops the pin, in one transaction. False (and
    /// nothing recorded) when the session is gone or has grown since it was verified. On
    /// [`MetaError::QuotaExceeded`] the session ends and the blob is recorded unlinked.
    pub async fn finish_upload(
        &self,
        id: &UploadId,
        repo: RepoId,
        digest: &Digest,
        size: u64,
        pin: &PinId,
    ) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let ended = sqlx::query("DELETE FROM uploads WHERE id = $1 AND size = $2")
            .bind(id.as_str())
            .bind(size as i64)
            .execute(&mut *tx)
            .await?;
        if ended.rows_affected() == 0 {
            return Ok(false);
        }
        match insert_blob_and_link(&mut tx, repo, digest, size).await {
            Ok(()) => {}
            Err(e @ MetaError::QuotaExceeded { .. }) => {
                drop(tx);
                self.delete_upload(id).await?;
                self.record_unlinked(digest, size, pin).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        unpin(&mut tx, pin).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Forgets an upload session. True when it existed.
    pub async fn delete_upload(&self, id: &UploadId) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Upload sessions untouched since before `before` (Unix milliseconds), oldest first.
    pub async fn stale_uploads(&self, before: i64, limit: i64) -> Result<Vec<UploadId>, MetaError> {
        let rows = sqlx::query(
            "SELECT id FROM uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                id.parse()
                    .map_err(|_| MetaError::Corrupt(format!("upload id {id}")))
            })
            .collect()
    }
}
