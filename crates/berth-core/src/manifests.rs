use berth_auth::{Action, Permit};
use berth_meta::{ManifestRow, NewManifest};
use berth_types::manifest::{self, ManifestKind};
use berth_types::{Algorithm, Digest, Reference, RepoName};
use bytes::Bytes;

use crate::audit::Operation;
use crate::registry::check;
use crate::{CoreError, Registry};

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
        let subject = parsed.subject.as_ref().map(|s| &s.digest);
        let record = NewManifest {
            digest: &digest,
            media_type: &parsed.media_type,
            artifact_type: parsed.artifact_type.as_deref(),
            content: &body,
            subject,
            annotations: parsed.annotations_json.as_deref(),
            blobs: parsed.required_blobs().collect(),
            children,
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
