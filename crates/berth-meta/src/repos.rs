use berth_types::{RepoId, RepoName};
use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

impl MetaStore {
    /// The id of a repository, if it exists.
    pub async fn repo_id(&self, name: &RepoName) -> Result<Option<RepoId>, MetaError> {
        let row = sqlx::query("SELECT id FROM repositories WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| RepoId(r.get(0))))
    }

    /// The id of a repository, creating it when missing.
    pub async fn ensure_repo(&self, name: &RepoName) -> Result<RepoId, MetaError> {
        if let Some(id) = self.repo_id(name).await? {
            return Ok(id);
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO repositories (name, created_at, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.as_str())
        .bind(now)
        .bind(now)
        .execute(&self.write)
        .await?;
        let row = sqlx::query("SELECT id FROM repositories WHERE name = $1")
            .bind(name.as_str())
            .fetch_one(&self.write)
            .await?;
        Ok(RepoId(row.get(0)))
    }

    /// Names of repositories holding at least one manifest, in byte order, after `last`.
    pub async fn catalog(&self, limit: i64, last: Option<&str>) -> Result<Vec<String>, MetaError> {
        // Joined by commas in one row (a repository name cannot contain one), as for tags.
        let row = sqlx::query(
            "SELECT string_agg(x.name, ',' ORDER BY x.name) FROM \
               (SELECT r.name FROM repositories r WHERE r.name > $1 \
                AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = r.id) \
                ORDER BY r.name LIMIT $2) x",
        )
        .bind(last.unwrap_or(""))
        .bind(limit)
        .fetch_one(&self.read)
        .await?;
        Ok(crate::split_names(row.get(0)))
    }
}
