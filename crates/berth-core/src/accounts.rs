//! The access model's use cases: the first start (admin and `library`), logins, users and
//! projects. Every operation takes the caller's [`Identity`] and checks Harbor's rules for
//! it here, so the API crates stay thin.

use std::collections::BTreeMap;

use berth_auth::Identity;
use berth_auth::password::{hash_password, verify_password};
use berth_auth::rbac::{ProjectResource, Verb, public_allows, role_allows};
use berth_meta::{MetaStore, NewUser, ProjectFilter, ProjectRow, ProjectScope, UserRow};
use berth_types::{Password, ProjectId, ProjectName, UserId, Username};

use crate::CoreError;
use crate::audit::{Audit, Operation};
use crate::logins::VerifiedLogins;
use crate::project_metadata::{check_metadata, default_metadata};
use crate::settings::Settings;
use crate::ttl_cache::TtlCache;

/// The name of the system administrator created at first start.
pub const ADMIN: &str = "admin";
/// The public project that exists from the first start.
pub const LIBRARY: &str = "library";

/// A user to create, as requested.
#[derive(Debug, Clone)]
pub struct UserRequest {
    pub username: String,
    pub email: String,
    pub realname: String,
    pub password: String,
    pub comment: String,
}

/// Users, logins and projects.
#[derive(Clone)]
pub struct Accounts {
    meta: MetaStore,
    verified: std::sync::Arc<VerifiedLogins>,
    throttle: std::sync::Arc<crate::throttle::LoginThrottle>,
    /// Authorization facts read often and changed rarely: a project's id and visibility
    /// (`None`: no such project), and a user's role on a project.
    projects: std::sync::Arc<TtlCache<String, Option<(ProjectId, bool)>>>,
    roles: std::sync::Arc<TtlCache<(ProjectId, UserId), Option<berth_types::Role>>>,
    pub(crate) audit: Audit,
    settings: Settings,
}

/// Runs a password hash or check off the async workers.
pub(crate) async fn kdf<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::Invalid(format!("password task: {e}")))
}

impl Accounts {
    pub fn new(meta: MetaStore, audit: Audit, settings: Settings) -> Accounts {
        Accounts {
            meta,
            verified: std::sync::Arc::new(VerifiedLogins::new()),
            throttle: std::sync::Arc::default(),
            projects: std::sync::Arc::default(),
            roles: std::sync::Arc::default(),
            audit,
            settings,
        }
    }

    /// The system configuration.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Makes sure the system administrator and the public project `library` exist. On the
    /// very first start the administrator gets `admin_password`, or a generated password
    /// that is returned (to be shown once); later starts change nothing.
    pub async fn bootstrap(
        &self,
        admin_password: Option<&str>,
    ) -> Result<Option<String>, CoreError> {
        let mut generated = None;
        let admin = match self.meta.user_by_name(ADMIN).await? {
            Some(admin) => admin.id,
            None => {
                let password = match admin_password {
                    Some(p) => p.to_owned(),
                    None => {
                        let p = generate_password();
                        generated = Some(p.clone());
                        p
                    }
                };
                let password: Password = password.parse().map_err(|_| {
                    CoreError::Invalid(format!(
                        "BERTH_ADMIN_PASSWORD: {}",
                        berth_types::PASSWORD_POLICY
                    ))
                })?;
                let hash = kdf(move || hash_password(password.expose()))
                    .await?
                    .map_err(CoreError::Invalid)?;
                let name: Username = ADMIN
                    .parse()
                    .map_err(|_| CoreError::Invalid("admin".into()))?;
                self.meta
                    .create_user(&NewUser {
                        username: &name,
                        email: "admin@example.com",
                        realname: "system admin",
                        comment: "admin user",
                        password_hash: Some(&hash),
                        sysadmin: true,
                    })
                    .await?
            }
        };
        if self.meta.project_by_name(LIBRARY).await?.is_none() {
            let name: ProjectName = LIBRARY
                .parse()
                .map_err(|_| CoreError::Invalid("library".into()))?;
            let mut metadata = default_metadata();
            metadata.insert("public".into(), "true".into());
            match self.meta.create_project(&name, admin, &metadata).await {
                Ok(_) | Err(berth_meta::MetaError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(generated)
    }

    /// Checks a user name (or a robot's `robot$...` name) and password, sent from `from`;
    /// `None` when they do not match an account, or when too many attempts failed for that
    /// name or from that address lately.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        from: Option<std::net::IpAddr>,
    ) -> Result<Option<Identity>, CoreError> {
        let prefix = self.settings.snapshot().await?.robot_prefix();
        let robot = username.strip_prefix(prefix.as_str());
        // A login verified moments ago goes through, whatever others try with that name:
        // the throttle slows down only attempts that need a check.
        let fresh = match robot {
            Some(_) => self.verified.robot_fresh(username, password),
            None => self.verified.fresh(username, password),
        };
        if fresh.is_some() {
            return Ok(fresh);
        }
        let plausible = !username.is_empty()
            && username.len() <= 255
            && !username.chars().any(char::is_control);
        if !plausible || self.throttle.blocked(username, from) {
            self.throttle.failed(username, from);
            self.audit.failed_login(username);
            return Ok(None);
        }
        let who = match robot {
            Some(name) => self.robot_login(name, password).await?,
            None => self
                .check_password(username, password)
                .await?
                .map(|u| Accounts::identity(&u)),
        };
        match &who {
            Some(_) => self.throttle.succeeded(username),
            None => {
                self.throttle.failed(username, from);
                self.audit.failed_login(username);
            }
        }
        Ok(who)
    }

    async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRow>, CoreError> {
        let Some(user) = self.meta.user_by_name(username).await? else {
            // Spend the same time as a real check, so timing does not tell names apart.
            let password = password.to_owned();
            kdf(move || verify_password(&password, dummy_hash())).await?;
            return Ok(None);
        };
        let Some(stored) = user.password_hash.clone() else {
            return Ok(None);
        };
        let ok = self.verified.matches(&user, password) || {
            let attempt = password.to_owned();
            kdf(move || verify_password(&attempt, &stored)).await?
        };
        if ok {
            self.verified.remember(&user, password);
        }
        Ok(ok.then_some(user))
    }

    pub(crate) fn verified(&self) -> &VerifiedLogins {
        &self.verified
    }

    /// Forgets what this node remembers of a user's login (after a change to the user).
    pub(crate) fn forget_login(&self, username: &str) {
        self.verified.forget(username);
    }

    /// Forgets cached authorization facts (after a change to projects or members).
    pub(crate) fn forget_access(&self) {
        self.projects.clear();
        self.roles.clear();
    }

    /// The identity of a verified user.
    pub fn identity(user: &UserRow) -> Identity {
        Identity::User {
            id: user.id,
            username: user.username.clone(),
            sysadmin: user.sysadmin,
        }
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>, CoreError> {
        Ok(self.meta.user_by_id(id).await?)
    }

    /// Creates a local user (system administrators only, until self-registration lands).
    /// Creates a local user: a system administrator may, and when `self_registration` is on
    /// so may anyone signing up through the portal (`from_portal`: the request proved it
    /// came from berth's own page); a plain API call cannot sign itself up, as in Harbor.
    pub async fn create_user(
        &self,
        who: &Identity,
        req: UserRequest,
        from_portal: bool,
    ) -> Result<UserId, CoreError> {
        let settings = self.settings.snapshot().await?;
        let mode = settings.text("auth_mode");
        if mode != "db_auth" {
            return Err(CoreError::Refused(format!(
                "creating local user is not allowed under auth mode: {mode}"
            )));
        }
        if !who.is_sysadmin() {
            if !settings.flag("self_registration") {
                require_sysadmin(who)?;
            }
            if !from_portal {
                return Err(CoreError::Refused(
                    "self-registration cannot be triggered via API".into(),
                ));
            }
        }
        let username: Username = req
            .username
            .parse()
            .map_err(|_| CoreError::Invalid("invalid username".into()))?;
        if !valid_email(&req.email) {
            return Err(CoreError::Invalid("invalid email".into()));
        }
        if !berth_types::valid_realname(&req.realname) {
            return Err(CoreError::Invalid("invalid realname".into()));
        }
        if req.comment.chars().count() > 30 {
            return Err(CoreError::Invalid(
                "comment is longer than 30 characters".into(),
            ));
        }
        let password: Password = req
            .password
            .parse()
            .map_err(|_| CoreError::Invalid(berth_types::PASSWORD_POLICY.into()))?;
        let hash = kdf(move || hash_password(password.expose()))
            .await?
            .map_err(CoreError::Invalid)?;
        let id = self
            .meta
            .create_user(&NewUser {
                username: &username,
                email: &req.email,
                realname: &req.realname,
                comment: &req.comment,
                password_hash: Some(&hash),
                sysadmin: false,
            })
            .await?;
        self.audit.record(
            who,
            Operation::Create,
            "user",
            username.as_str(),
            None,
            true,
        );
        Ok(id)
    }

    /// A page of users (system administrators only).
    pub async fn list_users(
        &self,
        who: &Identity,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserRow>, i64), CoreError> {
        require_sysadmin(who)?;
        Ok(self.meta.list_users(offset, limit).await?)
    }

    /// Creates a project owned by the caller (any authenticated user).
    pub async fn create_project(
        &self,
        who: &Identity,
        name: &str,
        metadata: &BTreeMap<String, String>,
        storage_limit: Option<i64>,
    ) -> Result<ProjectId, CoreError> {
        let Some(owner) = who.user_id() else {
            return Err(CoreError::Unauthenticated);
        };
        if !who.is_sysadmin()
            && self
                .settings
                .snapshot()
                .await?
                .text("project_creation_restriction")
                == "adminonly"
        {
            return Err(CoreError::Forbidden);
        }
        let name: ProjectName = name
            .parse()
            .map_err(|e: berth_types::ParseError| CoreError::Invalid(e.to_string()))?;
        let mut all = default_metadata();
        for (key, value) in metadata {
            all.insert(key.clone(), check_metadata(key, value)?);
        }
        // Harbor takes a project's own limit from system administrators only.
        let own_limit =
            storage_limit.filter(|_| matches!(who, Identity::User { sysadmin: true, .. }));
        if let Some(limit) = own_limit
            && limit != -1
            && !(1..=crate::quotas::MAX_STORAGE).contains(&limit)
        {
            return Err(CoreError::Invalid(format!(
                "storage_limit must be -1 or between 1 and {}",
                crate::quotas::MAX_STORAGE
            )));
        }
        let id = self.meta.create_project(&name, owner, &all).await?;
        let hard = match own_limit {
            Some(limit) => limit,
            None => self
                .settings
                .snapshot()
                .await?
                .number("storage_per_project"),
        };
        self.meta.create_quota(id.0, hard).await?;
        self.forget_access();
        self.audit.record(
            who,
            Operation::Create,
            "project",
            name.as_str(),
            Some(name.as_str()),
            true,
        );
        Ok(id)
    }

    /// A project by name, or by id when `by_id` is given, if the caller may read it.
    pub async fn project(&self, who: &Identity, key: &ProjectKey) -> Result<ProjectRow, CoreError> {
        let row = match key {
            ProjectKey::Id(id) => self.meta.project_by_id(*id).await?,
            ProjectKey::Name(name) => self.meta.project_by_name(name).await?,
        };
        let Some(row) = row else {
            return Err(CoreError::NotFound(format!("project {key} not found")));
        };
        self.require(who, &row, ProjectResource::Project, Verb::Read)
            .await?;
        Ok(row)
    }

    /// A project's id and whether it is public, with no access check (for authorization).
    pub(crate) async fn project_access(
        &self,
        name: &str,
    ) -> Result<Option<(ProjectId, bool)>, CoreError> {
        if let Some(found) = self.projects.get(name) {
            return Ok(found);
        }
        let found = self.meta.project_access(name).await?;
        self.projects.put(name.to_owned(), found);
        Ok(found)
    }

    pub(crate) fn meta(&self) -> &MetaStore {
        &self.meta
    }

    /// The project `key` names, once the caller is known to hold `verb` on `resource`
    /// there. A project the caller may not even read answers as a refusal.
    pub(crate) async fn project_for(
        &self,
        who: &Identity,
        key: &ProjectKey,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<ProjectRow, CoreError> {
        // Only the permission asked for counts (a robot may hold `artifact:list` and not
        // `project:read`), as Harbor's RequireProjectAccess.
        let row = match key {
            ProjectKey::Id(id) => self.meta.project_by_id(*id).await?,
            ProjectKey::Name(name) => self.meta.project_by_name(name).await?,
        };
        let Some(row) = row else {
            // Say "unknown" only to callers who could have known it.
            if !who.is_account() {
                return Err(CoreError::Unauthenticated);
            }
            return Err(CoreError::NotFound(format!("project {key} not found")));
        };
        self.require(who, &row, resource, verb).await?;
        Ok(row)
    }

    /// Whether a project of that name exists (Harbor answers this to anyone).
    pub async fn project_exists(&self, name: &str) -> Result<bool, CoreError> {
        Ok(self.meta.project_by_name(name).await?.is_some())
    }

    /// The projects the caller may see, filtered, a page of them, and their total.
    pub async fn list_projects(
        &self,
        who: &Identity,
        filter: &ProjectFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ProjectRow>, i64), CoreError> {
        Ok(self
            .meta
            .list_projects(visible_scope(who), filter, offset, limit)
            .await?)
    }

    /// Whether the caller could delete the project now, and why not.
    pub async fn project_deletable(
        &self,
        who: &Identity,
        key: &ProjectKey,
    ) -> Result<(bool, String), CoreError> {
        let row = self.project(who, key).await?;
        self.require(who, &row, ProjectResource::Project, Verb::Delete)
            .await?;
        if row.repo_count > 0 {
            return Ok((
                false,
                format!(
                    "the project {} contains repositories and cannot be deleted",
                    row.name
                ),
            ));
        }
        Ok((true, String::new()))
    }

    /// A project with the number of members in each role.
    pub async fn project_summary(
        &self,
        who: &Identity,
        key: &ProjectKey,
    ) -> Result<(ProjectRow, BTreeMap<i64, i64>, Option<berth_meta::QuotaRow>), CoreError> {
        let row = self.project(who, key).await?;
        let counts = self.meta.role_counts(row.id).await?;
        let quota = self.meta.project_quota(row.id.0).await?;
        Ok((row, counts, quota))
    }

    /// What the caller holds on a project, as (resource, action) names.
    pub async fn project_permissions(
        &self,
        who: &Identity,
        project: ProjectId,
    ) -> Result<Vec<(&'static str, &'static str)>, CoreError> {
        // Harbor answers with what the caller holds: nothing, on a project it cannot see.
        let row = match self.project(who, &ProjectKey::Id(project)).await {
            Ok(row) => row,
            Err(CoreError::Forbidden | CoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let grants = if who.is_sysadmin() {
            berth_auth::rbac::all_grants()
        } else {
            let role = self.role(who, &row).await?;
            berth_auth::rbac::grants(role, row.public())
        };
        Ok(grants
            .into_iter()
            .map(|(r, v)| (r.name(), v.name()))
            .collect())
    }

    /// Deletes a project; only an empty one can go.
    pub async fn delete_project(&self, who: &Identity, key: &ProjectKey) -> Result<(), CoreError> {
        let row = self.project(who, key).await?;
        self.require(who, &row, ProjectResource::Project, Verb::Delete)
            .await?;
        if row.repo_count > 0 || !self.meta.delete_empty_project(row.id).await? {
            return Err(CoreError::Precondition(format!(
                "the project {} contains repositories and cannot be deleted",
                row.name
            )));
        }
        self.forget_access();
        self.audit.record(
            who,
            Operation::Delete,
            "project",
            &row.name,
            Some(&row.name),
            true,
        );
        Ok(())
    }

    /// Whether the caller may do `verb` on `resource` of the project.
    pub async fn allows(
        &self,
        who: &Identity,
        project: &ProjectRow,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<bool, CoreError> {
        self.allows_on(
            who,
            project.id,
            &project.name,
            project.public(),
            resource,
            verb,
        )
        .await
    }

    /// [`Accounts::allows`] given only the project's id and whether it is public.
    pub(crate) async fn allows_on(
        &self,
        who: &Identity,
        project: ProjectId,
        name: &str,
        public: bool,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<bool, CoreError> {
        if who.is_sysadmin() || (public && public_allows(resource, verb)) {
            return Ok(true);
        }
        if let Identity::Robot {
            project: own,
            permissions,
            ..
        } = who
        {
            return Ok(berth_auth::robot::project_allows(
                permissions,
                name,
                resource.name(),
                verb.name(),
                own.is_some(),
            ));
        }
        let Some(user) = who.user_id() else {
            return Ok(false);
        };
        let role = match self.roles.get(&(project, user)) {
            Some(role) => role,
            None => {
                let role = self.meta.member_role(project, user).await?;
                self.roles.put((project, user), role);
                role
            }
        };
        Ok(role.is_some_and(|role| role_allows(role, resource, verb)))
    }

    /// The role the caller holds on the project as a member, if any.
    pub async fn role(
        &self,
        who: &Identity,
        project: &ProjectRow,
    ) -> Result<Option<berth_types::Role>, CoreError> {
        match who.user_id() {
            Some(user) => Ok(self.meta.member_role(project.id, user).await?),
            None => Ok(None),
        }
    }

    pub(crate) async fn require(
        &self,
        who: &Identity,
        project: &ProjectRow,
        resource: ProjectResource,
        verb: Verb,
    ) -> Result<(), CoreError> {
        if self.allows(who, project, resource, verb).await? {
            Ok(())
        } else if !who.is_account() {
            Err(CoreError::Unauthenticated)
        } else {
            Err(CoreError::Forbidden)
        }
    }
}

/// How a project is named in a request.
#[derive(Debug, Clone)]
pub enum ProjectKey {
    Id(ProjectId),
    Name(String),
}

impl std::fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectKey::Id(id) => write!(f, "{}", id.0),
            ProjectKey::Name(name) => f.write_str(name),
        }
    }
}

/// The projects a caller may list.
pub(crate) fn visible_scope(who: &Identity) -> ProjectScope {
    match who {
        Identity::Robot { permissions, .. }
            if permissions
                .iter()
                .any(|p| p.kind == "project" && p.namespace == "*") =>
        {
            ProjectScope::All
        }
        Identity::Robot { permissions, .. } => ProjectScope::PublicAnd(
            permissions
                .iter()
                .filter(|p| p.kind == "project")
                .filter_map(|p| p.namespace.parse().ok())
                .collect(),
        ),
        Identity::Anonymous | Identity::Token(_) => ProjectScope::PublicOnly,
        Identity::User { sysadmin: true, .. } => ProjectScope::All,
        Identity::User { id, .. } => ProjectScope::VisibleTo(*id),
    }
}

pub fn require_sysadmin(who: &Identity) -> Result<(), CoreError> {
    match who {
        Identity::User { sysadmin: true, .. } => Ok(()),
        Identity::User { .. } => Err(CoreError::Forbidden),
        Identity::Robot { .. } => Err(CoreError::Forbidden),
        Identity::Anonymous | Identity::Token(_) => Err(CoreError::Unauthenticated),
    }
}

/// Harbor's email rule, loosely: one `@` with text on both sides, a dot in the domain.
pub(crate) fn valid_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    match (parts.next(), parts.next()) {
        (Some(local), Some(domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && s.len() <= 255
        }
        _ => false,
    }
}

/// A random password that meets the policy: 24 characters of a UUID's randomness, with an
/// upper-case letter, a lower-case letter and a digit guaranteed.
fn generate_password() -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string();
    format!("Bx7{}", &raw[..21])
}

/// A hash of a random password, checked against when a user does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_policy() {
        for _ in 0..50 {
            assert!(generate_password().parse::<Password>().is_ok());
        }
    }

    #[test]
    fn metadata_values() {
        assert_eq!(
            check_metadata("public", "TRUE").ok().as_deref(),
            Some("true")
        );
        assert!(check_metadata("public", "yes").is_err());
        assert_eq!(
            check_metadata("severity", "High").ok().as_deref(),
            Some("high")
        );
        assert!(check_metadata("severity", "extreme").is_err());
        assert!(check_metadata("no_such_key", "1").is_err());
    }

    #[test]
    fn emails() {
        assert!(valid_email("a@b.io"));
        for bad in ["", "a", "a@b", "@b.io", "a@.io", "a b@c.io"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
