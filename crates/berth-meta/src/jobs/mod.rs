//! The job service's tables: executions and their tasks, task logs, schedules, queues and
//! worker pools.
//!
//! A task moves Pending → Running when a node claims it (a compare-and-set on its status,
//! with the job type's queue row locked so a concurrency limit holds across nodes), stays
//! Running while its owner renews the lease, and ends Success, Error or Stopped; a lease
//! that runs out sends it back to Pending (runs left) or to Error. An execution's status is
//! derived from its tasks' in the transaction that changes one of them.

mod executions;
mod pools;
mod schedules;
mod tasks;

pub use executions::{ExecutionRow, NewExecution};
pub use pools::{PoolRow, QueueRow};
pub use schedules::ScheduleRow;
pub use tasks::{ClaimedTask, Heartbeat, TaskEnd, TaskRow};

use berth_types::jobs::{JobStatus, JobType, Trigger};

use crate::MetaError;

pub(crate) fn job_type(s: &str) -> Result<JobType, MetaError> {
    JobType::parse(s).ok_or_else(|| MetaError::Corrupt(format!("job type {s}")))
}

pub(crate) fn job_status(s: &str) -> Result<JobStatus, MetaError> {
    JobStatus::parse(s).ok_or_else(|| MetaError::Corrupt(format!("job status {s}")))
}

pub(crate) fn trigger(s: &str) -> Result<Trigger, MetaError> {
    Trigger::parse(s).ok_or_else(|| MetaError::Corrupt(format!("job trigger {s}")))
}

/// Writes log lines of a task, many rows per statement.
pub(crate) async fn insert_lines(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    task: i64,
    lines: &[String],
) -> Result<(), MetaError> {
    for chunk in lines.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${})", i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO job_task_logs (task_id, line) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(task);
        for line in chunk {
            q = q.bind(line);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
