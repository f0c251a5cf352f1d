//! Counts for Harbor's `/statistics`.

use sqlx::Row;

use crate::{MetaError, MetaStore, ProjectScope};

/// Projects and repositories a scope may see, split by visibility.
#[derive(Debug, Clone, Copy, Default)]
pub struct Statistics {
    pub public_projects: i64,
    pub private_projects: i64,
    pub public_repos: i64,
    pub private_repos: i64,
}

impl MetaStore {
    pub async fn statistics(&self, scope: ProjectScope) -> Result<Statistics, MetaError> {
        let visible = crate::projects::scope_condition(scope).unwrap_or_else(|| "1 = 1".into());
        let public = crate::projects::PUBLIC_CONDITION;
        let sql = format!(
            "SELECT \
               CAST(SUM(CASE WHEN {public} THEN 1 ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN {public} THEN 0 ELSE 1 END) AS BIGINT), \
               CAST(SUM(CASE WHEN {public} THEN x.repos ELSE 0 END) AS BIGINT), \
               CAST(SUM(CASE WHEN {public} THEN 0 ELSE x.repos END) AS BIGINT) \
             FROM (SELECT p.id AS id, \
                 (SELECT COUNT(*) FROM repositories r \
                  WHERE substr(r.name, 1, length(p.name) + 1) = p.name || '/') AS repos \
               FROM projects p WHERE {visible}) x JOIN projects p ON p.id = x.id"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.read)
            .await?;
        let n = |i: usize| row.get::<Option<i64>, _>(i).unwrap_or(0);
        Ok(Statistics {
            public_projects: n(0),
            private_projects: n(1),
            public_repos: n(2),
            private_repos: n(3),
        })
    }

    /// Bytes of every blob recorded.
    pub async fn total_blob_bytes(&self) -> Result<i64, MetaError> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs")
            .fetch_one(&self.read)
            .await?;
        Ok(row.get(0))
    }
}
