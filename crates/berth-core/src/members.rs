//! Project members: listing them and changing who holds which role, with Harbor's checks
//! (`member:list` and `member:read` for members down to guests, changes for project admins).

use berth_auth::Identity;
use berth_auth::rbac::{ProjectResource, Verb};
use berth_meta::MemberRow;
use berth_types::{Role, UserId};

use crate::CoreError;
use crate::accounts::{Accounts, ProjectKey};
use crate::audit::Operation;

/// The user a new membership is for, as a request names it.
#[derive(Debug, Clone)]
pub enum MemberUser {
    Id(UserId),
    Name(String),
}

fn role(id: i64) -> Result<Role, CoreError> {
    Role::from_id(id).ok_or_else(|| CoreError::Invalid(format!("invalid role id {id}")))
}

impl Accounts {
    pub async fn list_members(
        &self,
        who: &Identity,
        key: &ProjectKey,
        name: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<MemberRow>, i64), CoreError> {
        let project = self
            .project_for(who, key, ProjectResource::Member, Verb::List)
            .await?;
        Ok(self
            .meta()
            .list_members(project.id, name, offset, limit)
            .await?)
    }

    pub async fn member(
        &self,
        who: &Identity,
        key: &ProjectKey,
        id: i64,
    ) -> Result<MemberRow, CoreError> {
        let project = self
            .project_for(who, key, ProjectResource::Member, Verb::Read)
            .await?;
        self.meta()
            .member(project.id, id)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("member {id} not found")))
    }

    /// Makes a user a member with a role; returns the membership's id.
    pub async fn add_member(
        &self,
        who: &Identity,
        key: &ProjectKey,
        user: &MemberUser,
        role_id: i64,
    ) -> Result<i64, CoreError> {
        let project = self
            .project_for(who, key, ProjectResource::Member, Verb::Create)
            .await?;
        let role = role(role_id)?;
        let found = match user {
            MemberUser::Id(id) => self.meta().user_by_id(*id).await?,
            MemberUser::Name(name) => self.meta().user_by_name(name).await?,
        };
        let Some(user) = found else {
            return Err(CoreError::NotFound("user not found".into()));
        };
        let id = self.meta().add_member(project.id, user.id, role).await?;
        self.forget_access();
        self.audit().record(
            who,
            Operation::Create,
            "member",
            &format!("{}/{}", project.name, user.username),
            Some(&project.name),
            true,
        );
        Ok(id)
    }

    pub async fn set_member_role(
        &self,
        who: &Identity,
        key: &ProjectKey,
        id: i64,
        role_id: i64,
    ) -> Result<(), CoreError> {
        let project = self
            .project_for(who, key, ProjectResource::Member, Verb::Update)
            .await?;
        let role = role(role_id)?;
        if self.meta().set_member_role(project.id, id, role).await? {
            self.forget_access();
            self.audit().record(
                who,
                Operation::Update,
                "member",
                &format!("{}/{id}", project.name),
                Some(&project.name),
                true,
            );
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("member {id} not found")))
        }
    }

    pub async fn delete_member(
        &self,
        who: &Identity,
        key: &ProjectKey,
        id: i64,
    ) -> Result<(), CoreError> {
        let project = self
            .project_for(who, key, ProjectResource::Member, Verb::Delete)
            .await?;
        if self.meta().delete_member(project.id, id).await? {
            self.forget_access();
            self.audit().record(
                who,
                Operation::Delete,
                "member",
                &format!("{}/{id}", project.name),
                Some(&project.name),
                true,
            );
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("member {id} not found")))
        }
    }
}
