//! Periodic schedules, fired once per due time however many nodes look at them.

use berth_types::jobs::{ExecutionId, JobType};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::executions::{NewExecution, insert_execution};
use super::job_type;
use crate::{MetaError, MetaStore, now_ms};

/// A schedule as stored.
#[derive(Debug, Clone)]
pub struct ScheduleRow {
    pub id: i64,
    pub vendor_type: JobType,
    pub vendor_id: i64,
    /// How the user chose it: `Hourly`, `Daily`, `Weekly`, `Custom`.
    pub cron_type: String,
    pub cron: String,
    /// JSON object handed to each run.
    pub parameters: String,
    /// Unix milliseconds of the next run.
    pub next_time: i64,
    pub creation_time: i64,
    pub update_time: i64,
}

const COLUMNS: &str = "id, vendor_type, vendor_id, cron_type, cron, parameters, next_time, \
                       creation_time, update_time";

fn schedule(row: &AnyRow) -> Result<ScheduleRow, MetaError> {
    Ok(ScheduleRow {
        id: row.get(0),
        vendor_type: job_type(row.get(1))?,
        vendor_id: row.get(2),
        cron_type: row.get(3),
        cron: row.get(4),
        parameters: row.get(5),
        next_time: row.get(6),
        creation_time: row.get(7),
        update_time: row.get(8),
    })
}

impl MetaStore {
    /// Sets the one schedule of a vendor (replacing any earlier one).
    pub async fn put_schedule(
        &self,
        vendor_type: JobType,
        vendor_id: i64,
        cron_type: &str,
        cron: &str,
        parameters: &str,
        next_time: i64,
    ) -> Result<(), MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO job_schedules (vendor_type, vendor_id, cron_type, cron, parameters, \
             next_time, creation_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (vendor_type, vendor_id) DO UPDATE SET cron_type = excluded.cron_type, \
             cron = excluded.cron, parameters = excluded.parameters, \
             next_time = excluded.next_time, update_time = excluded.update_time",
        )
        .bind(vendor_type.as_str())
        .bind(vendor_id)
        .bind(cron_type)
        .bind(cron)
        .bind(parameters)
        .bind(next_time)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a vendor's schedule; false when it had none.
    pub async fn delete_schedule(
        &self,
        vendor_type: JobType,
        vendor_id: i64,
    ) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("DELETE FROM job_schedules WHERE vendor_type = $1 AND vendor_id = $2")
                .bind(vendor_type.as_str())
                .bind(vendor_id)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// A vendor's schedule.
    pub async fn schedule(
        &self,
        vendor_type: JobType,
        vendor_id: i64,
    ) -> Result<Option<ScheduleRow>, MetaError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM job_schedules WHERE vendor_type = $1 AND vendor_id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(vendor_type.as_str())
            .bind(vendor_id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(schedule)
            .transpose()
    }

    /// A page of every schedule, by id, with the total.
    pub async fn schedules(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ScheduleRow>, i64), MetaError> {
        let sql = format!("SELECT {COLUMNS} FROM job_schedules ORDER BY id LIMIT $1 OFFSET $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM job_schedules")
            .fetch_one(&self.read)
            .await?
            .get(0);
        Ok((rows.iter().map(schedule).collect::<Result<_, _>>()?, total))
    }

    /// Schedules due at `now` whose job type is not paused.
    pub async fn due_schedules(&self, now: i64) -> Result<Vec<ScheduleRow>, MetaError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM job_schedules s WHERE s.next_time <= $1 AND NOT EXISTS \
             (SELECT 1 FROM job_queues q WHERE q.job_type = s.vendor_type AND q.paused = 1) \
             ORDER BY s.next_time"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(schedule).collect()
    }

    /// Fires a due schedule: moves its next time from `due.next_time` to `next_time` and
    /// creates the run's execution, in one transaction. `None` when another node fired it
    /// first (or it changed), or, with `exclusive`, when a run of the vendor is still
    /// pending or running (this due time is skipped, so runs never pile up).
    pub async fn fire_schedule(
        &self,
        due: &ScheduleRow,
        next_time: i64,
        run: &NewExecution,
        exclusive: bool,
    ) -> Result<Option<ExecutionId>, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let moved =
            sqlx::query("UPDATE job_schedules SET next_time = $3 WHERE id = $1 AND next_time = $2")
                .bind(due.id)
                .bind(due.next_time)
                .bind(next_time)
                .execute(&mut *tx)
                .await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        if exclusive && super::executions::busy(&mut tx, run, now).await? {
            // The move of the next time stays: this due time is skipped.
            tx.commit().await?;
            return Ok(None);
        }
        let id = insert_execution(&mut tx, run, now).await?;
        tx.commit().await?;
        Ok(Some(id))
    }
}
