//! Resolving a request to an identity and a permit, before anything else happens, and the
//! challenge that sends a client to the token service when it has neither.

use base64::Engine as _;
use berth_auth::{Action, Denial, Identity, Permit, Resource};
use berth_types::RepoName;
use http::{HeaderMap, header};

use crate::{OciError, OciState};

/// Credentials a request carries.
enum Credentials {
    None,
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// An `Authorization` header berth cannot read.
    Other,
}

fn credentials(headers: &HeaderMap) -> Credentials {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::None;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Other;
    };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Credentials::Other;
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        return Credentials::Bearer(rest.trim().to_owned());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Credentials::Other;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|d| String::from_utf8(d).ok());
    match decoded.as_deref().and_then(|t| t.split_once(':')) {
        Some((user, password)) => Credentials::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        },
        None => Credentials::Other,
    }
}

impl OciState {
    /// Who sent the request: a verified user (Basic), the bearer of a valid token, or
    /// nobody. Credentials that do not verify leave the caller anonymous, as in Harbor.
    pub(crate) async fn identify(&self, headers: &HeaderMap) -> Result<Identity, OciError> {
        match credentials(headers) {
            Credentials::Basic { user, password } => {
                let from = berth_auth::peer_addr(
                    headers
                        .get(berth_auth::PEER_ADDR_HEADER)
                        .and_then(|v| v.to_str().ok()),
                );
                match self.accounts.login(&user, &password, from).await? {
                    Some(who) => Ok(who),
                    None => {
                        tracing::info!(user = %user, "registry login failed");
                        Ok(Identity::Anonymous)
                    }
                }
            }
            Credentials::Bearer(token) => Ok(self
                .tokens
                .verify(&token)
                .map_or(Identity::Anonymous, Identity::Token)),
            Credentials::None | Credentials::Other => Ok(Identity::Anonymous),
        }
    }

    /// The permit for `action` on `resource`, or the error that refuses it (401 with a
    /// challenge).
    pub(crate) async fn permit(
        &self,
        headers: &HeaderMap,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, OciError> {
        let identity = self.identify(headers).await?;
        // A read without any credentials is always challenged, even where anonymous pulls
        // are allowed: that is what makes docker fetch a (possibly anonymous) token.
        let bare = !headers.contains_key(header::AUTHORIZATION)
            && matches!(resource, Resource::Repository(_));
        let decision = if bare {
            Err(Denial::Unauthenticated)
        } else {
            self.authorizer
                .authorize(&identity, resource.clone(), action)
                .await
        };
        // As in Harbor, a caller who may not do this is challenged (401) whether or not it
        // authenticated: clients then report "unauthorized" or "denied" themselves.
        decision.map_err(|d| match d {
            Denial::Unauthenticated | Denial::Forbidden => {
                self.challenge(headers, &resource, action)
            }
            Denial::Unavailable => OciError::unavailable(),
        })
    }

    pub(crate) async fn repo_permit(
        &self,
        headers: &HeaderMap,
        repo: &RepoName,
        action: Action,
    ) -> Result<Permit, OciError> {
        self.permit(headers, Resource::Repository(repo.clone()), action)
            .await
    }

    /// A 401 that tells the client how to authenticate: Basic when it sent credentials
    /// that did not do (or asked for the catalog), else the token service with the scope
    /// it needs.
    fn challenge(&self, headers: &HeaderMap, resource: &Resource, action: Action) -> OciError {
        let sent_credentials = headers.contains_key(header::AUTHORIZATION);
        let value = if sent_credentials || matches!(resource, Resource::Catalog) {
            "Basic realm=\"harbor\"".to_owned()
        } else {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
                .unwrap_or("localhost");
            let scheme = if self.tls { "https" } else { "http" };
            let mut v = format!(
                "Bearer realm=\"{scheme}://{host}/service/token\",service=\"{}\"",
                berth_auth::token::SERVICE
            );
            if let Resource::Repository(repo) = resource {
                let actions = match action {
                    Action::Pull => "pull",
                    Action::Push => "pull,push",
                    Action::Delete => "delete",
                };
                v.push_str(&format!(",scope=\"repository:{repo}:{actions}\""));
            }
            v
        };
        OciError::unauthorized().with_header(header::WWW_AUTHENTICATE, value)
    }
}
