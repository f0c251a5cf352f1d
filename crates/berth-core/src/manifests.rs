use berth_auth::{Action, Permit};
use berth_meta::{ManifestRow, NewManifest};
use berth_types::manifest::{self, ManifestKind, ParsedManifest};
use berth_types::{Algorithm, Digest, Reference, RepoName, Tag};
use bytes::Bytes;

use crate::audit::Operation;
use crate::registry::check;
use crate::{CoreError, Registry};

/// The largest config blob read for an artifact's `extra_attrs`.
const MAX_CONFIG_READ: i64 = 1 << 20;

/// What a manifest push recorded.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: Digest,
    /// The manifest's `subject`, reported back in the `OCI-Subject` header.
    pub subject: Option<Digest>,
}

impl Registry {
    /// Accepts a manifest pushed under a tag or a digest.
    pub async fn push_manifest(
        &self,
        permit: &Permit,
        repo: &RepoName,
        reference: &Reference,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<PushedManifest, CoreError> {
        check(permit, repo, Action::Push)?;
        let limit = self.options.max_manifest_bytes;
        if body.len() > limit {
            return Err(CoreError::ManifestTooLarge { limit });
        }
        let parsed = manifest::parse(&body, content_type)
            .map_err(|e| CoreError::ManifestInvalid(e.to_string()))?;
        let (digest, tag) = match reference {
            Reference::Digest(expected) => {
                let actual = Digest::of(expected.algorithm(), &body);
                if &actual != expected {
                    return Err(CoreError::DigestInvalid(format!(
                        "manifest has digest {actual}, not {expected}"
                    )));
                }
                (actual, None)
            }
            Reference::Tag(tag) => (Digest::of(Algorithm::Sha256, &body), Some(tag)),
        };
        let children = match parsed.kind {
            ManifestKind::Index => parsed.manifests.iter().map(|m| &m.digest).collect(),
            ManifestKind::Image => Vec::new(),
        };
        if let Some(tag) = tag {
            self.refuse_overwrite(repo, tag).await?;
        }
        let accessory = berth_types::artifact::accessory_of(&parsed, tag.map(Tag::as_str));
        let subject = parsed.subject.as_ref().map(|s| &s.digest);
        let config_media_type = berth_types::artifact::artifact_media_type(&parsed);
        let total_size = body.len() as i64
            + parsed.config.as_ref().map_or(0, |c| c.size.max(0))
            + parsed.layers.iter().map(|l| l.size.max(0)).sum::<i64>();
        let extra_attrs = self.extra_attrs(&parsed, &config_media_type).await;
        let record = NewManifest {
            digest: &digest,
            media_type: &parsed.media_type,
            artifact_type: parsed.artifact_type.as_deref(),
            content: &body,
            subject: subject.or(accessory.as_ref().map(|a| &a.subject)),
            annotations: parsed.annotations_json.as_deref(),
            blobs: parsed.required_blobs().collect(),
            children,
            config_media_type: &config_media_type,
            total_size,
            extra_attrs: extra_attrs.as_deref(),
            accessory_type: accessory.as_ref().map(|a| a.kind),
        };
        let repo_id = self.meta.ensure_repo(repo).await?;
        self.meta.put_manifest(repo_id, &record, tag).await?;
        let resource = match tag {
            Some(t) => format!("{repo}:{}", t.as_str()),
            None => format!("{repo}@{digest}"),
        };
        self.audit.record(
            permit.identity(),
            Operation::Create,
            "artifact",
            &resource,
            Some(repo.project()),
            true,
        );
        Ok(PushedManifest {
            subject: subject.cloned(),
            digest,
        })
    }

    /// Harbor's `extra_attrs` from the config blob of an image or chart (read only when
    /// small): JSON text, or `None`.
    pub(crate) async fn extra_attrs(
        &self,
        parsed: &ParsedManifest,
        media_type: &str,
    ) -> Option<String> {
        let config = parsed.config.as_ref()?;
        if !(0..=MAX_CONFIG_READ).contains(&config.size) {
            return None;
        }
        let bytes = self.small_blob(&config.digest).await?;
        berth_types::artifact::extra_attrs(media_type, &bytes).map(|v| v.to_string())
    }

    /// The whole content of a small blob, or `None` when it cannot be read.
    pub(crate) async fn small_blob(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.blob_bytes(digest, MAX_CONFIG_READ as usize).await
    }

    /// The whole content of a blob of at most `limit` bytes, or `None` when it cannot be
    /// read or is bigger.
    pub(crate) async fn blob_bytes(&self, digest: &Digest, limit: usize) -> Option<Vec<u8>> {
        use futures::StreamExt;
        let mut stream = self
            .blobs
            .get(&berth_blob::BlobKey::Blob(digest.clone()), None)
            .await
            .ok()?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.ok()?);
            if out.len() > limit {
                return None;
            }
        }
        Some(out)
    }

    /// The manifest a tag or digest names. With `pull` (a GET, not a HEAD) the read is
    /// recorded in the audit log as a pull.
    pub async fn manifest(
        &self,
        permit: &Permit,
        repo: &RepoName,
        reference: &Reference,
        pull: bool,
    ) -> Result<ManifestRow, CoreError> {
        check(permit, repo, Action::Pull)?;
        let row = self
            .meta
            .manifest(repo, reference)
            .await?
            .ok_or(CoreError::ManifestUnknown)?;
        if pull {
            let tag = match reference {
                Reference::Tag(t) => Some(t.as_str()),
                Reference::Digest(_) => None,
            };
            let now = crate::audit::now_ms();
            self.pulls.record(row.repository_id, row.id, tag, now);
            self.audit.record(
                permit.identity(),
                Operation::Pull,
                "artifact",
                &format!("{repo}{}", reference_suffix(reference)),
                Some(repo.project()),
                true,
            );
        }
        Ok(row)
    }

    /// Deletes a manifest (by digest: with all its tags) or a tag (by tag: the manifest stays).
    pub async fn delete_manifest(
        &self,
        permit: &Permit,
        repo: &RepoName,
        reference: &Reference,
    ) -> Result<(), CoreError> {
        check(permit, repo, Action::Delete)?;
        let tags = match reference {
            Reference::Tag(t) => vec![t.as_str().to_owned()],
            Reference::Digest(_) => match self.meta.manifest(repo, reference).await? {
                Some(row) => self
                    .meta
                    .tags_of(&[row.id])
                    .await?
                    .into_iter()
                    .map(|t| t.name)
                    .collect(),
                None => Vec::new(),
            },
        };
        self.refuse_immutable(repo, &tags, "deleted").await?;
        let found = match reference {
            Reference::Digest(d) => self.meta.delete_manifest(repo, d).await?,
            Reference::Tag(t) => self.meta.delete_tag(repo, t).await?,
        };
        if !found {
            return Err(CoreError::ManifestUnknown);
        }
        let kind = match reference {
            Reference::Digest(_) => "artifact",
            Reference::Tag(_) => "tag",
        };
        self.audit.record(
            permit.identity(),
            Operation::Delete,
            kind,
            &format!("{repo}{}", reference_suffix(reference)),
            Some(repo.project()),
            true,
        );
        Ok(())
    }
}

/// `:tag` or `@digest`, as audit records name an artifact.
fn reference_suffix(reference: &Reference) -> String {
    match reference {
        Reference::Tag(t) => format!(":{}", t.as_str()),
        Reference::Digest(d) => format!("@{d}"),
    }
}
