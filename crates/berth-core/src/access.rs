//! Harbor's access decisions for the registry: who may pull, push or delete in which
//! repository, and what the token service grants.

use berth_auth::rbac::{ProjectResource, Verb};
use berth_auth::token::Access;
use berth_auth::{Action, Authorizer, Denial, Identity, Permit, Resource, issue};
use berth_types::RepoName;

use crate::CoreError;
use crate::accounts::Accounts;

fn verb(action: Action) -> Verb {
    match action {
        Action::Pull => Verb::Pull,
        Action::Push => Verb::Push,
        Action::Delete => Verb::Delete,
    }
}

fn token_action(action: Action) -> &'static str {
    match action {
        Action::Pull => "pull",
        Action::Push => "push",
        Action::Delete => "delete",
    }
}

impl Accounts {
    /// Whether a user or anonymous caller holds `action` on the repository; `None` when
    /// its project (the first path component) does not exist.
    async fn may(
        &self,
        who: &Identity,
        repo: &RepoName,
        action: Action,
    ) -> Result<Option<bool>, CoreError> {
        if !repo.as_str().contains('/') {
            return Ok(None);
        }
        match self.project_access(repo.project()).await? {
            Some((id, public)) => Ok(Some(
                self.allows_on(
                    who,
                    id,
                    repo.project(),
                    public,
                    ProjectResource::Repository,
                    verb(action),
                )
                .await?,
            )),
            None => Ok(None),
        }
    }

    /// What the token service grants for one requested scope (`type:name:actions`): every
    /// action the caller holds on that repository, whatever was asked (as Harbor does), or
    /// nothing for names and types it does not know.
    pub async fn grant(&self, who: &Identity, scope: &str) -> Result<Option<Access>, CoreError> {
        let mut parts = scope.splitn(2, ':');
        let (Some(kind), Some(rest)) = (parts.next(), parts.next()) else {
            return Ok(None);
        };
        let Some((name, _asked)) = rest.rsplit_once(':') else {
            return Ok(None);
        };
        let mut actions = Vec::new();
        match kind {
            "repository" => {
                if let Ok(repo) = name.parse::<RepoName>() {
                    for action in [Action::Pull, Action::Push, Action::Delete] {
                        if self.may(who, &repo, action).await? == Some(true) {
                            actions.push(token_action(action).to_owned());
                        }
                    }
                }
            }
            "registry" if name == "catalog" && who.is_sysadmin() => actions.push("*".to_owned()),
            _ => {}
        }
        Ok(Some(Access {
            kind: kind.to_owned(),
            name: name.to_owned(),
            actions,
        }))
    }
}

#[async_trait::async_trait]
impl Authorizer for Accounts {
    async fn authorize(
        &self,
        who: &Identity,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, Denial> {
        // `None`: the repository's project does not exist, which Harbor answers with 401.
        let allowed = match (&resource, who) {
            (_, Identity::Token(grant)) => Some(match &resource {
                Resource::Registry => true,
                Resource::Catalog => grant
                    .access
                    .iter()
                    .any(|a| a.allows("registry", "catalog", "*")),
                Resource::Repository(repo) => grant
                    .access
                    .iter()
                    .any(|a| a.allows("repository", repo.as_str(), token_action(action))),
            }),
            (Resource::Registry, _) => Some(who.is_account()),
            (Resource::Catalog, Identity::Robot { permissions, .. }) => Some(
                berth_auth::robot::system_allows(permissions, "catalog", "read"),
            ),
            (Resource::Catalog, _) => Some(who.is_sysadmin()),
            (Resource::Repository(repo), _) => match self.may(who, repo, action).await {
                Ok(allowed) => allowed,
                Err(e) => {
                    tracing::error!(error = %e, "authorization lookup failed");
                    return Err(Denial::Unavailable);
                }
            },
        };
        match allowed {
            Some(true) => Ok(issue(who, resource, action)),
            Some(false) if who.is_account() && !matches!(resource, Resource::Catalog) => {
                Err(Denial::Forbidden)
            }
            _ => Err(Denial::Unauthenticated),
        }
    }
}

/// How many repositories holding a blob a mount without `from` looks through.
const MOUNT_CANDIDATES: i64 = 50;

impl Accounts {
    /// A pull permit on `repo` to mount a blob from: when the caller may pull there, or when
    /// its project is public (content anyone may read leaks nothing by a mount, whatever the
    /// caller's token names).
    pub async fn mount_source(
        &self,
        who: &Identity,
        repo: &RepoName,
    ) -> Result<Option<Permit>, CoreError> {
        let resource = Resource::Repository(repo.clone());
        if let Ok(permit) = self.authorize(who, resource.clone(), Action::Pull).await {
            return Ok(Some(permit));
        }
        let public = repo.as_str().contains('/')
            && self
                .project_access(repo.project())
                .await?
                .is_some_and(|(_, public)| public);
        Ok(public.then(|| issue(who, resource, Action::Pull)))
    }

    /// For a mount without `from`: a repository holding the blob that the caller may mount
    /// from, with the permit to do so.
    pub async fn mount_source_for(
        &self,
        who: &Identity,
        digest: &berth_types::Digest,
    ) -> Result<Option<(RepoName, Permit)>, CoreError> {
        for name in self
            .meta()
            .repos_with_blob(digest, MOUNT_CANDIDATES)
            .await?
        {
            let Ok(repo) = name.parse::<RepoName>() else {
                continue;
            };
            if let Some(permit) = self.mount_source(who, &repo).await? {
                return Ok(Some((repo, permit)));
            }
        }
        Ok(None)
    }
}
