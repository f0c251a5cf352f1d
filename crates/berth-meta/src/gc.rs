//! Garbage collection's view of the metadata: what is referenced, and the compare-and-set
//! steps that let a sweep run while clients push.
//!
//! A blob row moves `none` → `deleting` → gone. Marking it `deleting` succeeds only if, in
//! the same statement, nothing links or references it, no write of its bytes is pinned, and
//! its version is the one the sweep saw (every new use of a blob bumps its version first,
//! under the row's lock). Once `deleting`, no new use can take it up, so its bytes can go;
//! only then is the row removed. A write of a blob's bytes pins the digest before it starts
//! and unpins it in the transaction that records the blob.

use sqlx::Row;

use crate::{Backend, MetaError, MetaStore, now_ms};

/// A pin taken on a digest while its bytes are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinId(pub String);

/// A pin older than this is a leftover of a killed process and protects nothing.
pub const PIN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// A blob row as the sweep plans with it.
#[derive(Debug, Clone)]
pub struct GcBlob {
    pub digest: String,
    pub size: i64,
    pub deleting: bool,
    pub version: i64,
    pub updated_at: i64,
}

/// Everything a plan needs, read at one moment.
#[derive(Debug, Default)]
pub struct GcSnapshot {
    pub blobs: Vec<GcBlob>,
    /// (repository, digest, linked at)
    pub links: Vec<(i64, String, i64)>,
    /// (repository, manifest, digest) for each blob a manifest names.
    pub references: Vec<(i64, i64, String)>,
    /// Digests with a live pin.
    pub pinned: Vec<String>,
}

/// An artifact with no tag, which is neither an accessory nor named by an index.
#[derive(Debug, Clone)]
pub struct UntaggedArtifact {
    pub repository_id: i64,
    pub repository: String,
    pub manifest_id: i64,
    pub digest: String,
}

fn retryable(e: &MetaError) -> bool {
    match e {
        MetaError::Db(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("40001") | Some("40P01"))
        }
        _ => false,
    }
}

impl MetaStore {
    /// Begins a write transaction that PostgreSQL runs serializable (SQLite's single writer
    /// is serial anyway).
    async fn begin_serial(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, MetaError> {
        Ok(match self.backend() {
            Backend::Postgres => {
                self.write
                    .begin_with("BEGIN ISOLATION LEVEL SERIALIZABLE")
                    .await?
            }
            Backend::Sqlite => self.begin_write().await?,
        })
    }

    /// Pins `digest` before its bytes are written. False when the blob is being collected
    /// right now (the caller waits and tries again).
    pub async fn pin_blob(&self, pin: &PinId, digest: &str) -> Result<bool, MetaError> {
        let mut attempt = 0;
        loop {
            match self.try_pin(pin, digest).await {
                Err(e) if retryable(&e) && attempt < 20 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn try_pin(&self, pin: &PinId, digest: &str) -> Result<bool, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_serial().await?;
        let touched = sqlx::query(
            "UPDATE blobs SET version = version + 1, updated_at = $1 \
             WHERE digest = $2 AND status = 'none'",
        )
        .bind(now)
        .bind(digest)
        .execute(&mut *tx)
        .await?;
        if touched.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 FROM blobs WHERE digest = $1")
                .bind(digest)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Ok(false);
            }
        }
        sqlx::query("INSERT INTO blob_pins (id, digest, created_at) VALUES ($1, $2, $3)")
            .bind(&pin.0)
            .bind(digest)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Drops a pin (a write that failed; a write that succeeded drops it when it records
    /// the blob).
    pub async fn unpin_blob(&self, pin: &PinId) -> Result<(), MetaError> {
        sqlx::query("DELETE FROM blob_pins WHERE id = $1")
            .bind(&pin.0)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Artifacts without a tag that are neither accessories nor children of an index of
    /// their repository, oldest first.
    pub async fn untagged_artifacts(&self) -> Result<Vec<UntaggedArtifact>, MetaError> {
        let rows = sqlx::query(
            "SELECT r.id, r.name, m.id, m.digest FROM manifests m \
             JOIN repositories r ON r.id = m.repository_id \
             WHERE m.accessory_type IS NULL \
             AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id) \
             AND NOT EXISTS (SELECT 1 FROM manifest_children mc JOIN manifests p ON p.id = mc.parent_id \
               WHERE mc.child_digest = m.digest AND p.repository_id = m.repository_id) \
             ORDER BY m.id",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| UntaggedArtifact {
                repository_id: r.get(0),
                repository: r.get(1),
                manifest_id: r.get(2),
                digest: r.get(3),
            })
            .collect())
    }

    /// Reads blobs, links, references and pins for a plan.
    pub async fn gc_snapshot(&self) -> Result<GcSnapshot, MetaError> {
        let blobs = sqlx::query(
            "SELECT digest, size, status, version, updated_at FROM blobs ORDER BY digest",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| GcBlob {
            digest: r.get(0),
            size: r.get(1),
            deleting: r.get::<String, _>(2) == "deleting",
            version: r.get(3),
            updated_at: r.get(4),
        })
        .collect();
        let links = sqlx::query("SELECT repository_id, digest, created_at FROM repository_blobs")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let references = sqlx::query(
            "SELECT m.repository_id, m.id, mb.digest FROM manifest_blobs mb \
             JOIN manifests m ON m.id = mb.manifest_id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        let pinned = sqlx::query("SELECT DISTINCT digest FROM blob_pins WHERE created_at > $1")
            .bind(now_ms() - PIN_LIFETIME_MS)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(GcSnapshot {
            blobs,
            links,
            references,
            pinned,
        })
    }

    /// Repositories holding a link made before `cutoff` that no manifest of theirs names.
    pub async fn repos_with_stale_links(&self, cutoff: i64) -> Result<Vec<i64>, MetaError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT rb.repository_id FROM repository_blobs rb WHERE {STALE_LINK}"
        )))
        .bind(cutoff)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Withdraws from a repository the blobs linked before `cutoff` that none of its
    /// manifests names, and counts its project's usage again. Pushes into the repository
    /// wait for this (its row is locked first, as a manifest push locks it), so a manifest
    /// is either recorded before (and keeps its blobs) or sees them gone. Returns how many
    /// links went.
    pub async fn unlink_stale(&self, repo: i64, cutoff: i64) -> Result<u64, MetaError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE repositories SET updated_at = updated_at WHERE id = $1")
            .bind(repo)
            .execute(&mut *tx)
            .await?;
        let scope = crate::quotas::lock_quota(&mut tx, repo).await?;
        let gone = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM repository_blobs WHERE repository_id = $2 AND digest IN \
             (SELECT rb.digest FROM repository_blobs rb WHERE rb.repository_id = $2 AND {STALE_LINK})"
        )))
        .bind(cutoff)
        .bind(repo)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone > 0 {
            crate::quotas::recount(&mut tx, scope.as_ref()).await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Marks blobs `deleting` if each still has the version the plan saw and is still
    /// unreferenced, unpinned and older than `cutoff`. Returns the digests marked.
    pub async fn gc_mark(
        &self,
        batch: &[(String, i64)],
        cutoff: i64,
    ) -> Result<Vec<String>, MetaError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 0;
        loop {
            match self.try_mark(batch, cutoff).await {
                Err(e) if retryable(&e) && attempt < 20 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn try_mark(
        &self,
        batch: &[(String, i64)],
        cutoff: i64,
    ) -> Result<Vec<String>, MetaError> {
        // `digest IN (...)` finds the rows by primary key; the pairs then check each version.
        let n = batch.len();
        let keys: Vec<String> = (0..n).map(|i| format!("${}", 3 + 2 * n + i)).collect();
        let which: Vec<String> = (0..n)
            .map(|i| format!("(digest = ${} AND version = ${})", 3 + 2 * i, 4 + 2 * i))
            .collect();
        let sql = format!(
            "UPDATE blobs SET status = 'deleting' WHERE digest IN ({}) AND ({}) \
             AND status = 'none' AND updated_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = blobs.digest) \
             AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb WHERE mb.digest = blobs.digest) \
             AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.digest = blobs.digest AND p.created_at > $2) \
             RETURNING digest",
            keys.join(", "),
            which.join(" OR ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(cutoff)
            .bind(now_ms() - PIN_LIFETIME_MS);
        for (digest, version) in batch {
            q = q.bind(digest.clone()).bind(*version);
        }
        for (digest, _) in batch {
            q = q.bind(digest.clone());
        }
        let mut tx = self.begin_serial().await?;
        let rows = q.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Removes the rows of `deleting` blobs whose bytes are gone; returns the bytes freed.
    pub async fn gc_forget(&self, digests: &[String]) -> Result<i64, MetaError> {
        if digests.is_empty() {
            return Ok(0);
        }
        let list: Vec<String> = (1..=digests.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM blobs WHERE status = 'deleting' AND digest IN ({}) RETURNING size",
            list.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in digests {
            q = q.bind(d.clone());
        }
        let rows = q.fetch_all(&self.write).await?;
        Ok(rows.iter().map(|r| r.get::<i64, _>(0)).sum())
    }

    /// Puts a `deleting` blob back (its bytes could not be deleted, so they are intact).
    pub async fn gc_unmark(&self, digest: &str) -> Result<(), MetaError> {
        sqlx::query(
            "UPDATE blobs SET status = 'none', version = version + 1 WHERE digest = $1 AND status = 'deleting'",
        )
        .bind(digest)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

/// A link `rb` made before `$1` that no manifest of its repository names.
const STALE_LINK: &str = "rb.created_at < $1 AND NOT EXISTS (SELECT 1 FROM manifest_blobs mb \
     JOIN manifests m ON m.id = mb.manifest_id \
     WHERE m.repository_id = rb.repository_id AND mb.digest = rb.digest)";
