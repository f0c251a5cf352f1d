//! Resolving a request to an identity and a permit, before anything else happens.

use berth_auth::{Action, Denial, Identity, Permit, Resource};
use berth_types::RepoName;
use http::HeaderMap;

use crate::{OciError, OciState};

impl OciState {
    /// Who sent the request. Credentials are not read yet: everyone is anonymous until the
    /// access model lands, and [`berth_auth::AllowAll`] lets them through.
    pub(crate) fn identify(&self, _headers: &HeaderMap) -> Identity {
        Identity::Anonymous
    }

    /// The permit for `action` on `resource`, or the error that refuses it.
    pub(crate) fn permit(
        &self,
        headers: &HeaderMap,
        resource: Resource,
        action: Action,
    ) -> Result<Permit, OciError> {
        let identity = self.identify(headers);
        self.authorizer
            .authorize(&identity, resource, action)
            .map_err(|d| match d {
                Denial::Unauthenticated => OciError::unauthorized(),
                Denial::Forbidden => OciError::denied(),
            })
    }

    pub(crate) fn repo_permit(
        &self,
        headers: &HeaderMap,
        repo: &RepoName,
        action: Action,
    ) -> Result<Permit, OciError> {
        self.permit(headers, Resource::Repository(repo.clone()), action)
    }
}
