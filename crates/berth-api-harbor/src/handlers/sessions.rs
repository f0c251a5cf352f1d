//! The portal's session endpoints: `POST /c/login`, `GET /c/log_out`, `POST /c/userExists`.
//! Form-encoded, as Harbor's portal sends them; protected by the CSRF token on every call.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::json;
use crate::csrf::{SESSION_COOKIE, cookie};
use crate::identity::Caller;
use crate::{ApiError, State};

fn form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn session_cookie(state: &crate::HarborState, value: &str, max_age: Option<i64>) -> String {
    let secure = if state.tls
        || state
            .external_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}")
}

/// `POST /c/login` with `principal` and `password`: 200 and the `sid` cookie, or 401.
pub(crate) async fn login(state: State, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form(&body);
    let (Some(user), Some(password)) = (fields.get("principal"), fields.get("password")) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let from = berth_auth::peer_addr(
        headers
            .get(berth_auth::PEER_ADDR_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    match state.accounts.start_session(user, password, from).await {
        Ok(Some((token, _))) => {
            let mut resp = StatusCode::OK.into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &token.0, None)) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(None) => StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /c/log_out`: ends the session and clears its cookie.
pub(crate) async fn logout(state: State, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.accounts.end_session(&token).await?;
    }
    let mut resp = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", Some(0))) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `POST /c/userExists` with `target` (`username` or `email`) and `value`: whether a user
/// has it; only while self-registration is on, or for administrators.
pub(crate) async fn user_exists(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let settings = state.accounts.settings().snapshot().await?;
    if !settings.flag("self_registration") && !who.is_sysadmin() {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION",
            "self-registration is off",
        ));
    }
    let fields = form(&body);
    let value = fields.get("value").map(String::as_str).unwrap_or_default();
    let exists = match fields.get("target").map(String::as_str) {
        Some("username") => state.accounts.username_taken(value).await?,
        Some("email") => state.accounts.email_taken(value).await?,
        _ => return Err(ApiError::bad_request("target must be username or email")),
    };
    Ok(json(&exists))
}
