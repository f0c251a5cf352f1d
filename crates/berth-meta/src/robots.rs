//! Robot accounts.

use berth_types::ProjectId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A robot as stored.
#[derive(Debug, Clone)]
pub struct RobotRow {
    pub id: i64,
    /// Without prefix and project.
    pub name: String,
    pub description: String,
    /// "system" or "project".
    pub level: String,
    /// The project of a project-level robot.
    pub project_id: Option<ProjectId>,
    pub secret_hash: String,
    pub disabled: bool,
    pub duration: i64,
    pub expires_at: i64,
    /// Harbor's permission JSON.
    pub permissions: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A robot to create.
#[derive(Debug, Clone)]
pub struct NewRobot<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub level: &'a str,
    pub project_id: Option<ProjectId>,
    pub secret_hash: &'a str,
    pub disabled: bool,
    pub duration: i64,
    pub expires_at: i64,
    pub permissions: &'a str,
}

const ROBOT_COLUMNS: &str = "id, name, description, level, project_id, secret_hash, disabled, \
     duration, expires_at, permissions, created_at, updated_at";

fn robot_row(r: &AnyRow) -> RobotRow {
    let project: i64 = r.get(4);
    RobotRow {
        id: r.get(0),
        name: r.get(1),
        description: r.get(2),
        level: r.get(3),
        project_id: (project > 0).then_some(ProjectId(project)),
        secret_hash: r.get(5),
        disabled: r.get::<i64, _>(6) != 0,
        duration: r.get(7),
        expires_at: r.get(8),
        permissions: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
    }
}

impl MetaStore {
    /// Creates a robot. [`MetaError::Conflict`] when the name is taken at that level.
    pub async fn create_robot(&self, robot: &NewRobot<'_>) -> Result<(i64, i64), MetaError> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO robots (name, description, level, project_id, secret_hash, disabled, \
             duration, expires_at, permissions, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(robot.name)
        .bind(robot.description)
        .bind(robot.level)
        .bind(robot.project_id.map_or(0, |p| p.0))
        .bind(robot.secret_hash)
        .bind(i64::from(robot.disabled))
        .bind(robot.duration)
        .bind(robot.expires_at)
        .bind(robot.permissions)
        .bind(now)
        .bind(now)
        .fetch_one(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "a robot of that name already exists"))?;
        Ok((row.get(0), now))
    }

    pub async fn robot(&self, id: i64) -> Result<Option<RobotRow>, MetaError> {
        let sql = format!("SELECT {ROBOT_COLUMNS} FROM robots WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(robot_row))
    }

    /// A robot by its name at a level (`project` for a project robot).
    pub async fn robot_by_name(
        &self,
        project: Option<ProjectId>,
        name: &str,
    ) -> Result<Option<RobotRow>, MetaError> {
        let level = if project.is_some() {
            "project"
        } else {
            "system"
        };
        let sql = format!(
            "SELECT {ROBOT_COLUMNS} FROM robots WHERE level = $1 AND project_id = $2 AND name = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(level)
            .bind(project.map_or(0, |p| p.0))
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(robot_row))
    }

    /// A page of robots of one level (and project), in name order, and their total.
    pub async fn list_robots(
        &self,
        project: Option<ProjectId>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<RobotRow>, i64), MetaError> {
        let level = if project.is_some() {
            "project"
        } else {
            "system"
        };
        let pid = project.map_or(0, |p| p.0);
        let sql = format!(
            "SELECT {ROBOT_COLUMNS} FROM robots WHERE level = $1 AND project_id = $2 \
             ORDER BY name LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(level)
            .bind(pid)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) FROM robots WHERE level = $1 AND project_id = $2")
                .bind(level)
                .bind(pid)
                .fetch_one(&self.read)
                .await?
                .get(0);
        Ok((rows.iter().map(robot_row).collect(), total))
    }

    /// Updates what may change on a robot. False when it does not exist.
    pub async fn update_robot(
        &self,
        id: i64,
        description: &str,
        disabled: bool,
        duration: i64,
        expires_at: i64,
        permissions: &str,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "UPDATE robots SET description = $1, disabled = $2, duration = $3, expires_at = $4, \
             permissions = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(description)
        .bind(i64::from(disabled))
        .bind(duration)
        .bind(expires_at)
        .bind(permissions)
        .bind(now_ms())
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_robot_secret(&self, id: i64, hash: &str) -> Result<bool, MetaError> {
        let done = sqlx::query("UPDATE robots SET secret_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_ms())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_robot(&self, id: i64) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM robots WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
