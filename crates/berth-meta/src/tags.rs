use berth_types::{RepoId, RepoName, Tag};
use sqlx::Row;

use crate::{MetaError, MetaStore};

impl MetaStore {
    /// Removes a tag (the manifest stays). True when the tag existed.
    pub async fn delete_tag(&self, repo: &RepoName, tag: &Tag) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM tags WHERE name = $1 \
             AND repository_id = (SELECT id FROM repositories WHERE name = $2)",
        )
        .bind(tag.as_str())
        .bind(repo.as_str())
        .execute(&mut *tx)
        .await?;
        let found = done.rows_affected() > 0;
        if found {
            bump_tag_version(&mut tx, repo).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// The repository's id and its tag version, which changes with every change to its
    /// tags (in the same transaction): a tag list read at version V is current for as long
    /// as the version stays V.
    pub async fn tag_version(&self, repo: &RepoName) -> Result<Option<(RepoId, i64)>, MetaError> {
        let row = sqlx::query("SELECT id, tag_version FROM repositories WHERE name = $1")
            .bind(repo.as_str())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| (RepoId(r.get(0)), r.get(1))))
    }

    /// Every tag of a repository in byte order, with the tag version read in the same
    /// statement (so the pair is consistent).
    pub async fn all_tags(&self, repo: RepoId) -> Result<(i64, Vec<String>), MetaError> {
        let row = sqlx::query(
            "SELECT r.tag_version, (SELECT string_agg(t.name, ',' ORDER BY t.name) \
               FROM tags t WHERE t.repository_id = r.id) \
             FROM repositories r WHERE r.id = $1",
        )
        .bind(repo.0)
        .fetch_one(&self.read)
        .await?;
        Ok((row.get(0), crate::split_names(row.get(1))))
    }
}

pub(crate) async fn bump_tag_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: &RepoName,
) -> Result<(), MetaError> {
    sqlx::query("UPDATE repositories SET tag_version = tag_version + 1 WHERE name = $1")
        .bind(repo.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
