//! Harbor's read-only mode (`read_only` in the configuration): every request that would
//! change something, on `/v2` and on the API alike, is refused with 403 `DENIED`; reads go
//! on, and so does what an operator needs to get out of the mode (changing the
//! configuration, logging in, getting a registry token).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use berth_core::settings::Settings;
use http::{Method, StatusCode};

use crate::ApiError;

pub const READ_ONLY_MESSAGE: &str =
    "The system is in read only mode. Any modification is prohibited.";

/// What read-only mode lets through besides reads.
fn exempt(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("PUT", "/api/v2.0/configurations")
            | ("POST", "/c/login")
            | ("POST", "/c/userExists")
            | ("GET" | "POST", "/service/token")
    ) || path == "/api/v2.0/ping"
}

/// The middleware, over the whole application.
pub async fn guard(settings: Settings, req: Request, next: Next) -> Response {
    let method = req.method();
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !exempt(method, req.uri().path()) {
        match settings.snapshot().await {
            Ok(s) if s.read_only() => {
                let mut resp = ApiError::new(StatusCode::FORBIDDEN, "DENIED", READ_ONLY_MESSAGE)
                    .into_response();
                if req.uri().path().starts_with("/v2") {
                    // Every /v2 answer names the API version, this one too.
                    resp.headers_mut().insert(
                        "docker-distribution-api-version",
                        http::HeaderValue::from_static("registry/2.0"),
                    );
                }
                return resp;
            }
            Ok(_) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}
