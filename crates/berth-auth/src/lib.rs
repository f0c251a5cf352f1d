//! Authentication and authorization for berth.
//!
//! Every request is resolved to an [`Identity`] and then to an access decision before it
//! touches metadata or storage. The decision is a [`Permit`]: a value that only an
//! [`Authorizer`] can create, and that every registry operation in `berth-core` takes as an
//! argument. So an operation that was not authorized does not compile.
//!
//! Until users and projects exist, [`AllowAll`] grants everything to everyone; the next
//! authorizer plugs in at the same seam.

pub mod password;
pub mod rbac;

use berth_types::{RepoName, UserId};

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    /// A user whose credentials were verified.
    User {
        id: UserId,
        username: String,
        sysadmin: bool,
    },
}

impl Identity {
    pub fn is_sysadmin(&self) -> bool {
        matches!(self, Identity::User { sysadmin: true, .. })
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Identity::User { id, .. } => Some(*id),
            Identity::Anonymous => None,
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Pull,
    Push,
    Delete,
}

/// What an access decision is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The registry itself: the `/v2/` ping.
    Registry,
    /// The list of all repositories.
    Catalog,
    /// One repository.
    Repository(RepoName),
}

/// Proof that `identity` may perform `action` on `resource`.
#[derive(Debug, Clone)]
pub struct Permit {
    identity: Identity,
    resource: Resource,
    action: Action,
}

impl Permit {
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// True when this permit covers `action` on repository `repo`.
    pub fn covers(&self, repo: &RepoName, action: Action) -> bool {
        self.action == action && self.resource == Resource::Repository(repo.clone())
    }
}

/// Why access was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No credentials (or bad ones): the client should authenticate.
    Unauthenticated,
    /// Authenticated, but not allowed.
    Forbidden,
}

/// Decides whether an identity may act on a resource.
pub trait Authorizer: Send + Sync + 'static {
    fn authorize(
        &self,
        identity: &Identity,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, Denial>;
}

/// Issues a permit: only authorizers call this.
fn issue(identity: &Identity, resource: Resource, action: Action) -> Permit {
    Permit {
        identity: identity.clone(),
        resource,
        action,
    }
}

/// Grants everything: the registry core runs without users until the access model lands.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(
        &self,
        identity: &Identity,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, Denial> {
        Ok(issue(identity, resource, action))
    }
}
