//! Tag immutability rules, as Harbor's rule JSON per project.

use berth_types::ProjectId;
use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

impl MetaStore {
    /// The rules of a project, by id, as JSON.
    pub async fn immutable_rules(
        &self,
        project: ProjectId,
    ) -> Result<Vec<(i64, String)>, MetaError> {
        let rows =
            sqlx::query("SELECT id, rule FROM immutable_rules WHERE project_id = $1 ORDER BY id")
                .bind(project.0)
                .fetch_all(&self.read)
                .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The rules of the project a repository name starts with (the push path's one lookup).
    pub async fn immutable_rules_of_project(
        &self,
        project: &str,
    ) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query(
            "SELECT ir.rule FROM immutable_rules ir JOIN projects p ON p.id = ir.project_id \
             WHERE p.name = $1 ORDER BY ir.id",
        )
        .bind(project)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn create_immutable_rule(
        &self,
        project: ProjectId,
        rule: &str,
    ) -> Result<i64, MetaError> {
        let row = sqlx::query(
            "INSERT INTO immutable_rules (project_id, rule, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(project.0)
        .bind(rule)
        .bind(now_ms())
        .fetch_one(&self.write)
        .await?;
        Ok(row.get(0))
    }

    /// False when the project has no such rule.
    pub async fn update_immutable_rule(
        &self,
        project: ProjectId,
        id: i64,
        rule: &str,
    ) -> Result<bool, MetaError> {
        let done =
            sqlx::query("UPDATE immutable_rules SET rule = $1 WHERE id = $2 AND project_id = $3")
                .bind(rule)
                .bind(id)
                .bind(project.0)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_immutable_rule(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM immutable_rules WHERE id = $1 AND project_id = $2")
            .bind(id)
            .bind(project.0)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
