//! User management beyond creation: passwords, the administrator flag, search.

use berth_auth::Identity;
use berth_auth::password::{hash_password, verify_password};
use berth_meta::UserRow;
use berth_types::{Password, UserId};

use crate::CoreError;
use crate::accounts::{Accounts, kdf};
use crate::audit::Operation;

impl Accounts {
    /// A user, for the user themself or a system administrator.
    pub async fn user_for(&self, who: &Identity, id: UserId) -> Result<UserRow, CoreError> {
        self.require_self_or_admin(who, id)?;
        self.user(id)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("user {} not found", id.0)))
    }

    /// Changes a password: users change their own (giving the current one), system
    /// administrators anyone's.
    pub async fn change_password(
        &self,
        who: &Identity,
        id: UserId,
        old: Option<&str>,
        new: &str,
    ) -> Result<(), CoreError> {
        self.require_self_or_admin(who, id)?;
        let user = self
            .user(id)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("user {} not found", id.0)))?;
        let new: Password = new
            .parse()
            .map_err(|_| CoreError::Invalid(berth_types::PASSWORD_POLICY.into()))?;
        let stored = user.password_hash.clone().unwrap_or_default();
        if who.user_id() == Some(id) {
            let old = old.unwrap_or("").to_owned();
            let hash = stored.clone();
            if !kdf(move || verify_password(&old, &hash)).await? {
                return Err(CoreError::Forbidden);
            }
        }
        let attempt = new.expose().to_owned();
        if kdf(move || verify_password(&attempt, &stored)).await? {
            return Err(CoreError::Invalid(
                "the new password is the same as the old one".into(),
            ));
        }
        self.set_password(id, new).await?;
        self.forget_login(&user.username);
        self.audit()
            .record(who, Operation::Update, "user", &user.username, None, true);
        Ok(())
    }

    /// Sets a password with no check of the caller: for the operator's command line.
    pub async fn set_password(&self, id: UserId, password: Password) -> Result<(), CoreError> {
        let hash = kdf(move || hash_password(password.expose()))
            .await?
            .map_err(CoreError::Invalid)?;
        if self.meta().set_password_hash(id, &hash).await? {
            if let Some(user) = self.user(id).await? {
                self.forget_login(&user.username);
            }
            self.end_sessions_of(id).await?;
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("user {} not found", id.0)))
        }
    }

    /// Makes a user a system administrator or not (system administrators only; the first
    /// administrator keeps the flag).
    pub async fn set_sysadmin(
        &self,
        who: &Identity,
        id: UserId,
        flag: bool,
    ) -> Result<(), CoreError> {
        crate::accounts::require_sysadmin(who)?;
        if id == UserId(1) && !flag {
            return Err(CoreError::Forbidden);
        }
        if self.meta().set_sysadmin(id, flag).await? {
            if let Some(user) = self.user(id).await? {
                self.forget_login(&user.username);
            }
            self.audit().record(
                who,
                Operation::Update,
                "user",
                &format!("{} sysadmin={flag}", id.0),
                None,
                true,
            );
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("user {} not found", id.0)))
        }
    }

    /// Changes a user's profile (the user or a system administrator).
    pub async fn update_profile(
        &self,
        who: &Identity,
        id: UserId,
        email: &str,
        realname: &str,
        comment: &str,
    ) -> Result<(), CoreError> {
        self.require_self_or_admin(who, id)?;
        if !crate::accounts::valid_email(email) {
            return Err(CoreError::Invalid("invalid email".into()));
        }
        if !berth_types::valid_realname(realname) {
            return Err(CoreError::Invalid("invalid realname".into()));
        }
        if comment.chars().count() > 30 {
            return Err(CoreError::Invalid(
                "comment is longer than 30 characters".into(),
            ));
        }
        let found = self
            .meta()
            .update_user_profile(id, email, realname, comment)
            .await
            .map_err(|e| match e {
                berth_meta::MetaError::Conflict(m) => CoreError::Conflict(m.to_owned()),
                other => other.into(),
            })?;
        if !found {
            return Err(CoreError::NotFound(format!("user {} not found", id.0)));
        }
        self.audit().record(
            who,
            Operation::Update,
            "user",
            &id.0.to_string(),
            None,
            true,
        );
        Ok(())
    }

    /// Deletes a user (system administrators; not themselves, not the first administrator).
    pub async fn delete_user(&self, who: &Identity, id: UserId) -> Result<(), CoreError> {
        crate::accounts::require_sysadmin(who)?;
        if id == UserId(1) || who.user_id() == Some(id) {
            return Err(CoreError::Forbidden);
        }
        let Some(user) = self.user(id).await? else {
            return Err(CoreError::NotFound(format!("user {} not found", id.0)));
        };
        if !self.meta().delete_user(id).await? {
            return Err(CoreError::NotFound(format!("user {} not found", id.0)));
        }
        self.forget_login(&user.username);
        self.forget_access();
        self.audit()
            .record(who, Operation::Delete, "user", &user.username, None, true);
        Ok(())
    }

    /// Users whose name contains `part`, for any authenticated caller.
    pub async fn search_users(
        &self,
        who: &Identity,
        part: &str,
        limit: i64,
    ) -> Result<Vec<UserRow>, CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        Ok(self.meta().search_users(part, limit).await?)
    }

    fn require_self_or_admin(&self, who: &Identity, id: UserId) -> Result<(), CoreError> {
        match who {
            Identity::User { sysadmin: true, .. } => Ok(()),
            Identity::User { id: me, .. } if *me == id => Ok(()),
            Identity::User { .. } | Identity::Robot { .. } => Err(CoreError::Forbidden),
            _ => Err(CoreError::Unauthenticated),
        }
    }
}
