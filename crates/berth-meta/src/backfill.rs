//! Manifests recorded before the artifact columns existed (migration 0006): found in
//! batches, and given their artifact facts once.

use berth_types::{ManifestId, RepoId};
use sqlx::Row;

use crate::{MetaError, MetaStore};

/// A manifest without its artifact facts.
#[derive(Debug, Clone)]
pub struct BareManifest {
    pub id: ManifestId,
    pub repository_id: RepoId,
    pub media_type: String,
    pub content: Vec<u8>,
    /// Its tags (a cosign signature is known by its tag).
    pub tags: Vec<String>,
}

/// The facts to record.
#[derive(Debug, Clone)]
pub struct ArtifactFacts<'a> {
    pub config_media_type: &'a str,
    pub total_size: i64,
    pub extra_attrs: Option<&'a str>,
    pub accessory_type: Option<&'a str>,
    pub subject_digest: Option<&'a str>,
}

const INDEXES: &str = "('application/vnd.oci.image.index.v1+json', \
     'application/vnd.docker.distribution.manifest.list.v2+json')";

impl MetaStore {
    /// Up to `limit` manifests without artifact facts, images before indexes (an index's
    /// size adds its children's).
    pub async fn bare_manifests(&self, limit: i64) -> Result<Vec<BareManifest>, MetaError> {
        let sql = format!(
            "SELECT m.id, m.repository_id, m.media_type, m.content, \
             (SELECT string_agg(t.name, ',' ORDER BY t.name) FROM tags t WHERE t.manifest_id = m.id) \
             FROM manifests m WHERE m.config_media_type IS NULL \
             ORDER BY CASE WHEN m.media_type IN {INDEXES} THEN 1 ELSE 0 END, m.id LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        Ok(rows
            .iter()
            .map(|r| BareManifest {
                id: ManifestId(r.get(0)),
                repository_id: RepoId(r.get(1)),
                media_type: r.get(2),
                content: r.get(3),
                tags: crate::split_names(r.get(4)),
            })
            .collect())
    }

    /// Records a manifest's artifact facts; an index adds the sizes of its children present.
    pub async fn set_artifact_facts(
        &self,
        m: &BareManifest,
        facts: &ArtifactFacts<'_>,
    ) -> Result<(), MetaError> {
        sqlx::query(
            "UPDATE manifests SET config_media_type = $1, extra_attrs = $2, accessory_type = $3, \
             subject_digest = COALESCE(subject_digest, $4), total_size = $5 + \
             (SELECT COALESCE(SUM(c.total_size), 0) FROM manifest_children mc \
              JOIN manifests c ON c.repository_id = $6 AND c.digest = mc.child_digest \
              WHERE mc.parent_id = $7) WHERE id = $8",
        )
        .bind(facts.config_media_type)
        .bind(facts.extra_attrs)
        .bind(facts.accessory_type)
        .bind(facts.subject_digest)
        .bind(facts.total_size)
        .bind(m.repository_id.0)
        .bind(m.id.0)
        .bind(m.id.0)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
