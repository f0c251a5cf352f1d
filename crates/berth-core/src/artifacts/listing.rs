//! Reads: repositories and artifacts, one or a page, with tags, labels, accessories and
//! index children filled in per page in a few queries.

use std::collections::HashMap;

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_meta::{
    ArtifactFilter, ArtifactOrder, ArtifactRow, ArtifactScope, RepositoryFilter, RepositoryRow,
};
use berth_types::artifact::{artifact_kind, index_children};
use berth_types::{Digest, ProjectId};

use super::{AccessoryView, ArtifactAt, ArtifactView, Artifacts, Located, ReferenceView};
use crate::CoreError;
use crate::accounts::{ProjectKey, visible_scope};

/// What to fill in on each artifact.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactOptions {
    pub with_tag: bool,
    pub with_label: bool,
    pub with_accessory: bool,
    /// Fill each tag's `immutable` from the project's rules.
    pub with_immutable_status: bool,
}

/// A page of artifacts to list.
#[derive(Debug, Clone)]
pub struct ArtifactQuery {
    pub filter: ArtifactFilter,
    pub order: ArtifactOrder,
    pub offset: i64,
    pub limit: i64,
}

/// A page of repositories to list.
#[derive(Debug, Clone, Default)]
pub struct RepositoryQuery {
    pub filter: RepositoryFilter,
    pub offset: i64,
    pub limit: i64,
}

impl Artifacts {
    /// Repositories of one project, or of every project the caller may see.
    pub async fn list_repositories(
        &self,
        who: &Identity,
        project: Option<&ProjectKey>,
        mut query: RepositoryQuery,
    ) -> Result<(Vec<RepositoryRow>, i64), CoreError> {
        let scope = match project {
            Some(key) => {
                let row = self
                    .project(who, key, ProjectResource::Repository, Verb::List)
                    .await?;
                query.filter.project = Some(row.id);
                berth_meta::ProjectScope::All
            }
            None => visible_scope(who),
        };
        Ok(self
            .meta()
            .list_repositories(scope, &query.filter, query.offset, query.limit)
            .await?)
    }

    pub async fn get_repository(
        &self,
        who: &Identity,
        project: &ProjectKey,
        repository: &str,
    ) -> Result<RepositoryRow, CoreError> {
        let project = self
            .project(who, project, ProjectResource::Repository, Verb::Read)
            .await?;
        Ok(self.repository(&project, repository).await?.1)
    }

    /// A page of artifacts of one repository, or of a whole project (`repository` `None`).
    pub async fn list_artifacts(
        &self,
        who: &Identity,
        project: &ProjectKey,
        repository: Option<&str>,
        query: &ArtifactQuery,
        options: ArtifactOptions,
    ) -> Result<(Vec<ArtifactView>, i64), CoreError> {
        let project = self
            .project(who, project, ProjectResource::Artifact, Verb::List)
            .await?;
        let scope = match repository {
            Some(r) => ArtifactScope::Repository(self.repository(&project, r).await?.1.id),
            None => ArtifactScope::Project(&project.name),
        };
        let (rows, total) = self
            .meta()
            .list_artifacts(scope, &query.filter, query.order, query.offset, query.limit)
            .await?;
        let views = self.fill(project.id, rows, options).await?;
        Ok((views, total))
    }

    /// One artifact by tag or digest.
    pub async fn get_artifact(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        options: ArtifactOptions,
    ) -> Result<ArtifactView, CoreError> {
        let Located { project, row, .. } = self
            .locate(who, at, ProjectResource::Artifact, Verb::Read)
            .await?;
        let mut views = self.fill(project.id, vec![row], options).await?;
        views
            .pop()
            .ok_or_else(|| CoreError::NotFound("artifact vanished".into()))
    }

    /// The accessories of an artifact (signatures, SBOMs, referrers), oldest first.
    pub async fn list_accessories(
        &self,
        who: &Identity,
        at: &ArtifactAt,
    ) -> Result<Vec<AccessoryView>, CoreError> {
        let Located { repo, row, .. } = self
            .locate(who, at, ProjectResource::Accessory, Verb::List)
            .await?;
        Ok(self
            .meta()
            .accessories_of(repo.id, std::slice::from_ref(&row.digest))
            .await?
            .into_iter()
            .map(|acc| AccessoryView {
                row: acc,
                subject_id: row.id,
            })
            .collect())
    }

    /// The build history of an image (its config's `history`).
    pub async fn build_history(
        &self,
        who: &Identity,
        at: &ArtifactAt,
    ) -> Result<serde_json::Value, CoreError> {
        let Located { row, .. } = self
            .locate(who, at, ProjectResource::ArtifactAddition, Verb::Read)
            .await?;
        let kind = artifact_kind(
            &row.manifest_media_type,
            &row.media_type,
            row.artifact_type.as_deref().unwrap_or(""),
        );
        let parsed = berth_types::manifest::parse(&row.content, Some(&row.manifest_media_type))
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let config = match (kind.as_str(), parsed.config) {
            ("IMAGE", Some(config)) => config,
            _ => {
                return Err(CoreError::NotFound(
                    "the artifact has no build history".into(),
                ));
            }
        };
        let bytes = self
            .registry
            .small_blob(&config.digest)
            .await
            .ok_or_else(|| CoreError::NotFound("the image config cannot be read".into()))?;
        Ok(berth_types::artifact::build_history(&bytes))
    }

    /// Adds type, tags, labels, accessories and children to a page of artifacts.
    async fn fill(
        &self,
        project_id: ProjectId,
        rows: Vec<ArtifactRow>,
        options: ArtifactOptions,
    ) -> Result<Vec<ArtifactView>, CoreError> {
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let mut tags: HashMap<_, Vec<_>> = HashMap::new();
        let mut immutable = std::collections::HashSet::new();
        if options.with_tag {
            let all = self.meta().tags_of(&ids).await?;
            if options.with_immutable_status
                && let Some(first) = rows.first()
                && let Ok(repo) = first.repository_name.parse::<berth_types::RepoName>()
            {
                // One project per listing: its rules once, each tag against its repository.
                let by_repo: HashMap<_, &str> = rows
                    .iter()
                    .map(|r| (r.repository_id, r.repository_name.as_str()))
                    .collect();
                let rules = self.registry.immutable_rules(&repo).await?;
                for t in &all {
                    let name = by_repo.get(&t.repository_id).copied().unwrap_or_default();
                    let short = name.split_once('/').map_or(name, |(_, r)| r);
                    if berth_types::immutability::is_immutable(&rules, short, &t.name) {
                        immutable.insert(t.id);
                    }
                }
            }
            for t in all {
                tags.entry(t.artifact_id).or_default().push(t);
            }
        }
        let mut labels: HashMap<_, Vec<_>> = HashMap::new();
        if options.with_label {
            for (id, l) in self.meta().labels_of(&ids).await? {
                labels.entry(id).or_default().push(l);
            }
        }
        // Accessories and children are looked up per repository (a project listing spans
        // several).
        let mut by_repo: HashMap<_, Vec<&ArtifactRow>> = HashMap::new();
        for r in &rows {
            by_repo.entry(r.repository_id).or_default().push(r);
        }
        let mut accessories: HashMap<String, Vec<AccessoryView>> = HashMap::new();
        let mut child_ids = HashMap::new();
        for (repo, list) in &by_repo {
            if options.with_accessory {
                let digests: Vec<String> = list.iter().map(|r| r.digest.clone()).collect();
                let subjects: HashMap<&str, _> =
                    list.iter().map(|r| (r.digest.as_str(), r.id)).collect();
                for acc in self.meta().accessories_of(*repo, &digests).await? {
                    let Some(subject) = acc.subject_digest.clone() else {
                        continue;
                    };
                    let Some(subject_id) = subjects.get(subject.as_str()).copied() else {
                        continue;
                    };
                    accessories
                        .entry(format!("{}@{subject}", repo.0))
                        .or_default()
                        .push(AccessoryView {
                            row: acc,
                            subject_id,
                        });
                }
            }
            let children: Vec<String> = list
                .iter()
                .filter(|r| is_index(&r.manifest_media_type))
                .flat_map(|r| index_children(&r.content))
                .map(|c| c.digest.to_string())
                .collect();
            for (digest, id) in self.meta().manifest_ids(*repo, &children).await? {
                child_ids.insert((repo.0, digest), id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let kind = artifact_kind(
                    &row.manifest_media_type,
                    &row.media_type,
                    row.artifact_type.as_deref().unwrap_or(""),
                );
                let references = if is_index(&row.manifest_media_type) {
                    index_children(&row.content)
                        .into_iter()
                        .map(|child| ReferenceView {
                            child_id: child_ids
                                .get(&(row.repository_id.0, child.digest.to_string()))
                                .copied(),
                            child,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                ArtifactView {
                    tags: tags.remove(&row.id).unwrap_or_default(),
                    immutable_tags: immutable.clone(),
                    labels: labels.remove(&row.id).unwrap_or_default(),
                    accessories: accessories
                        .remove(&format!("{}@{}", row.repository_id.0, row.digest))
                        .unwrap_or_default(),
                    references,
                    kind,
                    project_id,
                    row,
                }
            })
            .collect())
    }
}

fn is_index(media_type: &str) -> bool {
    media_type == berth_types::media_type::OCI_INDEX
        || media_type == berth_types::media_type::DOCKER_MANIFEST_LIST
}

/// The digest an artifact row holds (stored digests are valid).
pub(crate) fn row_digest(row: &ArtifactRow) -> Result<Digest, CoreError> {
    row.digest
        .parse()
        .map_err(|_| CoreError::Internal(format!("stored digest {}", row.digest)))
}
