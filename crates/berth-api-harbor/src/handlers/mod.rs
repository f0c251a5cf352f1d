//! Handlers: each reads the request, asks `berth-core`, and writes Harbor's JSON.

pub(crate) mod artifacts;
pub(crate) mod audit;
pub(crate) mod configurations;
pub(crate) mod execution_api;
pub(crate) mod executions;
pub(crate) mod gc;
pub(crate) mod icons;
pub(crate) mod immutable;
pub(crate) mod jobservice;
pub(crate) mod labels;
pub(crate) mod members;
pub(crate) mod projects;
pub(crate) mod purge_audit;
pub(crate) mod quotas;
pub(crate) mod repositories;
pub(crate) mod retentions;
pub(crate) mod robots;
pub(crate) mod schedules;
pub(crate) mod search;
pub(crate) mod sessions;
pub(crate) mod system;
pub(crate) mod tags;
pub(crate) mod users;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::ApiError;

/// `GET /api/v2.0/ping`.
#[utoipa::path(get, path = "/api/v2.0/ping", tag = "ping", operation_id = "getPing",
    responses((status = 200, body = String)))]
pub(crate) async fn ping() -> Response {
    let mut resp = "Pong".into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// `GET /api/version`.
pub(crate) async fn version() -> Response {
    json(&serde_json::json!({ "version": "v2.0" }))
}

/// A 200 answer with a JSON body.
pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "encoding an answer");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN",
                "internal server error",
            )
            .into_response();
        }
    };
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// Any other path under `/api/v2.0`.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such API path")
}

const REQUEST_ID: &str = "x-request-id";

/// Echoes the client's `X-Request-Id`, or gives the request a new one.
pub(crate) async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("-"))
        });
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(REQUEST_ID, id);
    resp
}

/// A numeric id from the path; anything else names nothing (404).
pub(crate) fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{raw} not found"),
        )
    })
}

/// A 200 answer with a plain-text body (job logs).
pub(crate) fn text(body: String) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// A 2xx answer with no body: no JSON content type (Harbor's clients parse what says JSON).
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// A 201 with the new resource's `Location`.
pub(crate) fn created(location: String) -> Response {
    let mut resp = empty(StatusCode::CREATED);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Parses a JSON request body into `T`, with Harbor's 400 on failure; but an anonymous
/// caller gets the 401 it would get with a valid body (Harbor authenticates before it reads).
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    who: &berth_auth::Identity,
    body: &[u8],
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_input(who, format!("invalid request body: {e}")))
}

/// A 400 for bad input, or for an anonymous caller the 401 it would get with good input.
pub(crate) fn bad_input(who: &berth_auth::Identity, message: String) -> ApiError {
    if matches!(who, berth_auth::Identity::Anonymous) {
        ApiError::unauthorized()
    } else {
        ApiError::bad_request(message)
    }
}
