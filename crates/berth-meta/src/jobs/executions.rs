//! Executions: one run of a job kind, with the tasks it is made of.

use berth_types::jobs::{ExecutionId, JobId, JobStatus, JobType, Trigger};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{job_status, job_type, trigger};
use crate::{MetaError, MetaStore, now_ms};

/// An execution to create, with one task per entry of `tasks`.
#[derive(Debug, Clone)]
pub struct NewExecution {
    pub vendor_type: JobType,
    pub vendor_id: i64,
    pub trigger: Trigger,
    /// JSON object.
    pub parameters: String,
    /// Job id, runs allowed, timeout in milliseconds.
    pub tasks: Vec<(JobId, u32, i64)>,
}

/// An execution as stored.
#[derive(Debug, Clone)]
pub struct ExecutionRow {
    pub id: ExecutionId,
    pub vendor_type: JobType,
    pub vendor_id: i64,
    pub trigger: Trigger,
    pub parameters: String,
    pub status: JobStatus,
    pub status_message: String,
    /// JSON object of what the run reported (GC's `freed_space`, ...).
    pub results: String,
    pub start_time: i64,
    pub update_time: i64,
    pub end_time: Option<i64>,
}

const COLUMNS: &str = "id, vendor_type, vendor_id, trigger_kind, parameters, status, \
                       status_message, results, start_time, update_time, end_time";

fn execution(row: &AnyRow) -> Result<ExecutionRow, MetaError> {
    Ok(ExecutionRow {
        id: ExecutionId(row.get(0)),
        vendor_type: job_type(row.get(1))?,
        vendor_id: row.get(2),
        trigger: trigger(row.get(3))?,
        parameters: row.get(4),
        status: job_status(row.get(5))?,
        status_message: row.get(6),
        results: row.get(7),
        start_time: row.get(8),
        update_time: row.get(9),
        end_time: row.get(10),
    })
}

/// Creates an execution and its tasks inside `tx`.
pub(crate) async fn insert_execution(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewExecution,
    now: i64,
) -> Result<ExecutionId, MetaError> {
    let id: i64 = sqlx::query(
        "INSERT INTO job_executions (vendor_type, vendor_id, trigger_kind, parameters, status, \
         start_time, update_time) VALUES ($1, $2, $3, $4, 'Pending', $5, $5) RETURNING id",
    )
    .bind(new.vendor_type.as_str())
    .bind(new.vendor_id)
    .bind(new.trigger.as_str())
    .bind(&new.parameters)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .get(0);
    for (job_id, max_runs, timeout_ms) in &new.tasks {
        sqlx::query(
            "INSERT INTO job_tasks (execution_id, vendor_type, job_id, status, max_runs, \
             timeout_ms, not_before, creation_time, update_time) \
             VALUES ($1, $2, $3, 'Pending', $4, $5, $6, $6, $6)",
        )
        .bind(id)
        .bind(new.vendor_type.as_str())
        .bind(job_id.as_str())
        .bind(i64::from(*max_runs))
        .bind(*timeout_ms)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    if new.tasks.is_empty() {
        sqlx::query("UPDATE job_executions SET status = 'Success', end_time = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(ExecutionId(id))
}

/// Whether a run of the vendor of `new` is still pending or running, checked under the
/// kind's queue lock (held until the transaction ends).
pub(crate) async fn busy(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewExecution,
    now: i64,
) -> Result<bool, MetaError> {
    super::pools::lock_queue(tx, new.vendor_type, now).await?;
    let row = sqlx::query(
        "SELECT 1 FROM job_executions WHERE vendor_type = $1 AND vendor_id = $2 \
         AND status IN ('Pending', 'Running') LIMIT 1",
    )
    .bind(new.vendor_type.as_str())
    .bind(new.vendor_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Sets an execution's status from its tasks' (and its end time once final).
pub(crate) async fn refresh_execution(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    now: i64,
) -> Result<(), MetaError> {
    let rows = sqlx::query("SELECT status, status_message FROM job_tasks WHERE execution_id = $1")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    let mut statuses = Vec::with_capacity(rows.len());
    let mut message = String::new();
    for r in &rows {
        let s = job_status(r.get(0))?;
        if s == JobStatus::Error && message.is_empty() {
            message = r.get(1);
        }
        statuses.push(s);
    }
    let Some(status) = JobStatus::of_execution(statuses) else {
        return Ok(());
    };
    let end = status.is_final().then_some(now);
    sqlx::query(
        "UPDATE job_executions SET status = $2, status_message = $3, update_time = $4, \
         end_time = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(message)
    .bind(now)
    .bind(end)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl MetaStore {
    /// Creates an execution. With `exclusive`, only when no execution of the same kind is
    /// still pending or running (`None` otherwise), checked under the kind's queue lock.
    pub async fn create_execution(
        &self,
        new: &NewExecution,
        exclusive: bool,
    ) -> Result<Option<ExecutionId>, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if exclusive && busy(&mut tx, new, now).await? {
            return Ok(None);
        }
        let id = insert_execution(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// One execution.
    pub async fn execution(&self, id: ExecutionId) -> Result<Option<ExecutionRow>, MetaError> {
        let sql = format!("SELECT {COLUMNS} FROM job_executions WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(execution)
            .transpose()
    }

    /// A page of a kind's executions, newest first, with the total.
    pub async fn executions(
        &self,
        vendor_type: JobType,
        vendor_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ExecutionRow>, i64), MetaError> {
        // Every execution of the kind when no vendor is given (`vendor_id >= $2` with the
        // smallest id berth uses).
        let (filter, vendor) = match vendor_id {
            Some(v) => ("vendor_type = $1 AND vendor_id = $2", v),
            None => ("vendor_type = $1 AND vendor_id >= $2", i64::MIN),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM job_executions WHERE {filter} ORDER BY id DESC \
             LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(vendor_type.as_str())
            .bind(vendor)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM job_executions WHERE {filter}"
        )))
        .bind(vendor_type.as_str())
        .bind(vendor)
        .fetch_one(&self.read)
        .await?
        .get(0);
        Ok((rows.iter().map(execution).collect::<Result<_, _>>()?, total))
    }

    /// Asks an execution to stop: its pending tasks stop at once, running ones when their
    /// owner next renews the lease. False for an unknown execution.
    pub async fn stop_execution(&self, id: ExecutionId) -> Result<bool, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // Tasks first, then the execution: the order every other writer takes them in, so
        // a stop never deadlocks with a claim or the end of a run (PostgreSQL).
        super::tasks::stop_tasks(&mut tx, "execution_id = $1", id.0, now).await?;
        let found = sqlx::query(
            "UPDATE job_executions SET stop_requested = 1, update_time = $2 WHERE id = $1",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if found.rows_affected() == 0 {
            return Ok(false);
        }
        refresh_execution(&mut tx, id.0, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the oldest finished executions of a vendor beyond its newest `keep`.
    pub async fn sweep_executions(
        &self,
        vendor_type: JobType,
        vendor_id: i64,
        keep: i64,
    ) -> Result<u64, MetaError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM job_executions WHERE vendor_type = $1 AND vendor_id = $3 \
             AND end_time IS NOT NULL \
             AND id < (SELECT COALESCE(MIN(id), 0) FROM (SELECT id FROM job_executions \
             WHERE vendor_type = $1 AND vendor_id = $3 ORDER BY id DESC LIMIT $2) newest)",
        )
        .bind(vendor_type.as_str())
        .bind(keep)
        .bind(vendor_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// The log of an execution: its tasks' lines in order.
    pub async fn execution_log(&self, id: ExecutionId) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query(
            "SELECT l.line FROM job_task_logs l JOIN job_tasks t ON t.id = l.task_id \
             WHERE t.execution_id = $1 ORDER BY t.id, l.id",
        )
        .bind(id.0)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
