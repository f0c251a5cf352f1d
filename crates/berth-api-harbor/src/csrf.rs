//! The portal's CSRF protection, as Harbor's: a secret in the `_gorilla_csrf` cookie
//! (HttpOnly, SameSite=Strict), and a token derived from it that every answer carries in
//! `X-Harbor-CSRF-Token`. An unsafe request (POST, PUT, PATCH, DELETE) must send the token
//! back in that header when it carries the session cookie `sid`, and always on `/c/` paths;
//! API clients that authenticate with Basic credentials and no cookie are not affected.
//!
//! The token is HMAC-SHA256(key, secret) with a key shared by every node (derived from the
//! token signing key), so any node checks what another issued.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method, header};
use subtle::ConstantTimeEq;

use crate::ApiError;

pub const CSRF_COOKIE: &str = "_gorilla_csrf";
pub const CSRF_HEADER: &str = "x-harbor-csrf-token";
pub const SESSION_COOKIE: &str = "sid";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The key tokens are derived with.
#[derive(Clone)]
pub struct CsrfKey(HmacSha256);

impl CsrfKey {
    /// From the shared token signing key: a key of its own, so neither use weakens the other.
    pub fn derive(signing_key: &[u8]) -> Result<CsrfKey, String> {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"berth csrf key v1\0");
        h.update(signing_key);
        <HmacSha256 as KeyInit>::new_from_slice(&h.finalize())
            .map(CsrfKey)
            .map_err(|e| format!("csrf key: {e}"))
    }

    fn token(&self, secret: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether the request carries the cookie secret and the token made from it.
    pub fn carries_valid_token(&self, headers: &HeaderMap) -> bool {
        let (Some(secret), Some(sent)) = (
            cookie(headers, CSRF_COOKIE).filter(|s| valid_secret(s)),
            headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()),
        ) else {
            return false;
        };
        self.token(&secret).as_bytes().ct_eq(sent.as_bytes()).into()
    }
}

fn valid_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The middleware: checks unsafe requests that must carry the token, and gives every answer
/// a token (and a cookie secret to a client that has none).
pub async fn protect(key: CsrfKey, secure: bool, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let path = req.uri().path();
    let needs_token = unsafe_method(req.method())
        && (path.starts_with("/c/") || cookie(headers, SESSION_COOKIE).is_some());
    if needs_token && !key.carries_valid_token(headers) {
        return ApiError::new(
            http::StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "CSRF token invalid",
        )
        .into_response();
    }
    let existing = cookie(headers, CSRF_COOKIE).filter(|s| valid_secret(s));
    let mut resp = next.run(req).await;
    let secret = match existing {
        Some(s) => s,
        None => {
            let s = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            let attrs = if secure { "; Secure" } else { "" };
            let set = format!("{CSRF_COOKIE}={s}; Path=/; HttpOnly; SameSite=Strict{attrs}");
            if let Ok(v) = HeaderValue::from_str(&set) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            s
        }
    };
    if let Ok(v) = HeaderValue::from_str(&key.token(&secret)) {
        resp.headers_mut().insert(CSRF_HEADER, v);
    }
    resp
}
