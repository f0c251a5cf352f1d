//! Tag immutability: a project's rules, and the checks pushes and deletions make against
//! them. A push onto an existing immutable tag, and the deletion of an immutable tag (or of
//! an artifact or repository holding one), are refused with 412, through `/v2` and the API.

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_types::RepoName;
use berth_types::immutability::{ImmutableRule, is_immutable};

use crate::accounts::ProjectKey;
use crate::artifacts::Artifacts;
use crate::audit::Operation;
use crate::{CoreError, Registry};

/// A stored rule with its id.
#[derive(Debug, Clone)]
pub struct StoredRule {
    pub id: i64,
    pub project_id: i64,
    pub rule: ImmutableRule,
}

fn parse(text: &str) -> Option<ImmutableRule> {
    serde_json::from_str(text).ok()
}

/// The repository's name without its project (what rules select on).
fn short(repo: &RepoName) -> &str {
    repo.as_str()
        .split_once('/')
        .map_or(repo.as_str(), |(_, rest)| rest)
}

impl Registry {
    /// The rules of the repository's project (usually none: one indexed query).
    pub(crate) async fn immutable_rules(
        &self,
        repo: &RepoName,
    ) -> Result<Vec<ImmutableRule>, CoreError> {
        Ok(self
            .meta
            .immutable_rules_of_project(repo.project())
            .await?
            .iter()
            .filter_map(|t| parse(t))
            .collect())
    }

    /// Refuses when one of `tags` of the repository is immutable; `what` says to what.
    pub(crate) async fn refuse_immutable(
        &self,
        repo: &RepoName,
        tags: &[String],
        what: &str,
    ) -> Result<(), CoreError> {
        if tags.is_empty() {
            return Ok(());
        }
        let rules = self.immutable_rules(repo).await?;
        if let Some(tag) = tags.iter().find(|t| is_immutable(&rules, short(repo), t)) {
            return Err(CoreError::Precondition(format!(
                "the tag {tag} configured as immutable, cannot be {what}"
            )));
        }
        Ok(())
    }

    /// Refuses a push onto `tag` when the tag exists and is immutable (a first push is fine).
    pub(crate) async fn refuse_overwrite(
        &self,
        repo: &RepoName,
        tag: &berth_types::Tag,
    ) -> Result<(), CoreError> {
        let rules = self.immutable_rules(repo).await?;
        if is_immutable(&rules, short(repo), tag.as_str())
            && self
                .meta
                .manifest(repo, &berth_types::Reference::Tag(tag.clone()))
                .await?
                .is_some()
        {
            return Err(CoreError::Precondition(format!(
                "the tag {} configured as immutable, cannot be updated",
                tag.as_str()
            )));
        }
        Ok(())
    }
}

impl Artifacts {
    pub async fn list_immutable_rules(
        &self,
        who: &Identity,
        project: &ProjectKey,
    ) -> Result<Vec<StoredRule>, CoreError> {
        let row = self
            .project(who, project, ProjectResource::ImmutableTag, Verb::List)
            .await?;
        Ok(self
            .meta()
            .immutable_rules(row.id)
            .await?
            .into_iter()
            .filter_map(|(id, text)| {
                parse(&text).map(|rule| StoredRule {
                    id,
                    project_id: row.id.0,
                    rule,
                })
            })
            .collect())
    }

    /// Adds a rule; 409 when the project has one selecting the same.
    pub async fn create_immutable_rule(
        &self,
        who: &Identity,
        project: &ProjectKey,
        rule: &ImmutableRule,
    ) -> Result<i64, CoreError> {
        let row = self
            .project(who, project, ProjectResource::ImmutableTag, Verb::Create)
            .await?;
        rule.validate().map_err(CoreError::Invalid)?;
        let existing = self.meta().immutable_rules(row.id).await?;
        if existing
            .iter()
            .filter_map(|(_, t)| parse(t))
            .any(|r| r.same_selection(rule))
        {
            return Err(CoreError::Conflict("immutable rule already exists".into()));
        }
        let text = serde_json::to_string(rule).map_err(|e| CoreError::Internal(e.to_string()))?;
        let id = self.meta().create_immutable_rule(row.id, &text).await?;
        self.accounts.audit().record(
            who,
            Operation::Create,
            "immutable_rule",
            &format!("{} rule {id}", row.name),
            Some(&row.name),
            true,
        );
        Ok(id)
    }

    pub async fn update_immutable_rule(
        &self,
        who: &Identity,
        project: &ProjectKey,
        id: i64,
        rule: &ImmutableRule,
    ) -> Result<(), CoreError> {
        let row = self
            .project(who, project, ProjectResource::ImmutableTag, Verb::Update)
            .await?;
        rule.validate().map_err(CoreError::Invalid)?;
        let text = serde_json::to_string(rule).map_err(|e| CoreError::Internal(e.to_string()))?;
        if !self.meta().update_immutable_rule(row.id, id, &text).await? {
            return Err(CoreError::NotFound(format!(
                "immutable rule {id} not found"
            )));
        }
        Ok(())
    }

    pub async fn delete_immutable_rule(
        &self,
        who: &Identity,
        project: &ProjectKey,
        id: i64,
    ) -> Result<(), CoreError> {
        let row = self
            .project(who, project, ProjectResource::ImmutableTag, Verb::Delete)
            .await?;
        if !self.meta().delete_immutable_rule(row.id, id).await? {
            return Err(CoreError::NotFound(format!(
                "immutable rule {id} not found"
            )));
        }
        Ok(())
    }
}
