//! `GET /service/token`: the Docker token service.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use berth_auth::Identity;
use berth_auth::token::SERVICE;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::OciState;

/// Issues a token for the scopes asked for (repeated `scope` parameters, each possibly
/// holding several space-separated scopes), granting what the caller holds.
pub async fn token(
    State(state): State<Arc<OciState>>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let pairs: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let query: HashMap<&str, &str> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(service) = query.get("service")
        && *service != SERVICE
    {
        return (
            StatusCode::BAD_REQUEST,
            format!("Unable to handle service: {service}"),
        )
            .into_response();
    }
    let scopes: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' '))
        .filter(|s| !s.is_empty())
        .collect();
    let who = match state.identify(&headers).await {
        Ok(who) => who,
        Err(e) => return e.into_response(),
    };
    let anonymous = matches!(who, Identity::Anonymous);
    if anonymous && (scopes.is_empty() || headers.contains_key(header::AUTHORIZATION)) {
        // `docker login` with a wrong password, or no credentials and nothing to ask for.
        let mut resp = StatusCode::UNAUTHORIZED.into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"harbor\""),
        );
        return resp;
    }
    let mut access = Vec::new();
    for scope in scopes {
        match state.accounts.grant(&who, scope).await {
            Ok(Some(a)) => access.push(a),
            Ok(None) => {}
            Err(e) => return crate::OciError::from(e).into_response(),
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let subject = if anonymous { "" } else { who.name() };
    let ttl = match state.accounts.settings().snapshot().await {
        Ok(s) => s.token_seconds(),
        Err(e) => return crate::OciError::from(e).into_response(),
    };
    match state.tokens.issue(subject, access, now, ttl) {
        Ok(issued) => {
            let issued_at = jiff::Timestamp::from_second(issued.issued_at as i64)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            let body = serde_json::json!({
                "token": issued.token,
                "expires_in": issued.expires_in,
                "issued_at": issued_at,
            });
            (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "token signing failed");
            crate::OciError::unavailable().into_response()
        }
    }
}
