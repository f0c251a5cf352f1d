//! Labels (global or of a project) and their links to artifacts.

use berth_types::{ManifestId, ProjectId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A label as stored.
#[derive(Debug, Clone)]
pub struct LabelRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub color: String,
    /// "g" (global) or "p" (a project's).
    pub scope: String,
    pub project_id: Option<ProjectId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a label is made of.
#[derive(Debug, Clone)]
pub struct LabelFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub color: &'a str,
}

const COLUMNS: &str = "l.id, l.name, l.description, l.color, l.scope, l.project_id, \
     l.created_at, l.updated_at";

fn label_row(r: &AnyRow) -> LabelRow {
    let project: i64 = r.get(5);
    LabelRow {
        id: r.get(0),
        name: r.get(1),
        description: r.get(2),
        color: r.get(3),
        scope: r.get(4),
        project_id: (project > 0).then_some(ProjectId(project)),
        created_at: r.get(6),
        updated_at: r.get(7),
    }
}

impl MetaStore {
    /// Creates a label; [`MetaError::Conflict`] when its scope already has that name.
    pub async fn create_label(
        &self,
        project: Option<ProjectId>,
        fields: &LabelFields<'_>,
    ) -> Result<i64, MetaError> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO labels (name, description, color, scope, project_id, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(fields.name)
        .bind(fields.description)
        .bind(fields.color)
        .bind(if project.is_some() { "p" } else { "g" })
        .bind(project.map_or(0, |p| p.0))
        .bind(now)
        .bind(now)
        .fetch_one(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "a label of that name already exists"))?;
        Ok(row.get(0))
    }

    pub async fn label(&self, id: i64) -> Result<Option<LabelRow>, MetaError> {
        let sql = format!("SELECT {COLUMNS} FROM labels l WHERE l.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(label_row))
    }

    /// A page of the labels of a scope (global, or a project's), in name order, and their
    /// total.
    pub async fn list_labels(
        &self,
        project: Option<ProjectId>,
        name: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<LabelRow>, i64), MetaError> {
        let filter = "l.scope = $1 AND l.project_id = $2 AND ($3 = '' OR l.name = $4)";
        let scope = if project.is_some() { "p" } else { "g" };
        let pid = project.map_or(0, |p| p.0);
        let sql = format!(
            "SELECT {COLUMNS} FROM labels l WHERE {filter} ORDER BY l.name LIMIT $5 OFFSET $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope)
            .bind(pid)
            .bind(name.unwrap_or(""))
            .bind(name.unwrap_or(""))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let count = format!("SELECT COUNT(*) FROM labels l WHERE {filter}");
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(count))
            .bind(scope)
            .bind(pid)
            .bind(name.unwrap_or(""))
            .bind(name.unwrap_or(""))
            .fetch_one(&self.read)
            .await?
            .get(0);
        Ok((rows.iter().map(label_row).collect(), total))
    }

    pub async fn update_label(&self, id: i64, fields: &LabelFields<'_>) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "UPDATE labels SET name = $1, description = $2, color = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(fields.name)
        .bind(fields.description)
        .bind(fields.color)
        .bind(now_ms())
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "a label of that name already exists"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a label and its links to artifacts.
    pub async fn delete_label(&self, id: i64) -> Result<bool, MetaError> {
        let done = sqlx::query("DELETE FROM labels WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Links a label to an artifact; [`MetaError::Conflict`] when it already is.
    pub async fn attach_label(&self, artifact: ManifestId, label: i64) -> Result<(), MetaError> {
        sqlx::query(
            "INSERT INTO artifact_labels (manifest_id, label_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(artifact.0)
        .bind(label)
        .bind(now_ms())
        .execute(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the label is already on the artifact"))?;
        Ok(())
    }

    pub async fn detach_label(&self, artifact: ManifestId, label: i64) -> Result<bool, MetaError> {
        let done =
            sqlx::query("DELETE FROM artifact_labels WHERE manifest_id = $1 AND label_id = $2")
                .bind(artifact.0)
                .bind(label)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The labels on several artifacts, as (artifact, label) pairs.
    pub async fn labels_of(
        &self,
        artifacts: &[ManifestId],
    ) -> Result<Vec<(ManifestId, LabelRow)>, MetaError> {
        if artifacts.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::artifacts::placeholders(1, artifacts.len());
        let sql = format!(
            "SELECT {COLUMNS}, al.manifest_id FROM artifact_labels al \
             JOIN labels l ON l.id = al.label_id WHERE al.manifest_id IN ({list}) ORDER BY l.name"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in artifacts {
            query = query.bind(a.0);
        }
        let rows = query.fetch_all(&self.read).await?;
        Ok(rows
            .iter()
            .map(|r| (ManifestId(r.get(8)), label_row(r)))
            .collect())
    }
}
