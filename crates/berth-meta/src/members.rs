//! Project members: who holds which role on a project.

use berth_types::{ProjectId, Role, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A member as listed: a user (entity type `u`) or, later, a group (`g`).
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: i64,
    pub project_id: ProjectId,
    pub entity_type: String,
    pub entity_id: i64,
    pub entity_name: String,
    pub role: Role,
}

const MEMBER_SELECT: &str = "SELECT pm.id, pm.project_id, pm.entity_type, pm.entity_id, u.username, \
     pm.role_id FROM project_members pm JOIN users u ON pm.entity_type = 'u' AND u.id = pm.entity_id";

fn member_row(r: &AnyRow) -> Option<MemberRow> {
    Some(MemberRow {
        id: r.get(0),
        project_id: ProjectId(r.get(1)),
        entity_type: r.get(2),
        entity_id: r.get(3),
        entity_name: r.get(4),
        role: Role::from_id(r.get(5))?,
    })
}

impl MetaStore {
    /// Makes a user a member. [`MetaError::Conflict`] when it already is one.
    pub async fn add_member(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
    ) -> Result<i64, MetaError> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO project_members (project_id, entity_type, entity_id, role_id, created_at, \
             updated_at) VALUES ($1, 'u', $2, $3, $4, $5) RETURNING id",
        )
        .bind(project.0)
        .bind(user.0)
        .bind(role.id())
        .bind(now)
        .bind(now)
        .fetch_one(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the user is already a member of the project"))?;
        Ok(row.get(0))
    }

    /// The members of a project in name order, optionally those whose name contains `name`.
    pub async fn list_members(
        &self,
        project: ProjectId,
        name: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64), MetaError> {
        let pattern = format!(
            "%{}%",
            name.unwrap_or("")
                .to_lowercase()
                .replace(['%', '_', '\\'], "")
        );
        let sql = format!(
            "{MEMBER_SELECT} WHERE pm.project_id = $1 AND LOWER(u.username) LIKE $2 \
             ORDER BY u.username LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.0)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) FROM project_members pm JOIN users u ON pm.entity_type = 'u' \
             AND u.id = pm.entity_id WHERE pm.project_id = $1 AND LOWER(u.username) LIKE $2",
        )
        .bind(project.0)
        .bind(&pattern)
        .fetch_one(&self.read)
        .await?
        .get(0);
        Ok((rows.iter().filter_map(member_row).collect(), total))
    }

    pub async fn member(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Option<MemberRow>, MetaError> {
        let sql = format!("{MEMBER_SELECT} WHERE pm.project_id = $1 AND pm.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project.0)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().and_then(member_row))
    }

    /// Changes a member's role. False when there is no such member.
    pub async fn set_member_role(
        &self,
        project: ProjectId,
        id: i64,
        role: Role,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "UPDATE project_members SET role_id = $1, updated_at = $2 WHERE project_id = $3 AND id = $4",
        )
        .bind(role.id())
        .bind(now_ms())
        .bind(project.0)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a member. False when there is no such member.
    pub async fn delete_member(&self, project: ProjectId, id: i64) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND id = $2")
            .bind(project.0)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
