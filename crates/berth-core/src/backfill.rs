//! Gives manifests recorded before berth kept artifact facts (type, size, config facts,
//! accessory) those facts, once, in the background after start-up. Idempotent: a node that
//! starts while another backfills only repeats the same writes.

use berth_meta::ArtifactFacts;
use berth_types::artifact::{accessory_of, artifact_media_type};

use crate::{CoreError, Registry};

const BATCH: i64 = 200;

impl Registry {
    /// Counts every project's storage usage again from what it holds (quotas of an older
    /// database start at zero). Returns how many quotas changed.
    pub async fn recount_quotas(&self) -> Result<u64, CoreError> {
        Ok(self.meta.recount_quotas().await?)
    }

    /// Backfills every manifest without artifact facts; returns how many it did.
    pub async fn backfill_artifacts(&self) -> Result<u64, CoreError> {
        let mut done = 0u64;
        loop {
            let batch = self.meta.bare_manifests(BATCH).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for m in &batch {
                let parsed = match berth_types::manifest::parse(&m.content, Some(&m.media_type)) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(manifest = m.id.0, error = %e, "a stored manifest does not parse");
                        // Mark it, so that the next batch moves on.
                        let facts = ArtifactFacts {
                            config_media_type: &m.media_type,
                            total_size: m.content.len() as i64,
                            extra_attrs: None,
                            accessory_type: None,
                            subject_digest: None,
                        };
                        self.meta.set_artifact_facts(m, &facts).await?;
                        continue;
                    }
                };
                let tag = m
                    .tags
                    .iter()
                    .find(|t| t.starts_with("sha256-") && t.ends_with(".sig"));
                let accessory = accessory_of(&parsed, tag.map(String::as_str))
                    .or_else(|| accessory_of(&parsed, None));
                let media_type = artifact_media_type(&parsed);
                let total = m.content.len() as i64
                    + parsed.config.as_ref().map_or(0, |c| c.size.max(0))
                    + parsed.layers.iter().map(|l| l.size.max(0)).sum::<i64>();
                let extra = self.extra_attrs(&parsed, &media_type).await;
                let subject = accessory.as_ref().map(|a| a.subject.to_string());
                let facts = ArtifactFacts {
                    config_media_type: &media_type,
                    total_size: total,
                    extra_attrs: extra.as_deref(),
                    accessory_type: accessory.as_ref().map(|a| a.kind),
                    subject_digest: subject.as_deref(),
                };
                self.meta.set_artifact_facts(m, &facts).await?;
                done += 1;
            }
        }
    }
}
