//! Labels: global ones (managed by system administrators, seen by everyone signed in) and
//! project ones (managed by the project's admins and maintainers), and their attachment to
//! artifacts.

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_meta::{LabelFields, LabelRow, MetaError};
use berth_types::ProjectId;

use super::{ArtifactAt, Artifacts, Located};
use crate::CoreError;
use crate::accounts::{ProjectKey, require_sysadmin};
use crate::audit::Operation;

/// A label to create or the new values of one.
#[derive(Debug, Clone)]
pub struct LabelRequest {
    pub name: String,
    pub description: String,
    pub color: String,
    /// A project label's project; `None` for a global label.
    pub project: Option<ProjectId>,
}

fn check(req: &LabelRequest) -> Result<(), CoreError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(CoreError::Invalid(
            "a label name is 1-128 characters".into(),
        ));
    }
    let color_ok = req.color.is_empty()
        || (req.color.len() == 7
            && req.color.starts_with('#')
            && req.color[1..].chars().all(|c| c.is_ascii_hexdigit()));
    if !color_ok {
        return Err(CoreError::Invalid("a label color is #RRGGBB".into()));
    }
    Ok(())
}

fn conflict(e: MetaError) -> CoreError {
    match e {
        MetaError::Conflict(m) => CoreError::Conflict(m.to_owned()),
        other => other.into(),
    }
}

impl Artifacts {
    /// Who may change a label: system administrators for global labels, holders of the
    /// project's label `verb` for project labels.
    async fn require_label(
        &self,
        who: &Identity,
        project: Option<ProjectId>,
        verb: Verb,
    ) -> Result<(), CoreError> {
        match project {
            None if matches!(verb, Verb::Read | Verb::List) => {
                if who.is_account() {
                    Ok(())
                } else {
                    Err(CoreError::Unauthenticated)
                }
            }
            None => require_sysadmin(who),
            Some(id) => self
                .project(who, &ProjectKey::Id(id), ProjectResource::Label, verb)
                .await
                .map(|_| ()),
        }
    }

    pub async fn create_label(&self, who: &Identity, req: &LabelRequest) -> Result<i64, CoreError> {
        self.require_label(who, req.project, Verb::Create).await?;
        check(req)?;
        let fields = LabelFields {
            name: req.name.trim(),
            description: &req.description,
            color: &req.color,
        };
        let id = self
            .meta()
            .create_label(req.project, &fields)
            .await
            .map_err(conflict)?;
        self.accounts
            .audit()
            .record(who, Operation::Create, "label", req.name.trim(), None, true);
        Ok(id)
    }

    pub async fn list_labels(
        &self,
        who: &Identity,
        project: Option<ProjectId>,
        name: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<LabelRow>, i64), CoreError> {
        self.require_label(who, project, Verb::List).await?;
        Ok(self
            .meta()
            .list_labels(project, name, offset, limit)
            .await?)
    }

    pub async fn label(&self, who: &Identity, id: i64) -> Result<LabelRow, CoreError> {
        // Nobody anonymous reads a label: say so before saying whether it exists.
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let row = self.meta().label(id).await?;
        let Some(row) = row else {
            return Err(CoreError::NotFound(format!("label {id} not found")));
        };
        self.require_label(who, row.project_id, Verb::Read).await?;
        Ok(row)
    }

    pub async fn update_label(
        &self,
        who: &Identity,
        id: i64,
        req: &LabelRequest,
    ) -> Result<(), CoreError> {
        let row = self.label(who, id).await?;
        self.require_label(who, row.project_id, Verb::Update)
            .await?;
        check(req)?;
        let fields = LabelFields {
            name: req.name.trim(),
            description: &req.description,
            color: &req.color,
        };
        self.meta()
            .update_label(id, &fields)
            .await
            .map_err(conflict)?;
        self.accounts
            .audit()
            .record(who, Operation::Update, "label", &row.name, None, true);
        Ok(())
    }

    pub async fn delete_label(&self, who: &Identity, id: i64) -> Result<(), CoreError> {
        let row = self.label(who, id).await?;
        self.require_label(who, row.project_id, Verb::Delete)
            .await?;
        self.meta().delete_label(id).await?;
        self.accounts
            .audit()
            .record(who, Operation::Delete, "label", &row.name, None, true);
        Ok(())
    }

    /// Puts a label on an artifact: a global label or one of the artifact's project.
    pub async fn attach_label(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        label: i64,
    ) -> Result<(), CoreError> {
        let Located { project, row, .. } = self
            .locate(who, at, ProjectResource::ArtifactLabel, Verb::Create)
            .await?;
        let found = self.meta().label(label).await?;
        match found {
            Some(l) if l.project_id.is_none_or(|p| p == project.id) => {}
            Some(_) => {
                return Err(CoreError::Invalid(format!(
                    "label {label} belongs to another project"
                )));
            }
            None => return Err(CoreError::NotFound(format!("label {label} not found"))),
        }
        self.meta()
            .attach_label(row.id, label)
            .await
            .map_err(conflict)
    }

    pub async fn detach_label(
        &self,
        who: &Identity,
        at: &ArtifactAt,
        label: i64,
    ) -> Result<(), CoreError> {
        let Located { row, .. } = self
            .locate(who, at, ProjectResource::ArtifactLabel, Verb::Delete)
            .await?;
        if self.meta().detach_label(row.id, label).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound(format!(
                "label {label} is not on the artifact"
            )))
        }
    }
}
