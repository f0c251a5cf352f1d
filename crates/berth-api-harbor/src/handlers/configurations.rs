//! `/configurations`: Harbor's system configuration keys.

use axum::body::Bytes;
use axum::response::Response;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{empty, json, json_body};
use crate::identity::Caller;
use crate::models::Errors;
use crate::{ApiError, State};

/// `GET /configurations`: each key as `{"value": ..., "editable": ...}` (the scan-all
/// policy as itself); secrets are never shown.
#[utoipa::path(get, path = "/api/v2.0/configurations", tag = "configure", operation_id = "getConfigurations",
    responses((status = 200, body = Object), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn get(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let shown = state.accounts.settings().show(&who).await?;
    let body: Map<String, Value> = shown
        .into_iter()
        .map(|s| {
            // Harbor's schema gives the scan-all policy as the object itself.
            let shown = if s.value.is_object() {
                s.value
            } else {
                json!({ "value": s.value, "editable": s.editable })
            };
            (s.name.to_owned(), shown)
        })
        .collect();
    Ok(json(&Value::Object(body)))
}

/// `PUT /configurations`: a flat object of the keys to change.
#[utoipa::path(put, path = "/api/v2.0/configurations", tag = "configure", operation_id = "updateConfigurations",
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn put(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let changes: Map<String, Value> = json_body(&who, &body)?;
    state.accounts.settings().update(&who, &changes).await?;
    Ok(empty(StatusCode::OK))
}
