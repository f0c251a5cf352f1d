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
        // One row with the names joined by commas (a tag cannot contain one): decoding one
        // string is far cheaper than decoding ten thousand rows.
        let row = sqlx::query(
            "SELECT r.id, (SELECT string_agg(x.name, ',' ORDER BY x.name) FROM \
               (SELECT t.name FROM tags t WHERE t.repository_id = r.id AND t.name > $1 \
                ORDER BY t.name LIMIT $2) x) \
             FROM repositories r WHERE r.name = $3",
        )
        .bind(last.unwrap_or(""))
        .bind(limit)
        .bind(repo.as_str())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| crate::split_names(r.get(1))))
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
