//! Harbor's artifact model over the registry: repositories, artifacts, tags and labels as
//! the Harbor API lists, shows and changes them. Every operation resolves the project and
//! checks the caller's permission on it first.

mod changes;
mod chart;
mod labels;
mod listing;
mod overview;

use std::sync::Arc;

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_meta::{ArtifactRow, LabelRow, ProjectRow, TagRow};
use berth_types::{Digest, ManifestId, ProjectId, RepoName};

use crate::accounts::{Accounts, ProjectKey};
use crate::{CoreError, Registry};

pub use chart::Addition;
pub use labels::LabelRequest;
pub use listing::{ArtifactOptions, ArtifactQuery, RepositoryQuery};
pub use overview::{FoundRepository, Overview};

/// The artifact use cases.
#[derive(Clone)]
pub struct Artifacts {
    pub(crate) accounts: Accounts,
    pub(crate) registry: Arc<Registry>,
}

/// How the API names an artifact: by tag or by digest.
#[derive(Debug, Clone)]
pub enum ArtifactRef {
    Digest(Digest),
    Tag(String),
}

impl ArtifactRef {
    pub fn parse(reference: &str) -> ArtifactRef {
        match reference.parse::<Digest>() {
            Ok(d) => ArtifactRef::Digest(d),
            Err(_) => ArtifactRef::Tag(reference.to_owned()),
        }
    }
}

impl std::fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArtifactRef::Digest(d) => write!(f, "@{d}"),
            ArtifactRef::Tag(t) => write!(f, ":{t}"),
        }
    }
}

/// Where the API names an artifact: project, repository (without the project's name) and
/// tag or digest.
#[derive(Debug, Clone)]
pub struct ArtifactAt {
    pub project: ProjectKey,
    pub repository: String,
    pub reference: ArtifactRef,
}

/// An artifact found, with its project and repository.
struct Located {
    project: ProjectRow,
    name: RepoName,
    repo: berth_meta::RepositoryRow,
    row: ArtifactRow,
}

/// An accessory as an artifact lists it.
#[derive(Debug, Clone)]
pub struct AccessoryView {
    pub row: ArtifactRow,
    pub subject_id: ManifestId,
}

/// A child an index names, with the artifact id when the child is present.
#[derive(Debug, Clone)]
pub struct ReferenceView {
    pub child: berth_types::artifact::IndexChild,
    pub child_id: Option<ManifestId>,
}

/// An artifact with what the listing options asked for.
#[derive(Debug, Clone)]
pub struct ArtifactView {
    pub row: ArtifactRow,
    pub project_id: ProjectId,
    /// Harbor's type: IMAGE, CHART, CNAB, ... or UNKNOWN.
    pub kind: String,
    pub tags: Vec<TagRow>,
    /// Ids of the tags an immutability rule holds (filled on request).
    pub immutable_tags: std::collections::HashSet<i64>,
    pub labels: Vec<LabelRow>,
    pub accessories: Vec<AccessoryView>,
    pub references: Vec<ReferenceView>,
}

impl Artifacts {
    pub fn new(accounts: Accounts, registry: Arc<Registry>) -> Artifacts {
        Artifacts { accounts, registry }
    }

    pub(crate) fn meta(&self) -> &berth_meta::MetaStore {
        self.accounts.meta()
    }

    /// The project, once the caller holds `verb` on `resource` there.
    pub(crate) async fn project(
        &self,
        who: &Identity,
        project: &ProjectKey,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<ProjectRow, CoreError> {
        self.accounts
            .project_for(who, project, resource, verb)
            .await
    }

    /// The full repository name of `repository` in `project`, and its row.
    async fn repository(
        &self,
        project: &ProjectRow,
        repository: &str,
    ) -> Result<(RepoName, berth_meta::RepositoryRow), CoreError> {
        let full = format!("{}/{repository}", project.name);
        let name: RepoName = full
            .parse()
            .map_err(|_| CoreError::NotFound(format!("repository {full} not found")))?;
        let row = self
            .meta()
            .repository(name.as_str())
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("repository {full} not found")))?;
        Ok((name, row))
    }

    /// The artifact `at` names, once the caller holds `verb` on `resource` in its project.
    async fn locate(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<Located, CoreError> {
        let project = self.project(who, &at.project, resource, verb).await?;
        let (name, repo) = self.repository(&project, &at.repository).await?;
        let row = self.artifact_row(&repo, &at.reference).await?;
        Ok(Located {
            project,
            name,
            repo,
            row,
        })
    }

    /// The artifact a reference names in a repository.
    async fn artifact_row(
        &self,
        repo: &berth_meta::RepositoryRow,
        reference: &ArtifactRef,
    ) -> Result<ArtifactRow, CoreError> {
        let found = match reference {
            ArtifactRef::Digest(d) => self.meta().artifact_by_digest(repo.id, d).await?,
            ArtifactRef::Tag(t) => self.meta().artifact_by_tag(repo.id, t).await?,
        };
        found.ok_or_else(|| {
            CoreError::NotFound(format!("artifact {}{reference} not found", repo.name))
        })
    }
}
