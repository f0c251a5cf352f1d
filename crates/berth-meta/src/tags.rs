use berth_types::{RepoName, Tag};
use sqlx::Row;

use crate::{MetaError, MetaStore};

impl MetaStore {
    /// Tags of a repository in byte order after `last`, at most `limit`; `None` when the
    /// repository does not exist.
    pub async fn tags(
        &self,
        repo: &RepoName,
        limit: i64,
        last: Option<&str>,
    ) -> Result<Option<Vec<String>>, MetaError> {
        let Some(id) = self.repo_id(repo).await? else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT name FROM tags WHERE repository_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(id.0)
        .bind(last.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(Some(rows.into_iter().map(|r| r.get(0)).collect()))
    }

    /// Removes a tag (the manifest stays). True when the tag existed.
    pub async fn delete_tag(&self, repo: &RepoName, tag: &Tag) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "DELETE FROM tags WHERE name = $1 \
             AND repository_id = (SELECT id FROM repositories WHERE name = $2)",
        )
        .bind(tag.as_str())
        .bind(repo.as_str())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
