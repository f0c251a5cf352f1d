//! Robot accounts: creation with a generated secret (shown once), listing, updates, secret
//! refresh, deletion, and their logins (`robot$<name>` or `robot$<project>+<name>`).

use berth_auth::Identity;
use berth_auth::password::{hash_password, verify_password};
use berth_auth::rbac::{ProjectResource, Verb};
use berth_auth::robot::{RobotPermission, validate};
use berth_meta::{NewRobot, RobotRow};
use berth_types::{Password, ProjectId, ProjectName};

use crate::CoreError;
use crate::accounts::{Accounts, ProjectKey, kdf, require_sysadmin};
use crate::audit::Operation;

/// A robot to create, as requested.
#[derive(Debug, Clone)]
pub struct RobotRequest {
    pub name: String,
    pub description: String,
    pub level: String,
    pub disable: bool,
    pub duration: i64,
    pub permissions: Vec<RobotPermission>,
    pub secret: Option<String>,
}

/// What may change on a robot.
#[derive(Debug, Clone)]
pub struct RobotUpdate {
    pub name: String,
    pub level: String,
    pub description: String,
    pub disable: bool,
    pub duration: i64,
    pub permissions: Vec<RobotPermission>,
}

/// A robot as the API shows it: the row, its full name and its project's name.
#[derive(Debug, Clone)]
pub struct RobotView {
    pub row: RobotRow,
    pub full_name: String,
    /// The project of a project-level robot.
    pub project: Option<String>,
    pub permissions: Vec<RobotPermission>,
}

const DAY: i64 = 24 * 3600;

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Harbor's robot name rule: lower-case alphanumerics joined by single `.`, `_` or `-`.
fn valid_robot_name(name: &str) -> bool {
    name.parse::<ProjectName>().is_ok()
}

fn check_duration(duration: i64) -> Result<(), CoreError> {
    if duration == -1 || (1..i64::from(i32::MAX)).contains(&duration) {
        Ok(())
    } else {
        Err(CoreError::Invalid(
            "duration must be -1 (never expires) or a positive number of days".into(),
        ))
    }
}

fn expiry(created_s: i64, duration: i64) -> i64 {
    if duration == -1 {
        -1
    } else {
        created_s + duration * DAY
    }
}

/// A random secret that meets the password policy: 32 characters of [A-Za-z0-9].
fn generate_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    loop {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        let s: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        if s.parse::<Password>().is_ok() {
            return s;
        }
    }
}

/// A robot that creates robots may give them only what it holds itself (Harbor refuses
/// the rest with 403).
fn within_creators_rights(who: &Identity, wanted: &[RobotPermission]) -> Result<(), CoreError> {
    let Identity::Robot {
        project,
        permissions,
        ..
    } = who
    else {
        return Ok(());
    };
    for entry in wanted {
        for access in &entry.access {
            let held = match entry.kind.as_str() {
                "system" => {
                    berth_auth::robot::system_allows(permissions, &access.resource, &access.action)
                }
                _ if entry.namespace == "*" => permissions.iter().any(|p| {
                    p.kind == "project"
                        && p.namespace == "*"
                        && p.access.iter().any(|a| {
                            a.resource == access.resource
                                && a.action == access.action
                                && a.effect != "deny"
                        })
                }),
                _ => berth_auth::robot::project_allows(
                    permissions,
                    &entry.namespace,
                    &access.resource,
                    &access.action,
                    project.is_some(),
                ),
            };
            if !held {
                return Err(CoreError::Forbidden);
            }
        }
    }
    Ok(())
}

impl Accounts {
    /// The project of a project-level request: its one permission entry names it.
    async fn robot_project(
        &self,
        who: &Identity,
        level: &str,
        permissions: &[RobotPermission],
        verb: Verb,
    ) -> Result<Option<(ProjectId, String)>, CoreError> {
        match level {
            "system" => {
                require_sysadmin(who)?;
                Ok(None)
            }
            "project" => {
                let [only] = permissions else {
                    return Err(CoreError::Invalid(
                        "a project robot has exactly one permission entry, for its project".into(),
                    ));
                };
                if only.kind != "project" || only.namespace == "*" {
                    return Err(CoreError::Invalid(
                        "a project robot's permission must name its project".into(),
                    ));
                }
                // robot:<verb> on the project is what it takes (a robot that creates robots
                // need not hold project:read too).
                let row = self
                    .meta()
                    .project_by_name(&only.namespace)
                    .await?
                    .ok_or_else(|| {
                        CoreError::NotFound(format!("project {} not found", only.namespace))
                    })?;
                self.require(who, &row, ProjectResource::Robot, verb)
                    .await?;
                Ok(Some((row.id, row.name)))
            }
            other => Err(CoreError::Invalid(format!("invalid robot level {other}"))),
        }
    }

    fn view(&self, prefix: &str, row: RobotRow, project: Option<&str>) -> RobotView {
        let full_name = match project {
            Some(p) => format!("{prefix}{p}+{}", row.name),
            None => format!("{prefix}{}", row.name),
        };
        let permissions = serde_json::from_str(&row.permissions).unwrap_or_default();
        RobotView {
            row,
            full_name,
            project: project.map(str::to_owned),
            permissions,
        }
    }

    async fn project_name_of(&self, row: &RobotRow) -> Result<Option<String>, CoreError> {
        match row.project_id {
            Some(id) => Ok(self.meta().project_by_id(id).await?.map(|p| p.name)),
            None => Ok(None),
        }
    }

    /// Creates a robot; returns it with its secret (shown this once).
    pub async fn create_robot(
        &self,
        who: &Identity,
        req: RobotRequest,
    ) -> Result<(RobotView, String), CoreError> {
        if !valid_robot_name(&req.name) {
            return Err(CoreError::Invalid(format!(
                "invalid robot name {}",
                req.name
            )));
        }
        check_duration(req.duration)?;
        validate(&req.permissions).map_err(CoreError::Invalid)?;
        let project = self
            .robot_project(who, &req.level, &req.permissions, Verb::Create)
            .await?;
        within_creators_rights(who, &req.permissions)?;
        let secret = match req.secret {
            Some(s) => {
                s.parse::<Password>()
                    .map_err(|_| CoreError::Invalid(berth_types::PASSWORD_POLICY.into()))?;
                s
            }
            None => generate_secret(),
        };
        let plain = secret.clone();
        let hash = kdf(move || hash_password(&plain))
            .await?
            .map_err(CoreError::Invalid)?;
        let permissions = serde_json::to_string(&req.permissions)
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let created = now_s();
        let (id, _) = self
            .meta()
            .create_robot(&NewRobot {
                name: &req.name,
                description: &req.description,
                level: &req.level,
                project_id: project.as_ref().map(|(id, _)| *id),
                secret_hash: &hash,
                disabled: req.disable,
                duration: req.duration,
                expires_at: expiry(created, req.duration),
                permissions: &permissions,
            })
            .await?;
        let row = self
            .meta()
            .robot(id)
            .await?
            .ok_or_else(|| CoreError::NotFound("robot vanished".into()))?;
        let prefix = self.settings().snapshot().await?.robot_prefix();
        let view = self.view(&prefix, row, project.as_ref().map(|(_, n)| n.as_str()));
        self.audit().record(
            who,
            Operation::Create,
            "robot",
            &view.full_name,
            project.as_ref().map(|(_, n)| n.as_str()),
            true,
        );
        Ok((view, secret))
    }

    /// A robot, for those who may read robots at its level.
    pub async fn robot(&self, who: &Identity, id: i64) -> Result<RobotView, CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let row = self
            .meta()
            .robot(id)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("robot {id} not found")))?;
        let project = self.project_name_of(&row).await?;
        self.require_robot_access(who, project.as_deref(), Verb::Read)
            .await?;
        let prefix = self.settings().snapshot().await?.robot_prefix();
        Ok(self.view(&prefix, row, project.as_deref()))
    }

    async fn require_robot_access(
        &self,
        who: &Identity,
        project: Option<&str>,
        verb: Verb,
    ) -> Result<(), CoreError> {
        match project {
            None => require_sysadmin(who),
            Some(name) => {
                let key = ProjectKey::Name(name.to_owned());
                self.project_for(who, &key, ProjectResource::Robot, verb)
                    .await
                    .map(drop)
            }
        }
    }

    /// The robots of the system (`project` None) or of one project.
    pub async fn list_robots(
        &self,
        who: &Identity,
        project: Option<ProjectId>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<RobotView>, i64), CoreError> {
        let name = match project {
            Some(id) => Some(
                self.meta()
                    .project_by_id(id)
                    .await?
                    .ok_or_else(|| CoreError::NotFound(format!("project {} not found", id.0)))?
                    .name,
            ),
            None => None,
        };
        self.require_robot_access(who, name.as_deref(), Verb::List)
            .await?;
        let (rows, total) = self.meta().list_robots(project, offset, limit).await?;
        let prefix = self.settings().snapshot().await?.robot_prefix();
        let views = rows
            .into_iter()
            .map(|r| self.view(&prefix, r, name.as_deref()))
            .collect();
        Ok((views, total))
    }

    /// Updates a robot (not its name, level or project).
    pub async fn update_robot(
        &self,
        who: &Identity,
        id: i64,
        update: RobotUpdate,
    ) -> Result<(), CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let current = self.robot(who, id).await?;
        let project = current.project.clone();
        self.require_robot_access(who, project.as_deref(), Verb::Update)
            .await?;
        if update.name != current.row.name && update.name != current.full_name {
            return Err(CoreError::Invalid(
                "the name of a robot cannot change".into(),
            ));
        }
        if update.level != current.row.level {
            return Err(CoreError::Invalid(
                "the level of a robot cannot change".into(),
            ));
        }
        check_duration(update.duration)?;
        validate(&update.permissions).map_err(CoreError::Invalid)?;
        if let Some(p) = &project
            && update
                .permissions
                .iter()
                .any(|perm| perm.kind != "project" || &perm.namespace != p)
        {
            return Err(CoreError::Invalid(
                "the project of a robot cannot change".into(),
            ));
        }
        let permissions = serde_json::to_string(&update.permissions)
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let expires = expiry(current.row.created_at / 1000, update.duration);
        self.meta()
            .update_robot(
                id,
                &update.description,
                update.disable,
                update.duration,
                expires,
                &permissions,
            )
            .await?;
        self.forget_robot(&current.full_name);
        self.audit().record(
            who,
            Operation::Update,
            "robot",
            &current.full_name,
            project.as_deref(),
            true,
        );
        Ok(())
    }

    /// Gives a robot a new secret: the one given (then the answer's secret is empty), or a
    /// generated one (returned).
    pub async fn refresh_robot_secret(
        &self,
        who: &Identity,
        id: i64,
        secret: Option<String>,
    ) -> Result<Option<String>, CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let current = self.robot(who, id).await?;
        let project = current.project.clone();
        self.require_robot_access(who, project.as_deref(), Verb::Update)
            .await?;
        let (secret, shown) = match secret {
            Some(s) => {
                s.parse::<Password>().map_err(|_| {
                    CoreError::Invalid("the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number".into())
                })?;
                (s, None)
            }
            None => {
                let s = generate_secret();
                (s.clone(), Some(s))
            }
        };
        let hash = kdf(move || hash_password(&secret))
            .await?
            .map_err(CoreError::Invalid)?;
        self.meta().set_robot_secret(id, &hash).await?;
        self.forget_robot(&current.full_name);
        Ok(shown)
    }

    pub async fn delete_robot(&self, who: &Identity, id: i64) -> Result<(), CoreError> {
        if !who.is_account() {
            return Err(CoreError::Unauthenticated);
        }
        let current = self.robot(who, id).await?;
        let project = current.project.clone();
        self.require_robot_access(who, project.as_deref(), Verb::Delete)
            .await?;
        self.meta().delete_robot(id).await?;
        self.forget_robot(&current.full_name);
        self.audit().record(
            who,
            Operation::Delete,
            "robot",
            &current.full_name,
            project.as_deref(),
            true,
        );
        Ok(())
    }

    /// Checks a robot's name (without the prefix) and secret. Disabled and expired robots
    /// are refused.
    pub(crate) async fn robot_login(
        &self,
        name: &str,
        secret: &str,
    ) -> Result<Option<Identity>, CoreError> {
        let prefix = self.settings().snapshot().await?.robot_prefix();
        let full = format!("{prefix}{name}");
        let (project, short) = match name.split_once('+') {
            Some((p, n)) => (Some(p), n),
            None => (None, name),
        };
        let project_id = match project {
            Some(p) => match self.project_access(p).await? {
                Some((id, _)) => Some(id),
                None => return Ok(None),
            },
            None => None,
        };
        let Some(row) = self.meta().robot_by_name(project_id, short).await? else {
            return Ok(None);
        };
        if row.disabled || (row.expires_at != -1 && row.expires_at <= now_s()) {
            return Ok(None);
        }
        let hash = row.secret_hash.clone();
        let ok = self.verified().robot_matches(&full, &hash, secret) || {
            let attempt = secret.to_owned();
            let stored = hash.clone();
            kdf(move || verify_password(&attempt, &stored)).await?
        };
        if !ok {
            return Ok(None);
        }
        let view = self.view(&prefix, row, project);
        let identity = Identity::Robot {
            id: view.row.id,
            name: view.full_name,
            project: project.map(str::to_owned),
            permissions: view.permissions,
        };
        self.verified()
            .robot_remember(&full, &hash, secret, identity.clone());
        Ok(Some(identity))
    }

    fn forget_robot(&self, full_name: &str) {
        self.verified().robot_forget(full_name);
    }
}
