//! Writes: repository description and deletion, artifact deletion and copy, tags.

use std::collections::HashSet;

use berth_auth::rbac::{ProjectResource, Verb};
use berth_auth::{Action, Identity, Resource};
use berth_meta::{ArtifactRow, RepositoryRow, TagRow};
use berth_types::artifact::index_children;
use berth_types::{ManifestId, Reference, RepoName, Tag};

use super::listing::row_digest;
use super::{ArtifactAt, ArtifactRef, Artifacts, Located};
use crate::CoreError;
use crate::accounts::ProjectKey;
use crate::audit::Operation;

impl Artifacts {
    pub async fn update_repository(
        &self,
        who: &Identity,
        project: &ProjectKey,
        repository: &str,
        description: &str,
    ) -> Result<(), CoreError> {
        let project = self
            .project(who, project, ProjectResource::Repository, Verb::Update)
            .await?;
        let (name, repo) = self.repository(&project, repository).await?;
        self.meta()
            .set_repository_description(repo.id, description)
            .await?;
        self.audit(who, Operation::Update, "repository", name.as_str(), &name);
        Ok(())
    }

    /// Deletes a repository with all its artifacts and tags.
    pub async fn delete_repository(
        &self,
        who: &Identity,
        project: &ProjectKey,
        repository: &str,
    ) -> Result<(), CoreError> {
        let project = self
            .project(who, project, ProjectResource::Repository, Verb::Delete)
            .await?;
        let (name, repo) = self.repository(&project, repository).await?;
        let (_, tags) = self.meta().all_tags(repo.id).await?;
        self.registry
            .refuse_immutable(&name, &tags, "deleted")
            .await?;
        self.meta().delete_repository(repo.id).await?;
        self.audit(who, Operation::Delete, "repository", name.as_str(), &name);
        Ok(())
    }

    /// Deletes an artifact with its tags, its accessories and the untagged children no other
    /// index names. Refused while an index names the artifact.
    pub async fn delete_artifact(&self, who: &Identity, at: &ArtifactAt) -> Result<(), CoreError> {
        let Located {
            name, repo, row, ..
        } = self
            .locate(who, at, ProjectResource::Artifact, Verb::Delete)
            .await?;
        self.delete_tree(&name, &repo, &row).await?;
        let resource = format!("{name}@{}", row.digest);
        self.audit(who, Operation::Delete, "artifact", &resource, &name);
        Ok(())
    }

    /// Deletes an artifact with its accessories and untagged children (no permission
    /// check: callers have made theirs). Refused while an index names it or a tag of the
    /// tree is immutable. Returns the manifests deleted.
    pub(crate) async fn delete_tree(
        &self,
        name: &RepoName,
        repo: &RepositoryRow,
        row: &ArtifactRow,
    ) -> Result<u64, CoreError> {
        let doomed = self.deletion_set(repo, row.clone()).await?;
        let ids: Vec<ManifestId> = doomed.iter().map(|(id, _)| *id).collect();
        let tags: Vec<String> = self
            .meta()
            .tags_of(&ids)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        self.registry
            .refuse_immutable(name, &tags, "deleted")
            .await?;
        self.meta()
            .delete_artifact_tree(repo.id, row.id, &doomed[1..])
            .await?
            .ok_or_else(|| CoreError::InUse("the deleting artifact is referenced by others".into()))
    }

    /// The artifact first, then its accessories (and theirs) and its untagged children,
    /// parents before children; the deletion re-checks each child in its transaction.
    pub(crate) async fn deletion_set(
        &self,
        repo: &RepositoryRow,
        root: ArtifactRow,
    ) -> Result<Vec<(ManifestId, bool)>, CoreError> {
        let mut doomed: Vec<(ManifestId, bool)> = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = vec![root];
        while let Some(row) = queue.pop() {
            if !seen.insert(row.id) {
                continue;
            }
            doomed.push((row.id, row.accessory_type.is_some()));
            queue.extend(
                self.meta()
                    .accessories_of(repo.id, std::slice::from_ref(&row.digest))
                    .await?,
            );
            for child in index_children(&row.content) {
                let Some(child_row) = self
                    .meta()
                    .artifact_by_digest(repo.id, &child.digest)
                    .await?
                else {
                    continue;
                };
                let tagged = !self.meta().tags_of(&[child_row.id]).await?.is_empty();
                let others = self
                    .meta()
                    .index_parents(repo.id, &child_row.digest)
                    .await?;
                let kept_elsewhere = others.iter().any(|p| !seen.contains(p));
                if !tagged && !kept_elsewhere {
                    queue.push(child_row);
                }
            }
        }
        Ok(doomed)
    }

    /// Copies an artifact (an index with its children present) from `from`
    /// (`project/repo:tag` or `project/repo@digest`) into the repository; a tag reference
    /// copies the tag too. Returns the copied digest.
    pub async fn copy_artifact(
        &self,
        who: &Identity,
        project: &ProjectKey,
        repository: &str,
        from: &str,
    ) -> Result<String, CoreError> {
        let (src_name, src_ref) = parse_source(from)?;
        let dst_project = self
            .project(who, project, ProjectResource::Artifact, Verb::Create)
            .await?;
        let src_project = self
            .project(
                who,
                &ProjectKey::Name(src_name.project().to_owned()),
                ProjectResource::Repository,
                Verb::Pull,
            )
            .await?;
        let (_, src_repo) = self
            .repository(
                &src_project,
                &src_name.as_str()[src_project.name.len() + 1..],
            )
            .await?;
        let row = self.artifact_row(&src_repo, &src_ref).await?;
        if row.accessory_type.is_some() {
            return Err(CoreError::Forbidden);
        }
        let dst_full = format!("{}/{repository}", dst_project.name);
        let dst_name: RepoName = dst_full
            .parse()
            .map_err(|e: berth_types::ParseError| CoreError::Invalid(e.to_string()))?;
        let digest = row.digest.clone();
        self.copy_tree(who, &src_repo, &dst_name, row).await?;
        Ok(digest)
    }

    /// Copies an artifact as Harbor does: children first, then the artifact with every tag
    /// it has, then its accessories (signatures, SBOMs, referrers) with theirs; blobs are
    /// linked on the way. A manifest already in the destination only gets its tags.
    async fn copy_tree(
        &self,
        who: &Identity,
        src: &RepositoryRow,
        dst: &RepoName,
        root: ArtifactRow,
    ) -> Result<(), CoreError> {
        // Depth-first order, children before parents, as a push must go; an accessory right
        // after its subject.
        let mut order: Vec<(ArtifactRow, bool)> = Vec::new();
        let mut stack = vec![(root, false, true)];
        let mut seen = HashSet::new();
        while let Some((row, expanded, tagged)) = stack.pop() {
            if expanded {
                let digest = row.digest.clone();
                order.push((row, tagged));
                for acc in self
                    .meta()
                    .accessories_of(src.id, std::slice::from_ref(&digest))
                    .await?
                {
                    let parsed: berth_types::Digest = row_digest(&acc)?;
                    if let Some(full) = self.meta().artifact_by_digest(src.id, &parsed).await?
                        && seen.insert(full.id)
                    {
                        // Accessories keep their tags (cosign finds its signatures by tag).
                        stack.push((full, true, true));
                    }
                }
                continue;
            }
            if !seen.insert(row.id) {
                continue;
            }
            let children = index_children(&row.content);
            stack.push((row, true, tagged));
            for child in children {
                if let Some(c) = self
                    .meta()
                    .artifact_by_digest(src.id, &child.digest)
                    .await?
                {
                    stack.push((c, false, false));
                }
            }
        }
        let dst_id = self.meta().ensure_repo(dst).await?;
        let permit = berth_auth::issue(who, Resource::Repository(dst.clone()), Action::Push);
        for (row, tagged) in order {
            let blobs = self.meta().manifest_blob_digests(row.id).await?;
            self.meta().link_blobs(dst_id, &blobs).await?;
            // By tag when it has tags (a cosign signature is known as one by its tag), else
            // by digest.
            let mut references = Vec::new();
            if tagged {
                for tag in self.meta().tags_of(&[row.id]).await? {
                    if let Ok(tag) = tag.name.parse::<Tag>() {
                        references.push(Reference::Tag(tag));
                    }
                }
            }
            if references.is_empty() {
                references.push(Reference::Digest(row_digest(&row)?));
            }
            let body = bytes::Bytes::from(row.content);
            for reference in references {
                self.registry
                    .push_manifest(
                        &permit,
                        dst,
                        &reference,
                        Some(&row.manifest_media_type),
                        body.clone(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// The tags of an artifact in name order (only `name`, when given).
    pub async fn list_tags(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        name: Option<&str>,
    ) -> Result<Vec<TagRow>, CoreError> {
        let Located { row, .. } = self
            .locate(who, at, ProjectResource::Tag, Verb::List)
            .await?;
        Ok(self
            .meta()
            .tags_of(&[row.id])
            .await?
            .into_iter()
            .filter(|t| name.is_none_or(|n| t.name == n))
            .collect())
    }

    pub async fn create_tag(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        tag: &str,
    ) -> Result<(), CoreError> {
        let tag: Tag = tag
            .parse()
            .map_err(|e: berth_types::ParseError| CoreError::Invalid(e.to_string()))?;
        let Located {
            name, repo, row, ..
        } = self
            .locate(who, at, ProjectResource::Tag, Verb::Create)
            .await?;
        self.meta()
            .create_tag(repo.id, row.id, tag.as_str())
            .await
            .map_err(|e| match e {
                berth_meta::MetaError::Conflict(_) => {
                    CoreError::Conflict(format!("tag {} already exists", tag.as_str()))
                }
                other => other.into(),
            })?;
        let resource = format!("{name}:{}", tag.as_str());
        self.audit(who, Operation::Create, "tag", &resource, &name);
        Ok(())
    }

    pub async fn delete_tag(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        tag: &str,
    ) -> Result<(), CoreError> {
        let Located {
            name, repo, row, ..
        } = self
            .locate(who, at, ProjectResource::Tag, Verb::Delete)
            .await?;
        self.registry
            .refuse_immutable(&name, &[tag.to_owned()], "deleted")
            .await?;
        if !self
            .meta()
            .delete_artifact_tag(repo.id, row.id, tag)
            .await?
        {
            return Err(CoreError::NotFound(format!(
                "tag {tag} attached to artifact {} not found",
                row.id.0
            )));
        }
        let resource = format!("{name}:{tag}");
        self.audit(who, Operation::Delete, "tag", &resource, &name);
        Ok(())
    }

    fn audit(&self, who: &Identity, op: Operation, kind: &str, resource: &str, repo: &RepoName) {
        self.accounts
            .audit()
            .record(who, op, kind, resource, Some(repo.project()), true);
    }
}

/// `project/repo:tag` or `project/repo@digest`.
fn parse_source(from: &str) -> Result<(RepoName, ArtifactRef), CoreError> {
    let bad = || CoreError::Invalid(format!("invalid copy source {from:?}"));
    let (repo, reference) = if let Some((repo, digest)) = from.split_once('@') {
        (
            repo,
            ArtifactRef::Digest(digest.parse().map_err(|_| bad())?),
        )
    } else {
        let slash = from.rfind('/').ok_or_else(bad)?;
        let colon = from[slash..].find(':').map(|i| i + slash).ok_or_else(bad)?;
        (
            &from[..colon],
            ArtifactRef::Tag(from[colon + 1..].to_owned()),
        )
    };
    let name: RepoName = repo.parse().map_err(|_| bad())?;
    if !name.as_str().contains('/') {
        return Err(bad());
    }
    Ok((name, reference))
}
