//! Harbor's artifact listings over the manifests table: filtered, sorted pages and the
//! tags, labels, accessories and children of a page, each fetched in one query.

use berth_types::{Digest, ManifestId, RepoId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::projects::like_escape;
use crate::{MetaError, MetaStore};

/// A manifest as Harbor's API shows it.
#[derive(Debug, Clone)]
/// `content` holds the manifest bytes when read one by one; listings fill it for indexes only.
pub struct ArtifactRow {
    pub id: ManifestId,
    pub repository_id: RepoId,
    pub repository_name: String,
    pub digest: String,
    pub manifest_media_type: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub size: i64,
    pub push_time: i64,
    pub pull_time: i64,
    pub annotations: Option<String>,
    pub extra_attrs: Option<String>,
    pub accessory_type: Option<String>,
    pub subject_digest: Option<String>,
    pub content: Vec<u8>,
}

/// A tag as Harbor's API shows it.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: i64,
    pub repository_id: RepoId,
    pub artifact_id: ManifestId,
    pub name: String,
    pub push_time: i64,
    pub pull_time: i64,
}

/// Which tags an artifact must have to be listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TagFilter {
    #[default]
    Any,
    Tagged,
    Untagged,
    Exact(String),
    Contains(String),
}

/// The `q` filters of an artifact listing.
#[derive(Debug, Clone, Default)]
pub struct ArtifactFilter {
    pub tags: TagFilter,
    /// Label ids the artifact must all carry.
    pub labels: Vec<i64>,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub artifact_type: Option<String>,
    /// Push time bounds in Unix milliseconds, both included.
    pub pushed_from: Option<i64>,
    pub pushed_to: Option<i64>,
    /// Also list untagged children of indexes (Harbor's `base=*`).
    pub with_children: bool,
}

/// Where to list artifacts.
#[derive(Debug, Clone, Copy)]
pub enum ArtifactScope<'a> {
    Repository(RepoId),
    /// Every repository of a project (by name).
    Project(&'a str),
}

/// An artifact listing's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactOrder {
    PushTimeDesc,
    PushTimeAsc,
    PullTimeDesc,
    PullTimeAsc,
}

const ARTIFACT_COLUMNS: &str = "m.id, m.repository_id, r.name, m.digest, m.media_type, \
     COALESCE(m.config_media_type, m.media_type), m.artifact_type, m.total_size, m.created_at, \
     m.pull_time, m.annotations, m.extra_attrs, m.accessory_type, m.subject_digest, m.content";

/// As [`ARTIFACT_COLUMNS`], but the manifest bytes only of indexes (whose children a listing
/// shows): a page of big image manifests does not drag their bodies along.
const LISTING_COLUMNS: &str = "m.id, m.repository_id, r.name, m.digest, m.media_type, \
     COALESCE(m.config_media_type, m.media_type), m.artifact_type, m.total_size, m.created_at, \
     m.pull_time, m.annotations, m.extra_attrs, m.accessory_type, m.subject_digest, \
     CASE WHEN m.media_type IN ('application/vnd.oci.image.index.v1+json', \
       'application/vnd.docker.distribution.manifest.list.v2+json') THEN m.content END";

fn artifact_row(r: &AnyRow) -> ArtifactRow {
    ArtifactRow {
        id: ManifestId(r.get(0)),
        repository_id: RepoId(r.get(1)),
        repository_name: r.get(2),
        digest: r.get(3),
        manifest_media_type: r.get(4),
        media_type: r.get(5),
        artifact_type: r.get(6),
        size: r.get(7),
        push_time: r.get(8),
        pull_time: r.get(9),
        annotations: r.get(10),
        extra_attrs: r.get(11),
        accessory_type: r.get(12),
        subject_digest: r.get(13),
        content: r.get::<Option<Vec<u8>>, _>(14).unwrap_or_default(),
    }
}

/// `$1, $2, ...` from `start` on, `n` of them.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl MetaStore {
    /// A page of artifacts (accessories excluded) and how many match in all.
    pub async fn list_artifacts(
        &self,
        scope: ArtifactScope<'_>,
        filter: &ArtifactFilter,
        order: ArtifactOrder,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ArtifactRow>, i64), MetaError> {
        let mut texts: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            texts.push(v);
            format!("${}", texts.len())
        };
        let mut conditions = vec!["m.accessory_type IS NULL".to_owned()];
        match scope {
            ArtifactScope::Repository(id) => conditions.push(format!("m.repository_id = {}", id.0)),
            ArtifactScope::Project(name) => {
                let low = bind(format!("{name}/"));
                let high = bind(format!("{name}0"));
                conditions.push(format!("r.name >= {low} AND r.name < {high}"));
            }
        }
        let tagged = "EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id";
        match &filter.tags {
            TagFilter::Any => {}
            TagFilter::Tagged => conditions.push(format!("{tagged})")),
            TagFilter::Untagged => conditions.push(format!("NOT {tagged})")),
            TagFilter::Exact(name) => {
                let p = bind(name.clone());
                conditions.push(format!("{tagged} AND t.name = {p})"));
            }
            TagFilter::Contains(part) => {
                let p = bind(format!("%{}%", like_escape(&part.to_lowercase())));
                conditions.push(format!("{tagged} AND LOWER(t.name) LIKE {p} ESCAPE '\\')"));
            }
        }
        for label in &filter.labels {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM artifact_labels al WHERE al.manifest_id = m.id \
                 AND al.label_id = {label})"
            ));
        }
        if let Some(d) = &filter.digest {
            let p = bind(d.clone());
            conditions.push(format!("m.digest = {p}"));
        }
        if let Some(t) = &filter.media_type {
            let p = bind(t.clone());
            conditions.push(format!("COALESCE(m.config_media_type, m.media_type) = {p}"));
        }
        if let Some(t) = &filter.artifact_type {
            let p = bind(t.clone());
            conditions.push(format!("m.artifact_type = {p}"));
        }
        if let Some(from) = filter.pushed_from {
            conditions.push(format!("m.created_at >= {from}"));
        }
        if let Some(to) = filter.pushed_to {
            conditions.push(format!("m.created_at <= {to}"));
        }
        // `+p.repository_id`: no index on it, so that the lookup goes by child digest first.
        if !filter.with_children {
            conditions.push(format!(
                "({tagged}) OR NOT EXISTS (SELECT 1 FROM manifest_children mc \
                 JOIN manifests p ON p.id = mc.parent_id \
                 WHERE mc.child_digest = m.digest AND +p.repository_id = m.repository_id))"
            ));
        }
        let order_sql = match order {
            ArtifactOrder::PushTimeDesc => "m.created_at DESC, m.id DESC",
            ArtifactOrder::PushTimeAsc => "m.created_at ASC, m.id ASC",
            ArtifactOrder::PullTimeDesc => "m.pull_time DESC, m.id DESC",
            ArtifactOrder::PullTimeAsc => "m.pull_time ASC, m.id ASC",
        };
        let filter_sql = conditions.join(" AND ");
        let n = texts.len();
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM manifests m JOIN repositories r ON r.id = m.repository_id \
             WHERE {filter_sql} ORDER BY {order_sql} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in &texts {
            query = query.bind(t.clone());
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await?;
        let count_sql = format!(
            "SELECT COUNT(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id \
             WHERE {filter_sql}"
        );
        let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for t in &texts {
            count = count.bind(t.clone());
        }
        let total: i64 = count.fetch_one(&self.read).await?.get(0);
        Ok((rows.iter().map(artifact_row).collect(), total))
    }

    /// One artifact of a repository by digest.
    pub async fn artifact_by_digest(
        &self,
        repo: RepoId,
        digest: &Digest,
    ) -> Result<Option<ArtifactRow>, MetaError> {
        let sql = format!(
            "SELECT {ARTIFACT_COLUMNS} FROM manifests m JOIN repositories r ON r.id = m.repository_id \
             WHERE m.repository_id = $1 AND m.digest = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(repo.0)
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(artifact_row))
    }

    /// One artifact of a repository by tag.
    pub async fn artifact_by_tag(
        &self,
        repo: RepoId,
        tag: &str,
    ) -> Result<Option<ArtifactRow>, MetaError> {
        let sql = format!(
            "SELECT {ARTIFACT_COLUMNS} FROM tags t JOIN manifests m ON m.id = t.manifest_id \
             JOIN repositories r ON r.id = m.repository_id \
             WHERE t.repository_id = $1 AND t.name = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(repo.0)
            .bind(tag)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(artifact_row))
    }

    /// The tags of several artifacts, in name order.
    pub async fn tags_of(&self, artifacts: &[ManifestId]) -> Result<Vec<TagRow>, MetaError> {
        if artifacts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, repository_id, manifest_id, name, updated_at, pull_time FROM tags \
             WHERE manifest_id IN ({}) ORDER BY name",
            placeholders(1, artifacts.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in artifacts {
            query = query.bind(a.0);
        }
        let rows = query.fetch_all(&self.read).await?;
        Ok(rows
            .iter()
            .map(|r| TagRow {
                id: r.get(0),
                repository_id: RepoId(r.get(1)),
                artifact_id: ManifestId(r.get(2)),
                name: r.get(3),
                push_time: r.get(4),
                pull_time: r.get(5),
            })
            .collect())
    }

    /// Accessories in a repository whose subject is one of `digests`.
    pub async fn accessories_of(
        &self,
        repo: RepoId,
        digests: &[String],
    ) -> Result<Vec<ArtifactRow>, MetaError> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM manifests m JOIN repositories r ON r.id = m.repository_id \
             WHERE m.repository_id = $1 AND m.accessory_type IS NOT NULL \
             AND m.subject_digest IN ({}) ORDER BY m.id",
            placeholders(2, digests.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(repo.0);
        for d in digests {
            query = query.bind(d.clone());
        }
        let rows = query.fetch_all(&self.read).await?;
        Ok(rows.iter().map(artifact_row).collect())
    }

    /// The ids of the manifests of a repository among `digests`.
    pub async fn manifest_ids(
        &self,
        repo: RepoId,
        digests: &[String],
    ) -> Result<Vec<(String, ManifestId)>, MetaError> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT digest, id FROM manifests WHERE repository_id = $1 AND digest IN ({})",
            placeholders(2, digests.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(repo.0);
        for d in digests {
            query = query.bind(d.clone());
        }
        let rows = query.fetch_all(&self.read).await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), ManifestId(r.get(1))))
            .collect())
    }

    /// The indexes of the repository that name the digest.
    pub async fn index_parents(
        &self,
        repo: RepoId,
        digest: &str,
    ) -> Result<Vec<ManifestId>, MetaError> {
        let rows = sqlx::query(
            "SELECT p.id FROM manifest_children mc JOIN manifests p ON p.id = mc.parent_id \
             WHERE p.repository_id = $1 AND mc.child_digest = $2",
        )
        .bind(repo.0)
        .bind(digest)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(|r| ManifestId(r.get(0))).collect())
    }

    /// The digests of the blobs a manifest names (config and layers).
    pub async fn manifest_blob_digests(&self, id: ManifestId) -> Result<Vec<String>, MetaError> {
        let rows = sqlx::query("SELECT digest FROM manifest_blobs WHERE manifest_id = $1")
            .bind(id.0)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Makes blobs available to a repository (an artifact copy): each must be known.
    pub async fn link_blobs(&self, repo: RepoId, digests: &[String]) -> Result<(), MetaError> {
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
        let scope = crate::quotas::lock_quota(&mut tx, repo.0).await?;
        for d in digests {
            // Only a blob no sweep has marked is taken up (a marked one is left out, and a
            // manifest needing it is then refused, as for any missing blob).
            if !crate::blobs::touch_blob(&mut tx, d).await? {
                continue;
            }
            if let Some(scope) = &scope {
                let size: i64 = sqlx::query("SELECT size FROM blobs WHERE digest = $1")
                    .bind(d.clone())
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                crate::quotas::charge(&mut tx, scope, d, size, true).await?;
            }
            sqlx::query(
                "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (repository_id, digest) DO UPDATE SET created_at = excluded.created_at",
            )
            .bind(repo.0)
            .bind(d.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Puts a tag on an artifact; [`MetaError::Conflict`] when the repository already has
    /// that tag.
    pub async fn create_tag(
        &self,
        repo: RepoId,
        artifact: ManifestId,
        name: &str,
    ) -> Result<(), MetaError> {
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(repo.0)
        .bind(name)
        .bind(artifact.0)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the tag already exists"))?;
        sqlx::query("UPDATE repositories SET tag_version = tag_version + 1 WHERE id = $1")
            .bind(repo.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a tag from an artifact. False when the artifact has no such tag.
    pub async fn delete_artifact_tag(
        &self,
        repo: RepoId,
        artifact: ManifestId,
        name: &str,
    ) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM tags WHERE repository_id = $1 AND manifest_id = $2 AND name = $3",
        )
        .bind(repo.0)
        .bind(artifact.0)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            sqlx::query("UPDATE repositories SET tag_version = tag_version + 1 WHERE id = $1")
                .bind(repo.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes an artifact and, in the same transaction, what goes with it: `rest`, parents
    /// before children, each an accessory (deleted with its subject) or a child (deleted
    /// only if, by then, it has no tag and no index of the repository names it). `None` when
    /// an index names the root (checked in the transaction, so a concurrent push cannot slip
    /// between check and delete); else how many went.
    pub async fn delete_artifact_tree(
        &self,
        repo: RepoId,
        root: ManifestId,
        rest: &[(ManifestId, bool)],
    ) -> Result<Option<u64>, MetaError> {
        let mut tx = self.begin_write().await?;
        // First, so that on PostgreSQL pushes into this repository wait for us.
        sqlx::query("UPDATE repositories SET tag_version = tag_version + 1 WHERE id = $1")
            .bind(repo.0)
            .execute(&mut *tx)
            .await?;
        let named = sqlx::query(
            "SELECT 1 FROM manifests m JOIN manifest_children mc ON mc.child_digest = m.digest \
             JOIN manifests p ON p.id = mc.parent_id \
             WHERE m.id = $1 AND p.repository_id = $2 AND p.id <> m.id LIMIT 1",
        )
        .bind(root.0)
        .bind(repo.0)
        .fetch_optional(&mut *tx)
        .await?;
        if named.is_some() {
            return Ok(None);
        }
        let scope = crate::quotas::lock_quota(&mut tx, repo.0).await?;
        let mut done = sqlx::query("DELETE FROM manifests WHERE id = $1 AND repository_id = $2")
            .bind(root.0)
            .bind(repo.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for (id, accessory) in rest {
            let sql = if *accessory {
                "DELETE FROM manifests WHERE id = $1 AND repository_id = $2"
            } else {
                "DELETE FROM manifests WHERE id = $1 AND repository_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = manifests.id) \
                 AND NOT EXISTS (SELECT 1 FROM manifest_children mc \
                   JOIN manifests p ON p.id = mc.parent_id \
                   WHERE mc.child_digest = manifests.digest AND p.repository_id = $3)"
            };
            let mut q = sqlx::query(sql).bind(id.0).bind(repo.0);
            if !*accessory {
                q = q.bind(repo.0);
            }
            done += q.execute(&mut *tx).await?.rows_affected();
        }
        crate::quotas::recount(&mut tx, scope.as_ref()).await?;
        tx.commit().await?;
        Ok(Some(done))
    }
}
