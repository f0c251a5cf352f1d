//! Authentication and authorization for berth.
//!
//! Every request is resolved to an [`Identity`] and then to an access decision before it
//! touches metadata or storage. The decision is a [`Permit`]: a value that only an
//! [`Authorizer`] can create, and that every registry operation in `berth-core` takes as an
//! argument. So an operation that was not authorized does not compile.
//!
//! The authorizer of the running registry is in `berth-core` (it needs the metadata: who is
//! a member of which project); this crate holds the pure parts: the role matrix
//! ([`rbac`]), password hashing ([`password`]) and registry tokens ([`token`]).

/// The request header that carries the client's address to the login throttle. The
/// binary's outermost layer sets it from the connection and discards any value a client
/// sent, so handlers may trust it.
pub const PEER_ADDR_HEADER: &str = "x-berth-peer-addr";

/// The client's address as the outermost layer recorded it.
pub fn peer_addr(value: Option<&str>) -> Option<std::net::IpAddr> {
    value.and_then(|v| v.parse().ok())
}

pub mod password;
pub mod rbac;
pub mod robot;
pub mod token;

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
    /// A robot account whose secret was verified: exactly what its permissions grant.
    Robot {
        id: i64,
        /// The full name, prefix included (`robot$library+ci`).
        name: String,
        /// The project of a project-level robot.
        project: Option<String>,
        permissions: Vec<robot::RobotPermission>,
    },
    /// The bearer of a registry token: exactly what the token grants.
    Token(token::Grant),
}

impl Identity {
    pub fn is_sysadmin(&self) -> bool {
        matches!(self, Identity::User { sysadmin: true, .. })
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Identity::User { id, .. } => Some(*id),
            Identity::Anonymous | Identity::Robot { .. } | Identity::Token(_) => None,
        }
    }

    /// A user or a robot that proved who it is (not a token bearer, not anonymous).
    pub fn is_account(&self) -> bool {
        matches!(self, Identity::User { .. } | Identity::Robot { .. })
    }

    /// The name audit records and logs show.
    pub fn name(&self) -> &str {
        match self {
            Identity::Anonymous => "anonymous",
            Identity::User { username, .. } => username,
            Identity::Robot { name, .. } => name,
            Identity::Token(grant) if grant.subject.is_empty() => "anonymous",
            Identity::Token(grant) => &grant.subject,
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
    /// The decision could not be made (the metadata store failed).
    Unavailable,
}

/// Decides whether an identity may act on a resource.
#[async_trait::async_trait]
pub trait Authorizer: Send + Sync + 'static {
    async fn authorize(
        &self,
        identity: &Identity,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, Denial>;
}

/// Issues a permit: only authorizers call this.
pub fn issue(identity: &Identity, resource: Resource, action: Action) -> Permit {
    Permit {
        identity: identity.clone(),
        resource,
        action,
    }
}
