//! Tag retention: a project's policy (Harbor's `/retentions`), and a run of it, which
//! deletes the artifacts no rule keeps in the repositories the rules apply to. An artifact
//! with an immutable tag, or one an index still names, is never deleted.

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_meta::{
    ArtifactFilter, ArtifactOrder, ArtifactScope, ProjectScope, RepositoryFilter, RetentionTaskRow,
};
use berth_types::jobs::ExecutionId;
use berth_types::retention::{Candidate, RetentionPolicy};
use berth_types::{ProjectId, RepoName};

use crate::CoreError;
use crate::accounts::ProjectKey;
use crate::artifacts::Artifacts;

/// How a run reports, and learns it must stop.
pub trait RetentionObserver: Send + Sync {
    fn log(&self, line: &str);
    fn stop_requested(&self) -> bool;
}

/// What a run did in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub repositories: u64,
    pub total: u64,
    pub retained: u64,
    pub deleted: u64,
}

/// Artifacts of a repository read per page while a run lists them.
const PAGE: i64 = 1000;

fn now_ms() -> i64 {
    crate::audit::now_ms()
}

impl Artifacts {
    /// A policy, with `who` allowed `verb` on its project's retention.
    pub async fn retention_for(
        &self,
        who: &Identity,
        id: i64,
        verb: Verb,
    ) -> Result<RetentionPolicy, CoreError> {
        let not_found = || CoreError::NotFound(format!("retention policy {id} not found"));
        let row = self.meta().retention(id).await?.ok_or_else(not_found)?;
        self.project(
            who,
            &ProjectKey::Id(ProjectId(row.project_id)),
            ProjectResource::TagRetention,
            verb,
        )
        .await?;
        let mut policy: RetentionPolicy = serde_json::from_str(&row.policy)
            .map_err(|e| CoreError::Internal(format!("stored retention policy {id}: {e}")))?;
        policy.id = id;
        Ok(policy)
    }

    /// Checks and stores a project's policy; returns its id and the cron of its schedule
    /// (empty: none), which the caller checks and schedules.
    pub async fn create_retention(
        &self,
        who: &Identity,
        policy: &RetentionPolicy,
    ) -> Result<(i64, String), CoreError> {
        let cron = policy.validate().map_err(CoreError::Invalid)?;
        let project = self
            .project(
                who,
                &ProjectKey::Id(ProjectId(policy.project_id())),
                ProjectResource::TagRetention,
                Verb::Create,
            )
            .await
            .map_err(|e| match e {
                // Harbor's answer to a scope naming no project.
                CoreError::NotFound(_) => {
                    CoreError::Invalid(format!("invalid project id {}", policy.project_id()))
                }
                other => other,
            })?;
        if let Some(existing) = self.meta().retention_of_project(project.id.0).await? {
            return Err(CoreError::Invalid(format!(
                "project {} already has retention policy {existing}",
                project.name
            )));
        }
        let mut stored = policy.clone();
        stored.id = 0;
        let text =
            serde_json::to_string(&stored).map_err(|e| CoreError::Internal(e.to_string()))?;
        let id = self
            .meta()
            .create_retention(project.id.0, &text)
            .await
            .map_err(|e| match e {
                berth_meta::MetaError::Conflict(_) => CoreError::Invalid(format!(
                    "project {} already has a retention policy",
                    project.name
                )),
                other => other.into(),
            })?;
        Ok((id, cron))
    }

    /// Replaces a policy (same project); returns the cron of its schedule.
    pub async fn update_retention(
        &self,
        who: &Identity,
        id: i64,
        policy: &RetentionPolicy,
    ) -> Result<String, CoreError> {
        let current = self.retention_for(who, id, Verb::Update).await?;
        let cron = policy.validate().map_err(CoreError::Invalid)?;
        if policy.project_id() != current.project_id() {
            return Err(CoreError::Invalid(
                "a retention policy stays with its project".into(),
            ));
        }
        let mut stored = policy.clone();
        stored.id = 0;
        let text =
            serde_json::to_string(&stored).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.meta().update_retention(id, &text).await?;
        Ok(cron)
    }

    pub async fn delete_retention(&self, who: &Identity, id: i64) -> Result<(), CoreError> {
        self.retention_for(who, id, Verb::Delete).await?;
        self.meta().delete_retention(id).await?;
        Ok(())
    }

    /// Runs policy `id` (the retention job; no caller to check): for each repository of
    /// the project a rule applies to, deletes (or, dry, lists) the artifacts no rule keeps,
    /// and records what it did under `execution`. `None` when the policy is gone.
    pub async fn run_retention(
        &self,
        id: i64,
        execution: ExecutionId,
        dry_run: bool,
        obs: &dyn RetentionObserver,
    ) -> Result<Option<RetentionReport>, CoreError> {
        let Some(row) = self.meta().retention(id).await? else {
            obs.log(&format!("retention policy {id} no longer exists"));
            return Ok(None);
        };
        let policy: RetentionPolicy = serde_json::from_str(&row.policy)
            .map_err(|e| CoreError::Internal(format!("stored retention policy {id}: {e}")))?;
        let filter = RepositoryFilter {
            project: Some(ProjectId(row.project_id)),
            by_name: true,
            ..RepositoryFilter::default()
        };
        let (repos, _) = self
            .meta()
            .list_repositories(ProjectScope::All, &filter, 0, i64::MAX)
            .await?;
        let mut report = RetentionReport::default();
        for repo in repos {
            if obs.stop_requested() {
                obs.log("stopped on request");
                break;
            }
            let Ok(name) = repo.name.parse::<RepoName>() else {
                continue;
            };
            let short = repo
                .name
                .split_once('/')
                .map_or(repo.name.as_str(), |(_, r)| r)
                .to_owned();
            let start = now_ms();
            let (candidates, rows) = self.candidates(&repo).await?;
            let Some(kept) = policy.retained(&short, &candidates, start) else {
                continue;
            };
            let prefix = if dry_run { "[DRYRUN] " } else { "" };
            let mut log = Vec::new();
            let mut retained = 0i64;
            for (c, artifact) in candidates.iter().zip(&rows) {
                let shown = format!("{}@{}", repo.name, artifact.digest);
                if kept.contains(&c.id) {
                    retained += 1;
                    log.push(format!("{prefix}retain {shown} {:?}", c.tags));
                    continue;
                }
                if dry_run {
                    log.push(format!("{prefix}delete {shown} {:?}", c.tags));
                    continue;
                }
                match self.delete_tree(&name, &repo, artifact).await {
                    Ok(_) => log.push(format!("delete {shown} {:?}", c.tags)),
                    Err(CoreError::Precondition(why) | CoreError::InUse(why)) => {
                        retained += 1;
                        log.push(format!("retain {shown} {:?}: {why}", c.tags));
                    }
                    Err(e) => return Err(e),
                }
            }
            let total = candidates.len() as i64;
            obs.log(&format!(
                "{prefix}{}: {total} artifacts, {retained} retained",
                repo.name
            ));
            report.repositories += 1;
            report.total += total as u64;
            report.retained += retained as u64;
            report.deleted += (total - retained) as u64;
            self.meta()
                .record_retention_task(&RetentionTaskRow {
                    id: 0,
                    execution_id: execution,
                    repository: short,
                    status: "Success".into(),
                    total,
                    retained,
                    log: log.join("\n") + "\n",
                    start_time: start,
                    end_time: now_ms(),
                })
                .await?;
        }
        Ok(Some(report))
    }

    /// The repository's artifacts retention decides on: those not named by an index of
    /// it, accessories excluded (they go with their subject).
    async fn candidates(
        &self,
        repo: &berth_meta::RepositoryRow,
    ) -> Result<(Vec<Candidate>, Vec<berth_meta::ArtifactRow>), CoreError> {
        let mut out = Vec::new();
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let (rows, total) = self
                .meta()
                .list_artifacts(
                    ArtifactScope::Repository(repo.id),
                    &ArtifactFilter::default(),
                    ArtifactOrder::PushTimeDesc,
                    offset,
                    PAGE,
                )
                .await?;
            let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
            let tags = self.meta().tags_of(&ids).await?;
            for r in &rows {
                out.push(Candidate {
                    id: r.id.0,
                    tags: tags
                        .iter()
                        .filter(|t| t.artifact_id == r.id)
                        .map(|t| t.name.clone())
                        .collect(),
                    pushed: r.push_time,
                    pulled: r.pull_time,
                });
            }
            offset += PAGE;
            let done = rows.is_empty() || offset >= total;
            all.extend(rows);
            if done {
                return Ok((out, all));
            }
        }
    }
}
