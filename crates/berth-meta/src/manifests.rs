use berth_types::{Digest, ManifestId, Reference, RepoId, RepoName, Tag};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A manifest to record, with the facts parsed from it.
#[derive(Debug)]
pub struct NewManifest<'a> {
    pub digest: &'a Digest,
    pub media_type: &'a str,
    pub artifact_type: Option<&'a str>,
    pub content: &'a [u8],
    pub subject: Option<&'a Digest>,
    pub annotations: Option<&'a str>,
    /// Blobs the manifest needs; each must already be in the repository.
    pub blobs: Vec<&'a Digest>,
    /// Manifests an index names; they need not exist.
    pub children: Vec<&'a Digest>,
    /// Harbor's artifact media type (the config's, for an image manifest).
    pub config_media_type: &'a str,
    /// The manifest, its config and layers; an index adds its children present.
    pub total_size: i64,
    /// Facts from the config, as JSON.
    pub extra_attrs: Option<&'a str>,
    /// Set when the manifest is an accessory of `subject`.
    pub accessory_type: Option<&'a str>,
}

/// A stored manifest as a pull serves it.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    pub id: ManifestId,
    pub digest: Digest,
    pub media_type: String,
    pub content: Vec<u8>,
    pub subject: Option<Digest>,
    pub repository_id: RepoId,
}

/// A manifest whose subject is the digest asked for.
#[derive(Debug, Clone)]
pub struct ReferrerRow {
    pub digest: Digest,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

fn parse_digest(s: &str) -> Result<Digest, MetaError> {
    s.parse()
        .map_err(|_| MetaError::Corrupt(format!("stored digest {s:?}")))
}

fn manifest_row(r: AnyRow) -> Result<ManifestRow, MetaError> {
    let subject: Option<String> = r.get(4);
    Ok(ManifestRow {
        id: ManifestId(r.get(0)),
        digest: parse_digest(r.get::<&str, _>(1))?,
        media_type: r.get(2),
        content: r.get(3),
        subject: subject.as_deref().map(parse_digest).transpose()?,
        repository_id: RepoId(r.get(5)),
    })
}

impl MetaStore {
    /// Records a manifest (and moves `tag` to it) in one transaction. Refuses with
    /// [`MetaError::MissingBlob`] when a required blob is not in the repository.
    pub async fn put_manifest(
        &self,
        repo: RepoId,
        m: &NewManifest<'_>,
        tag: Option<&Tag>,
    ) -> Result<ManifestId, MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // The repository's row first: pushes into one repository, and garbage collection's
        // withdrawal of unreferenced links from it, take their turns.
        sqlx::query(
            "UPDATE repositories SET updated_at = $1, tag_version = tag_version + $2 WHERE id = $3",
        )
        .bind(now)
        .bind(i64::from(tag.is_some()))
        .bind(repo.0)
        .execute(&mut *tx)
        .await?;
        let scope = crate::quotas::lock_quota(&mut tx, repo.0).await?;
        for blob in &m.blobs {
            // An UPDATE, not a SELECT: on PostgreSQL it locks the link until this transaction
            // ends, so a concurrent blob delete cannot slip between the check and the insert.
            let found = sqlx::query(
                "UPDATE repository_blobs SET created_at = created_at \
                 WHERE repository_id = $1 AND digest = $2",
            )
            .bind(repo.0)
            .bind(blob.to_string())
            .execute(&mut *tx)
            .await?;
            if found.rows_affected() == 0 {
                return Err(MetaError::MissingBlob((*blob).clone()));
            }
        }
        if let Some(scope) = &scope {
            let size = m.content.len() as i64;
            crate::quotas::charge(&mut tx, scope, &m.digest.to_string(), size, true).await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO manifests (repository_id, digest, media_type, artifact_type, size, content, \
             subject_digest, annotations, created_at, config_media_type, total_size, extra_attrs, \
             accessory_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id",
        )
        .bind(repo.0)
        .bind(m.digest.to_string())
        .bind(m.media_type)
        .bind(m.artifact_type)
        .bind(m.content.len() as i64)
        .bind(m.content)
        .bind(m.subject.map(|s| s.to_string()))
        .bind(m.annotations)
        .bind(now)
        .bind(m.config_media_type)
        .bind(m.total_size)
        .bind(m.extra_attrs)
        .bind(m.accessory_type)
        .fetch_optional(&mut *tx)
        .await?;
        let id = match inserted {
            Some(row) => {
                let id: i64 = row.get(0);
                for blob in &m.blobs {
                    sqlx::query(
                        "INSERT INTO manifest_blobs (manifest_id, digest) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(blob.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                for child in &m.children {
                    sqlx::query(
                        "INSERT INTO manifest_children (parent_id, child_digest) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(child.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                if !m.children.is_empty() {
                    sqlx::query(
                        "UPDATE manifests SET total_size = total_size + \
                         (SELECT COALESCE(SUM(c.total_size), 0) FROM manifest_children mc \
                          JOIN manifests c ON c.repository_id = $1 AND c.digest = mc.child_digest \
                          WHERE mc.parent_id = $2) WHERE id = $3",
                    )
                    .bind(repo.0)
                    .bind(id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                id
            }
            None => {
                sqlx::query("SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2")
                    .bind(repo.0)
                    .bind(m.digest.to_string())
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0)
            }
        };
        if let Some(tag) = tag {
            sqlx::query(
                "INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (repository_id, name) DO UPDATE \
                 SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at",
            )
            .bind(repo.0)
            .bind(tag.as_str())
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ManifestId(id))
    }

    /// The manifest a reference names in a repository.
    pub async fn manifest(
        &self,
        repo: &RepoName,
        reference: &Reference,
    ) -> Result<Option<ManifestRow>, MetaError> {
        let row = match reference {
            Reference::Tag(tag) => sqlx::query(
                "SELECT m.id, m.digest, m.media_type, m.content, m.subject_digest, m.repository_id \
                     FROM repositories r JOIN tags t ON t.repository_id = r.id \
                     JOIN manifests m ON m.id = t.manifest_id \
                     WHERE r.name = $1 AND t.name = $2",
            )
            .bind(repo.as_str())
            .bind(tag.as_str())
            .fetch_optional(&self.read)
            .await?,
            Reference::Digest(digest) => sqlx::query(
                "SELECT m.id, m.digest, m.media_type, m.content, m.subject_digest, m.repository_id \
                     FROM repositories r JOIN manifests m ON m.repository_id = r.id \
                     WHERE r.name = $1 AND m.digest = $2",
            )
            .bind(repo.as_str())
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?,
        };
        row.map(manifest_row).transpose()
    }

    /// Deletes a manifest and the tags on it. True when it existed.
    pub async fn delete_manifest(
        &self,
        repo: &RepoName,
        digest: &Digest,
    ) -> Result<bool, MetaError> {
        let Some(id) = self.repo_id(repo).await? else {
            return Ok(false);
        };
        let mut tx = self.begin_write().await?;
        crate::tags::bump_tag_version(&mut tx, repo).await?;
        let scope = crate::quotas::lock_quota(&mut tx, id.0).await?;
        let done = sqlx::query("DELETE FROM manifests WHERE digest = $1 AND repository_id = $2")
            .bind(digest.to_string())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let found = done.rows_affected() > 0;
        if found {
            crate::quotas::recount(&mut tx, scope.as_ref()).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Manifests in `repo` whose subject is `subject`, optionally of one artifact type.
    pub async fn referrers(
        &self,
        repo: &RepoName,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ReferrerRow>, MetaError> {
        let rows = sqlx::query(
            "SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations \
             FROM repositories r JOIN manifests m ON m.repository_id = r.id \
             WHERE r.name = $1 AND m.subject_digest = $2 \
             AND ($3 = '' OR m.artifact_type = $4) ORDER BY m.id",
        )
        .bind(repo.as_str())
        .bind(subject.to_string())
        .bind(artifact_type.unwrap_or(""))
        .bind(artifact_type.unwrap_or(""))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ReferrerRow {
                    digest: parse_digest(r.get::<&str, _>(0))?,
                    media_type: r.get(1),
                    size: r.get(2),
                    artifact_type: r.get(3),
                    annotations: r.get(4),
                })
            })
            .collect()
    }
}
