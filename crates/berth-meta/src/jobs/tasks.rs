//! Tasks: claimed by a node under a lease, renewed while they run, ended once.

use berth_types::jobs::{ExecutionId, JobId, JobStatus, JobType, TaskId, Trigger};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::executions::refresh_execution;
use super::{insert_lines, job_status, job_type, trigger};
use crate::{MetaError, MetaStore, now_ms};

/// A task a node has just claimed, with what it needs to run it.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    pub id: TaskId,
    pub execution_id: ExecutionId,
    pub job_id: JobId,
    pub vendor_type: JobType,
    /// The execution's vendor (a retention policy's id; -1 for system jobs).
    pub vendor_id: i64,
    pub trigger: Trigger,
    /// The execution's parameters (JSON object).
    pub parameters: String,
    /// This run's number, from 1.
    pub run: u32,
    pub max_runs: u32,
    pub timeout_ms: i64,
}

/// A task as `/jobservice` shows it.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: TaskId,
    pub execution_id: ExecutionId,
    pub job_id: JobId,
    pub vendor_type: JobType,
    pub status: JobStatus,
    pub owner: Option<String>,
    pub check_in: String,
    pub start_time: Option<i64>,
    pub update_time: i64,
}

/// What a lease renewal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Go on.
    Renewed,
    /// Someone asked the task to stop.
    StopRequested,
    /// The task is no longer this node's (its lease ran out and it was taken back).
    Lost,
}

/// How a run of a task ended.
#[derive(Debug, Clone)]
pub enum TaskEnd {
    Success,
    Stopped,
    /// Failed; with runs left it goes back to Pending, not before the given time (unless
    /// it was asked to stop meanwhile: then it ends Stopped).
    Failed {
        message: String,
        retry_at: Option<i64>,
    },
}

const TASK_COLUMNS: &str = "t.id, t.execution_id, t.job_id, t.vendor_type, t.status, t.owner, \
                            t.check_in, t.start_time, t.update_time";

fn task(row: &AnyRow) -> Result<TaskRow, MetaError> {
    Ok(TaskRow {
        id: TaskId(row.get(0)),
        execution_id: ExecutionId(row.get(1)),
        job_id: JobId::from_stored(row.get(2)),
        vendor_type: job_type(row.get(3))?,
        status: job_status(row.get(4))?,
        owner: row.get(5),
        check_in: row.get(6),
        start_time: row.get(7),
        update_time: row.get(8),
    })
}

/// Stops the unfinished tasks matching `filter` (with `$1` bound to `arg`): pending ones at
/// once, running ones flagged for their owner.
pub(crate) async fn stop_tasks(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    filter: &str,
    arg: i64,
    now: i64,
) -> Result<(), MetaError> {
    let sql = format!(
        "UPDATE job_tasks SET status = 'Stopped', end_time = $2, update_time = $2 \
         WHERE {filter} AND status = 'Pending'"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(arg)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let sql = format!(
        "UPDATE job_tasks SET stop_requested = 1, update_time = $2 \
         WHERE {filter} AND status = 'Running'"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(arg)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl MetaStore {
    /// Claims the oldest due pending task of a job type that is not paused and runs fewer
    /// than its limit (`limit(type)`), for `owner` with a lease of `lease_ms`.
    pub async fn claim_task(
        &self,
        owner: &str,
        lease_ms: i64,
        limit: impl Fn(JobType) -> i64,
    ) -> Result<Option<ClaimedTask>, MetaError> {
        let now = now_ms();
        let types = sqlx::query(
            "SELECT DISTINCT t.vendor_type FROM job_tasks t \
             LEFT JOIN job_queues q ON q.job_type = t.vendor_type \
             WHERE t.status = 'Pending' AND t.not_before <= $1 AND COALESCE(q.paused, 0) = 0",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        for row in types {
            let Ok(kind) = job_type(row.get(0)) else {
                continue;
            };
            if let Some(claimed) = self
                .claim_of_type(owner, lease_ms, kind, limit(kind))
                .await?
            {
                return Ok(Some(claimed));
            }
        }
        Ok(None)
    }

    async fn claim_of_type(
        &self,
        owner: &str,
        lease_ms: i64,
        kind: JobType,
        limit: i64,
    ) -> Result<Option<ClaimedTask>, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if !super::pools::lock_queue(&mut tx, kind, now).await? {
            return Ok(None);
        }
        let running: i64 = sqlx::query(
            "SELECT COUNT(*) FROM job_tasks WHERE vendor_type = $1 AND status = 'Running'",
        )
        .bind(kind.as_str())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        if running >= limit {
            return Ok(None);
        }
        let Some(row) = sqlx::query(
            "SELECT t.id, t.execution_id, t.job_id, t.run_count, t.max_runs, t.timeout_ms, \
             e.trigger_kind, e.parameters, e.vendor_id FROM job_tasks t \
             JOIN job_executions e ON e.id = t.execution_id \
             WHERE t.vendor_type = $1 AND t.status = 'Pending' AND t.not_before <= $2 \
             AND NOT EXISTS (SELECT 1 FROM job_tasks r \
                 JOIN job_executions re ON re.id = r.execution_id \
                 WHERE r.status = 'Running' AND re.vendor_type = e.vendor_type \
                 AND re.vendor_id = e.vendor_id) \
             ORDER BY t.not_before, t.id LIMIT 1",
        )
        .bind(kind.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.get(0);
        let execution: i64 = row.get(1);
        let taken = sqlx::query(
            "UPDATE job_tasks SET status = 'Running', owner = $2, lease_until = $3, \
             run_count = run_count + 1, start_time = COALESCE(start_time, $4), \
             update_time = $4, status_message = '' WHERE id = $1 AND status = 'Pending'",
        )
        .bind(id)
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            return Ok(None);
        }
        refresh_execution(&mut tx, execution, now).await?;
        tx.commit().await?;
        let run_count: i64 = row.get(3);
        let max_runs: i64 = row.get(4);
        Ok(Some(ClaimedTask {
            id: TaskId(id),
            execution_id: ExecutionId(execution),
            job_id: JobId::from_stored(row.get(2)),
            vendor_type: kind,
            vendor_id: row.get(8),
            trigger: trigger(row.get(6))?,
            parameters: row.get(7),
            run: u32::try_from(run_count + 1).unwrap_or(u32::MAX),
            max_runs: u32::try_from(max_runs).unwrap_or(1),
            timeout_ms: row.get(5),
        }))
    }

    /// Renews `owner`'s lease on a running task, records its progress and writes its new
    /// log lines.
    pub async fn renew_task(
        &self,
        id: TaskId,
        owner: &str,
        lease_ms: i64,
        check_in: &str,
        lines: &[String],
    ) -> Result<Heartbeat, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let renewed = sqlx::query(
            "UPDATE job_tasks SET lease_until = $3, check_in = $4, update_time = $5 \
             WHERE id = $1 AND owner = $2 AND status = 'Running' RETURNING stop_requested",
        )
        .bind(id.0)
        .bind(owner)
        .bind(now + lease_ms)
        .bind(check_in)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = renewed else {
            return Ok(Heartbeat::Lost);
        };
        insert_lines(&mut tx, id.0, lines).await?;
        tx.commit().await?;
        let stop: i64 = row.get(0);
        Ok(if stop != 0 {
            Heartbeat::StopRequested
        } else {
            Heartbeat::Renewed
        })
    }

    /// Ends `owner`'s run of a task, with its last log lines and, for the execution, what
    /// it reported. False when the task was no longer this owner's.
    pub async fn end_task(
        &self,
        id: TaskId,
        owner: &str,
        end: &TaskEnd,
        results: Option<&str>,
        lines: &[String],
    ) -> Result<bool, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (status, message, not_before) = match end {
            TaskEnd::Success => ("Success", "", None),
            TaskEnd::Stopped => ("Stopped", "", None),
            TaskEnd::Failed {
                message,
                retry_at: Some(at),
            } => ("Pending", message.as_str(), Some(*at)),
            TaskEnd::Failed { message, .. } => ("Error", message.as_str(), None),
        };
        let end_time = not_before.is_none().then_some(now);
        let row = sqlx::query(
            "UPDATE job_tasks SET \
             status = CASE WHEN $3 = 'Pending' AND stop_requested = 1 THEN 'Stopped' ELSE $3 END, \
             status_message = $4, owner = NULL, lease_until = NULL, \
             not_before = COALESCE($5, not_before), \
             end_time = CASE WHEN $3 = 'Pending' AND stop_requested = 1 THEN $7 ELSE $6 END, \
             update_time = $7 WHERE id = $1 AND owner = $2 AND status = 'Running' \
             RETURNING execution_id",
        )
        .bind(id.0)
        .bind(owner)
        .bind(status)
        .bind(message)
        .bind(not_before)
        .bind(end_time)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let execution: i64 = row.get(0);
        insert_lines(&mut tx, id.0, lines).await?;
        if let Some(results) = results {
            sqlx::query("UPDATE job_executions SET results = $2 WHERE id = $1")
                .bind(execution)
                .bind(results)
                .execute(&mut *tx)
                .await?;
        }
        refresh_execution(&mut tx, execution, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Takes back running tasks whose lease ran out (their node died or hung): back to
    /// Pending when runs are left, else Error, with `line` in each one's log. Returns how
    /// many.
    pub async fn reap_tasks(&self, retry_at: i64, line: &str) -> Result<u64, MetaError> {
        let now = now_ms();
        let expired =
            sqlx::query("SELECT id FROM job_tasks WHERE status = 'Running' AND lease_until < $1")
                .bind(now)
                .fetch_all(&self.read)
                .await?;
        let mut reaped = 0;
        for row in expired {
            let id: i64 = row.get(0);
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE job_tasks SET \
                 status = CASE WHEN run_count < max_runs AND stop_requested = 0 \
                     THEN 'Pending' WHEN stop_requested = 1 THEN 'Stopped' ELSE 'Error' END, \
                 status_message = 'the worker running the task stopped', owner = NULL, \
                 lease_until = NULL, not_before = $2, update_time = $3, \
                 end_time = CASE WHEN run_count < max_runs AND stop_requested = 0 \
                     THEN NULL ELSE $3 END \
                 WHERE id = $1 AND status = 'Running' AND lease_until < $3 \
                 RETURNING execution_id",
            )
            .bind(id)
            .bind(retry_at)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = done {
                insert_lines(&mut tx, id, &[line.to_owned()]).await?;
                refresh_execution(&mut tx, r.get(0), now).await?;
                reaped += 1;
            }
            tx.commit().await?;
        }
        Ok(reaped)
    }

    /// A task by its job-service id.
    pub async fn task_by_job_id(&self, job: &JobId) -> Result<Option<TaskRow>, MetaError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM job_tasks t WHERE t.job_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(job.as_str())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(task)
            .transpose()
    }

    /// Running tasks, oldest first.
    pub async fn running_tasks(&self) -> Result<Vec<TaskRow>, MetaError> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM job_tasks t WHERE t.status = 'Running' ORDER BY t.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(task).collect()
    }

    /// Stops one task (by job id) and updates its execution. False for an unknown job.
    pub async fn stop_task(&self, job: &JobId) -> Result<bool, MetaError> {
        let Some(t) = self.task_by_job_id(job).await? else {
            return Ok(false);
        };
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        stop_tasks(&mut tx, "id = $1", t.id.0, now).await?;
        refresh_execution(&mut tx, t.execution_id.0, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stops every unfinished task of a job type.
    pub async fn stop_tasks_of_type(&self, kind: JobType) -> Result<(), MetaError> {
        let executions = sqlx::query(
            "SELECT DISTINCT execution_id FROM job_tasks WHERE vendor_type = $1 \
             AND status IN ('Pending', 'Running')",
        )
        .bind(kind.as_str())
        .fetch_all(&self.read)
        .await?;
        for row in executions {
            let id: i64 = row.get(0);
            self.stop_execution(ExecutionId(id)).await?;
        }
        Ok(())
    }

    /// The log lines of one task.
    pub async fn task_log(&self, id: TaskId) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query("SELECT line FROM job_task_logs WHERE task_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl MetaStore {
    /// The job ids of an execution's tasks, oldest first.
    pub async fn job_ids_of(&self, execution: ExecutionId) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query("SELECT job_id FROM job_tasks WHERE execution_id = $1 ORDER BY id")
            .bind(execution.0)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
