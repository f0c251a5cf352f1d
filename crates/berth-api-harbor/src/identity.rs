//! Who is calling: HTTP Basic credentials of a user or robot, the portal's session, or nobody.

use base64::Engine as _;
use berth_auth::Identity;
use berth_core::accounts::Accounts;
use http::HeaderMap;

use crate::ApiError;

/// The caller's identity. Credentials that do not verify leave the caller anonymous, as in
/// Harbor: the operation then answers 401 if it needs an identity.
pub(crate) async fn identify(
    accounts: &Accounts,
    headers: &HeaderMap,
) -> Result<Identity, ApiError> {
    let Some((user, password)) = basic_credentials(headers) else {
        // The portal's session, if any.
        if let Some(token) = crate::csrf::cookie(headers, crate::csrf::SESSION_COOKIE) {
            return Ok(accounts
                .session_identity(&token)
                .await?
                .unwrap_or(Identity::Anonymous));
        }
        return Ok(Identity::Anonymous);
    };
    let from = berth_auth::peer_addr(
        headers
            .get(berth_auth::PEER_ADDR_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    match accounts.login(&user, &password, from).await? {
        Some(who) => Ok(who),
        None => {
            tracing::info!(user = %user, "login failed");
            Ok(Identity::Anonymous)
        }
    }
}

/// The user name and password of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The caller, as an extractor: a handler that takes `Caller(who)` knows who is asking.
pub(crate) struct Caller(pub Identity);

impl axum::extract::FromRequestParts<std::sync::Arc<crate::HarborState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &std::sync::Arc<crate::HarborState>,
    ) -> Result<Self, ApiError> {
        identify(&state.accounts, &parts.headers).await.map(Caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            "Basic YWRtaW46SGFyYm9yMTIzNDU=".parse().expect("header"),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("admin".into(), "Harbor12345".into()))
        );
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer xyz".parse().expect("header"),
        );
        assert_eq!(basic_credentials(&h), None);
    }
}
