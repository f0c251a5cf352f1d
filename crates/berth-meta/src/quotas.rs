//! Storage quotas, one per project.
//!
//! A project's usage is the sum of the sizes of the distinct blobs and manifests its
//! repositories hold (a layer in ten repositories of a project counts once; in two projects,
//! once in each). It is kept exact by construction: every transaction that changes what a
//! project holds first locks the project's quota row (so such transactions of one project
//! run one after another), and either adds the size of content new to the project (refused
//! when it would pass the limit) or, after removing content, counts the usage again from
//! the rows themselves.

use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

/// A project's quota as the API shows it.
#[derive(Debug, Clone)]
pub struct QuotaRow {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub owner_name: String,
    pub hard: i64,
    pub used: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Order of a quota listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaOrder {
    Id,
    Used { desc: bool },
    Hard { desc: bool },
    Created { desc: bool },
    Updated { desc: bool },
}

/// The project a transaction changes, with its quota row locked.
#[derive(Debug, Clone)]
pub(crate) struct QuotaScope {
    project_id: i64,
    /// `<project>/`: the prefix of the project's repository names.
    prefix: String,
}

/// Locks the quota of the project that holds repository `repo` until the transaction ends,
/// creating an unlimited quota if the project has none. `None` for a repository outside
/// any project.
pub(crate) async fn lock_quota(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: i64,
) -> Result<Option<QuotaScope>, MetaError> {
    let Some(row) = sqlx::query("SELECT name FROM repositories WHERE id = $1")
        .bind(repo)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let name: String = row.get(0);
    let project = name.split('/').next().unwrap_or_default().to_owned();
    let Some(p) = sqlx::query("SELECT id FROM projects WHERE name = $1")
        .bind(&project)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let project_id: i64 = p.get(0);
    let locked = sqlx::query("UPDATE quotas SET updated_at = updated_at WHERE project_id = $1")
        .bind(project_id)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO quotas (project_id, hard, used, created_at, updated_at) \
             VALUES ($1, -1, 0, $2, $2) ON CONFLICT (project_id) DO NOTHING",
        )
        .bind(project_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(Some(QuotaScope {
        project_id,
        prefix: format!("{project}/"),
    }))
}

/// Adds `size` to the usage if the project holds no blob or manifest `digest` yet. Call
/// before recording the new link or manifest. With `enforce`, refuses with
/// [`MetaError::QuotaExceeded`] when the usage would pass the limit, unless the system
/// setting `quota_per_project_enable` is false (read in the same statement, so a change
/// applies to the next push on every node).
pub(crate) async fn charge(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scope: &QuotaScope,
    digest: &str,
    size: i64,
    enforce: bool,
) -> Result<(), MetaError> {
    if size == 0 {
        return Ok(());
    }
    let held = sqlx::query(
        "SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id \
         WHERE rb.digest = $1 AND substr(r.name, 1, CAST($2 AS INTEGER)) = $3 \
         UNION ALL SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id \
         WHERE m.digest = $1 AND substr(r.name, 1, CAST($2 AS INTEGER)) = $3 LIMIT 1",
    )
    .bind(digest)
    .bind(scope.prefix.len() as i64)
    .bind(&scope.prefix)
    .fetch_optional(&mut **tx)
    .await?;
    if held.is_some() {
        return Ok(());
    }
    let added = sqlx::query(
        "UPDATE quotas SET used = used + $1, updated_at = $2 \
         WHERE project_id = $3 AND ($4 = 0 OR hard < 0 OR used + $1 <= hard \
         OR EXISTS (SELECT 1 FROM settings WHERE name = 'quota_per_project_enable' \
         AND value = 'false'))",
    )
    .bind(size)
    .bind(now_ms())
    .bind(scope.project_id)
    .bind(i64::from(enforce))
    .execute(&mut **tx)
    .await?;
    if added.rows_affected() == 0 {
        let row = sqlx::query("SELECT used, hard FROM quotas WHERE project_id = $1")
            .bind(scope.project_id)
            .fetch_one(&mut **tx)
            .await?;
        return Err(MetaError::QuotaExceeded {
            adding: size,
            used: row.get(0),
            hard: row.get(1),
        });
    }
    Ok(())
}

/// Counts the project's usage again from what it holds (after a removal).
pub(crate) async fn recount(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scope: Option<&QuotaScope>,
) -> Result<(), MetaError> {
    let Some(scope) = scope else {
        return Ok(());
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE quotas SET used = ({USAGE}), updated_at = $3 WHERE project_id = $4"
    )))
    .bind(scope.prefix.len() as i64)
    .bind(&scope.prefix)
    .bind(now_ms())
    .bind(scope.project_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The usage of the project whose repositories start with `$2` (of length `$1`), counted
/// from the rows.
const USAGE: &str = "SELECT COALESCE(SUM(u.size), 0) FROM ( \
     SELECT b.digest, b.size FROM repository_blobs rb \
     JOIN repositories r ON r.id = rb.repository_id JOIN blobs b ON b.digest = rb.digest \
     WHERE substr(r.name, 1, CAST($1 AS INTEGER)) = $2 \
     UNION SELECT m.digest, m.size FROM manifests m JOIN repositories r ON r.id = m.repository_id \
     WHERE substr(r.name, 1, CAST($1 AS INTEGER)) = $2) u";

const QUOTA_COLUMNS: &str = "q.id, q.project_id, p.name, o.username, q.hard, q.used, \
     q.created_at, q.updated_at FROM quotas q JOIN projects p ON p.id = q.project_id \
     JOIN users o ON o.id = p.owner_id";

fn quota_row(r: &sqlx::any::AnyRow) -> QuotaRow {
    QuotaRow {
        id: r.get(0),
        project_id: r.get(1),
        project_name: r.get(2),
        owner_name: r.get(3),
        hard: r.get(4),
        used: r.get(5),
        created_at: r.get(6),
        updated_at: r.get(7),
    }
}

impl MetaStore {
    /// Gives a new project its quota.
    pub async fn create_quota(&self, project_id: i64, hard: i64) -> Result<(), MetaError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO quotas (project_id, hard, used, created_at, updated_at) \
             VALUES ($1, $2, 0, $3, $3) ON CONFLICT (project_id) DO UPDATE SET hard = excluded.hard",
        )
        .bind(project_id)
        .bind(hard)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A page of quotas, optionally of one project, with the total count.
    pub async fn list_quotas(
        &self,
        project_id: Option<i64>,
        order: QuotaOrder,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<QuotaRow>, i64), MetaError> {
        let dir = |desc: bool| if desc { "DESC" } else { "ASC" };
        let order_by = match order {
            QuotaOrder::Id => "q.id".to_owned(),
            QuotaOrder::Used { desc } => format!("q.used {}, q.id", dir(desc)),
            QuotaOrder::Hard { desc } => format!("q.hard {}, q.id", dir(desc)),
            QuotaOrder::Created { desc } => format!("q.created_at {}, q.id", dir(desc)),
            QuotaOrder::Updated { desc } => format!("q.updated_at {}, q.id", dir(desc)),
        };
        let filter = if project_id.is_some() {
            "WHERE q.project_id = $3"
        } else {
            "WHERE $3 = $3"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {QUOTA_COLUMNS} {filter} ORDER BY {order_by} LIMIT $1 OFFSET $2"
        )))
        .bind(limit)
        .bind(offset)
        .bind(project_id.unwrap_or(0))
        .fetch_all(&self.read)
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM quotas q {}",
            filter.replace("$3", "$1")
        )))
        .bind(project_id.unwrap_or(0))
        .fetch_one(&self.read)
        .await?
        .get(0);
        Ok((rows.iter().map(quota_row).collect(), total))
    }

    /// One quota by id.
    pub async fn quota(&self, id: i64) -> Result<Option<QuotaRow>, MetaError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {QUOTA_COLUMNS} WHERE q.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.as_ref().map(quota_row))
    }

    /// The quota of a project.
    pub async fn project_quota(&self, project_id: i64) -> Result<Option<QuotaRow>, MetaError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {QUOTA_COLUMNS} WHERE q.project_id = $1"
        )))
        .bind(project_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.as_ref().map(quota_row))
    }

    /// Sets a quota's limit. False when there is no such quota.
    pub async fn set_quota_hard(&self, id: i64, hard: i64) -> Result<bool, MetaError> {
        let done = sqlx::query("UPDATE quotas SET hard = $1, updated_at = $2 WHERE id = $3")
            .bind(hard)
            .bind(now_ms())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Counts every project's usage again from the rows (at start-up, so quotas of an older
    /// database, or any drift, are put right). Returns how many quotas changed.
    pub async fn recount_quotas(&self) -> Result<u64, MetaError> {
        let projects = sqlx::query("SELECT id, name FROM projects")
            .fetch_all(&self.read)
            .await?;
        let mut changed = 0;
        for p in projects {
            let (id, name): (i64, String) = (p.get(0), p.get(1));
            let mut tx = self.begin_write().await?;
            let locked =
                sqlx::query("UPDATE quotas SET updated_at = updated_at WHERE project_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            if locked.rows_affected() == 0 {
                continue;
            }
            let prefix = format!("{name}/");
            let before: i64 = sqlx::query("SELECT used FROM quotas WHERE project_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
            let scope = QuotaScope {
                project_id: id,
                prefix,
            };
            recount(&mut tx, Some(&scope)).await?;
            let after: i64 = sqlx::query("SELECT used FROM quotas WHERE project_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
            tx.commit().await?;
            if before != after {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// A project's usage counted from the rows now, without touching its quota (what the
    /// quota must say; for checks).
    pub async fn counted_usage(&self, project: &str) -> Result<i64, MetaError> {
        let prefix = format!("{project}/");
        let row = sqlx::query(USAGE)
            .bind(prefix.len() as i64)
            .bind(&prefix)
            .fetch_one(&self.read)
            .await?;
        Ok(row.get(0))
    }
}
