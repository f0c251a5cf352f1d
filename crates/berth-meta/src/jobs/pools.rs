//! Job queues (one per job type: pause, concurrency lock) and the nodes' worker pools.

use berth_types::jobs::JobType;
use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

/// A job type's queue as `/jobservice/queues` shows it.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub job_type: JobType,
    /// Tasks waiting.
    pub pending: i64,
    /// Milliseconds the oldest due task has waited.
    pub latency_ms: i64,
    pub paused: bool,
}

/// A node's worker pool.
#[derive(Debug, Clone)]
pub struct PoolRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub concurrency: i64,
    pub start_at: i64,
    pub heartbeat_at: i64,
}

/// Locks a job type's queue row until the transaction ends (creating it first); true when
/// the queue is not paused.
pub(crate) async fn lock_queue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    kind: JobType,
    now: i64,
) -> Result<bool, MetaError> {
    sqlx::query(
        "INSERT INTO job_queues (job_type, paused, update_time) VALUES ($1, 0, $2) \
         ON CONFLICT (job_type) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let paused: i64 =
        sqlx::query("UPDATE job_queues SET update_time = $2 WHERE job_type = $1 RETURNING paused")
            .bind(kind.as_str())
            .bind(now)
            .fetch_one(&mut **tx)
            .await?
            .get(0);
    Ok(paused == 0)
}

impl MetaStore {
    /// Every job type's queue.
    pub async fn queues(&self) -> Result<Vec<QueueRow>, MetaError> {
        let now = now_ms();
        let mut out = Vec::new();
        for kind in JobType::ALL {
            let row = sqlx::query(
                "SELECT COUNT(*), MIN(not_before) FROM job_tasks \
                 WHERE vendor_type = $1 AND status = 'Pending'",
            )
            .bind(kind.as_str())
            .fetch_one(&self.read)
            .await?;
            let pending: i64 = row.get(0);
            let oldest: Option<i64> = row.get(1);
            out.push(QueueRow {
                job_type: kind,
                pending,
                latency_ms: oldest.map_or(0, |t| (now - t).max(0)),
                paused: self.queue_paused(kind).await?,
            });
        }
        Ok(out)
    }

    /// Whether a job type's queue is paused.
    pub async fn queue_paused(&self, kind: JobType) -> Result<bool, MetaError> {
        let row = sqlx::query("SELECT paused FROM job_queues WHERE job_type = $1")
            .bind(kind.as_str())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some_and(|r| r.get::<i64, _>(0) != 0))
    }

    /// Pauses or resumes a job type's queue: its tasks wait, and its schedules do not fire.
    pub async fn set_queue_paused(&self, kind: JobType, paused: bool) -> Result<(), MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        lock_queue(&mut tx, kind, now).await?;
        sqlx::query("UPDATE job_queues SET paused = $2, update_time = $3 WHERE job_type = $1")
            .bind(kind.as_str())
            .bind(i64::from(paused))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that a node's pool is alive (and forgets pools silent for a day).
    pub async fn beat_pool(&self, pool: &PoolRow) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO job_pools (id, host, pid, concurrency, start_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        )
        .bind(&pool.id)
        .bind(&pool.host)
        .bind(pool.pid)
        .bind(pool.concurrency)
        .bind(pool.start_at)
        .bind(pool.heartbeat_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM job_pools WHERE heartbeat_at < $1")
            .bind(pool.heartbeat_at - 24 * 3600 * 1000)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pools that beat at or after `since`.
    pub async fn pools(&self, since: i64) -> Result<Vec<PoolRow>, MetaError> {
        let rows = sqlx::query(
            "SELECT id, host, pid, concurrency, start_at, heartbeat_at FROM job_pools \
             WHERE heartbeat_at >= $1 ORDER BY start_at, id",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PoolRow {
                id: r.get(0),
                host: r.get(1),
                pid: r.get(2),
                concurrency: r.get(3),
                start_at: r.get(4),
                heartbeat_at: r.get(5),
            })
            .collect())
    }

    /// A node leaving: its pool disappears from the listing.
    pub async fn drop_pool(&self, id: &str) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM job_pools WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
