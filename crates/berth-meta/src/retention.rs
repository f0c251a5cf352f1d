//! Tag retention policies (one per project, also named in the project's `retention_id`
//! metadata) and the per-repository records of their executions.

use berth_types::jobs::ExecutionId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A stored policy (its JSON as `RetentionPolicy`; the row's id is the policy's).
#[derive(Debug, Clone)]
pub struct RetentionRow {
    pub id: i64,
    pub project_id: i64,
    pub policy: String,
}

/// What one execution did to one repository.
#[derive(Debug, Clone)]
pub struct RetentionTaskRow {
    pub id: i64,
    pub execution_id: ExecutionId,
    pub repository: String,
    pub status: String,
    pub total: i64,
    pub retained: i64,
    pub log: String,
    pub start_time: i64,
    pub end_time: i64,
}

fn task(r: &AnyRow) -> RetentionTaskRow {
    RetentionTaskRow {
        id: r.get(0),
        execution_id: ExecutionId(r.get(1)),
        repository: r.get(2),
        status: r.get(3),
        total: r.get(4),
        retained: r.get(5),
        log: r.get(6),
        start_time: r.get(7),
        end_time: r.get(8),
    }
}

const TASK_COLUMNS: &str =
    "id, execution_id, repository, status, total, retained, log, start_time, end_time";

impl MetaStore {
    /// Stores a project's policy; `Conflict` when the project has one.
    pub async fn create_retention(&self, project_id: i64, policy: &str) -> Result<i64, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO retention_policies (project_id, policy, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(project_id)
        .bind(policy)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the project already has a retention policy"))?
        .get(0);
        sqlx::query(
            "INSERT INTO project_metadata (project_id, name, value) VALUES ($1, 'retention_id', $2) \
             ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(project_id)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn retention(&self, id: i64) -> Result<Option<RetentionRow>, MetaError> {
        let row =
            sqlx::query("SELECT id, project_id, policy FROM retention_policies WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        Ok(row.map(|r| RetentionRow {
            id: r.get(0),
            project_id: r.get(1),
            policy: r.get(2),
        }))
    }

    /// The id of a project's policy.
    pub async fn retention_of_project(&self, project_id: i64) -> Result<Option<i64>, MetaError> {
        let row = sqlx::query("SELECT id FROM retention_policies WHERE project_id = $1")
            .bind(project_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Replaces a policy's JSON; false for an unknown policy.
    pub async fn update_retention(&self, id: i64, policy: &str) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE retention_policies SET policy = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(policy)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a policy and its project's `retention_id`; false for an unknown policy.
    pub async fn delete_retention(&self, id: i64) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("DELETE FROM retention_policies WHERE id = $1 RETURNING project_id")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let project: i64 = row.get(0);
        sqlx::query("DELETE FROM project_metadata WHERE project_id = $1 AND name = 'retention_id'")
            .bind(project)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records (or, on a run again, replaces) what an execution did to a repository.
    pub async fn record_retention_task(&self, t: &RetentionTaskRow) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO retention_tasks (execution_id, repository, status, total, retained, log, \
             start_time, end_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (execution_id, repository) DO UPDATE SET status = excluded.status, \
             total = excluded.total, retained = excluded.retained, log = excluded.log, \
             start_time = excluded.start_time, end_time = excluded.end_time",
        )
        .bind(t.execution_id.0)
        .bind(&t.repository)
        .bind(&t.status)
        .bind(t.total)
        .bind(t.retained)
        .bind(&t.log)
        .bind(t.start_time)
        .bind(t.end_time)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of an execution's repository records, with the total.
    pub async fn retention_tasks(
        &self,
        execution: ExecutionId,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RetentionTaskRow>, i64), MetaError> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM retention_tasks WHERE execution_id = $1 ORDER BY id \
             LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(execution.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) FROM retention_tasks WHERE execution_id = $1")
                .bind(execution.0)
                .fetch_one(&self.read)
                .await?
                .get(0);
        Ok((rows.iter().map(task).collect(), total))
    }

    /// One repository record.
    pub async fn retention_task(&self, id: i64) -> Result<Option<RetentionTaskRow>, MetaError> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM retention_tasks WHERE id = $1");
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(task))
    }
}
