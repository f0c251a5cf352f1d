use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use berth_auth::{Action, Resource};
use http::HeaderMap;

use crate::OciState;

/// `GET /v2/`: tells clients that this is a registry and that they may talk to it.
pub async fn ping(State(state): State<Arc<OciState>>, headers: HeaderMap) -> Response {
    match state
        .permit(&headers, Resource::Registry, Action::Pull)
        .await
    {
        Ok(_) => ([(http::header::CONTENT_TYPE, "application/json")], "{}").into_response(),
        Err(e) => e.into_response(),
    }
}
