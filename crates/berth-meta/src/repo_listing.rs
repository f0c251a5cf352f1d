//! Repositories as Harbor's API lists them, with their project, description, artifact count
//! and pull count. A repository whose artifacts were all deleted stays listed (with no
//! artifacts) until it is deleted, as in Harbor.

use berth_types::{ProjectId, RepoId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::projects::like_escape;
use crate::{MetaError, MetaStore, ProjectScope};

/// A repository as the API shows it.
#[derive(Debug, Clone)]
pub struct RepositoryRow {
    pub id: RepoId,
    pub project_id: ProjectId,
    /// The full name, project included.
    pub name: String,
    pub description: String,
    pub artifact_count: i64,
    pub pull_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters and order of a repository listing.
#[derive(Debug, Clone, Default)]
pub struct RepositoryFilter {
    /// Only this project's repositories.
    pub project: Option<ProjectId>,
    pub name_exact: Option<String>,
    pub name_contains: Option<String>,
    /// Order by name (else by creation time, newest first).
    pub by_name: bool,
    pub descending: bool,
}

const COLUMNS: &str = "r.id, p.id, r.name, r.description, \
     (SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND m.accessory_type IS NULL), \
     r.pull_count, r.created_at, r.updated_at";

const FROM: &str = "FROM repositories r JOIN projects p \
     ON substr(r.name, 1, length(p.name) + 1) = p.name || '/'";

fn repository_row(r: &AnyRow) -> RepositoryRow {
    RepositoryRow {
        id: RepoId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        name: r.get(2),
        description: r.get(3),
        artifact_count: r.get(4),
        pull_count: r.get(5),
        created_at: r.get(6),
        updated_at: r.get(7),
    }
}

impl MetaStore {
    /// A page of the repositories the scope may see, and how many match in all.
    pub async fn list_repositories(
        &self,
        scope: ProjectScope,
        filter: &RepositoryFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<RepositoryRow>, i64), MetaError> {
        let mut texts: Vec<String> = Vec::new();
        let mut conditions = Vec::new();
        if let Some(visible) = crate::projects::scope_condition(scope) {
            conditions.push(visible);
        }
        if let Some(project) = filter.project {
            conditions.push(format!("p.id = {}", project.0));
        }
        if let Some(name) = &filter.name_exact {
            texts.push(name.clone());
            conditions.push(format!("r.name = ${}", texts.len()));
        }
        if let Some(part) = &filter.name_contains {
            texts.push(format!("%{}%", like_escape(&part.to_lowercase())));
            conditions.push(format!("LOWER(r.name) LIKE ${} ESCAPE '\\'", texts.len()));
        }
        let dir = if filter.descending { "DESC" } else { "ASC" };
        let order = if filter.by_name {
            format!("r.name {dir}")
        } else if filter.descending {
            "r.created_at DESC, r.id DESC".to_owned()
        } else {
            "r.created_at ASC, r.id ASC".to_owned()
        };
        let where_sql = if conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            conditions.join(" AND ")
        };
        let n = texts.len();
        let sql = format!(
            "SELECT {COLUMNS} {FROM} WHERE {where_sql} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in &texts {
            query = query.bind(t.clone());
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await?;
        let mut count = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) {FROM} WHERE {where_sql}"
        )));
        for t in &texts {
            count = count.bind(t.clone());
        }
        let total: i64 = count.fetch_one(&self.read).await?.get(0);
        Ok((rows.iter().map(repository_row).collect(), total))
    }

    /// A repository by its full name.
    pub async fn repository(&self, name: &str) -> Result<Option<RepositoryRow>, MetaError> {
        let sql = format!("SELECT {COLUMNS} {FROM} WHERE r.name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(repository_row))
    }

    pub async fn set_repository_description(
        &self,
        id: RepoId,
        description: &str,
    ) -> Result<(), MetaError> {
        sqlx::query("UPDATE repositories SET description = $1, updated_at = $2 WHERE id = $3")
            .bind(description)
            .bind(crate::now_ms())
            .bind(id.0)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Deletes a repository with everything recorded in it (its blobs stay in storage for
    /// garbage collection).
    pub async fn delete_repository(&self, id: RepoId) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let scope = crate::quotas::lock_quota(&mut tx, id.0).await?;
        let done = sqlx::query("DELETE FROM repositories WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        crate::quotas::recount(&mut tx, scope.as_ref()).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Adds pulls to repositories' counts and sets pull times of manifests and tags.
    pub async fn record_pulls(
        &self,
        repos: &[(RepoId, i64)],
        manifests: &[(i64, i64)],
        tags: &[(RepoId, String, i64)],
    ) -> Result<(), MetaError> {
        let mut tx = self.begin_write().await?;
        for (repo, n) in repos {
            sqlx::query("UPDATE repositories SET pull_count = pull_count + $1 WHERE id = $2")
                .bind(*n)
                .bind(repo.0)
                .execute(&mut *tx)
                .await?;
        }
        for (id, at) in manifests {
            sqlx::query("UPDATE manifests SET pull_time = $1 WHERE id = $2 AND pull_time < $3")
                .bind(*at)
                .bind(*id)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
        }
        for (repo, name, at) in tags {
            sqlx::query(
                "UPDATE tags SET pull_time = $1 WHERE repository_id = $2 AND name = $3 \
                 AND pull_time < $4",
            )
            .bind(*at)
            .bind(repo.0)
            .bind(name.clone())
            .bind(*at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
