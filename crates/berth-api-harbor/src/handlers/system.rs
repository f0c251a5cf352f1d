//! `/systeminfo`, `/systeminfo/volumes`, `/systeminfo/getcert` and `/health`.

use axum::response::Response;
use berth_auth::Identity;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::json;
use crate::identity::Caller;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// The version `harbor_version` reports: Harbor's `<release>-<commit>` shape.
fn version() -> String {
    format!("v{}-berth", env!("CARGO_PKG_VERSION"))
}

/// The URL clients reach berth at: the configured one, else the request's host.
fn external_url(state: &crate::HarborState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.external_url {
        return url.clone();
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.tls { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// `GET /systeminfo`: a few keys for anyone, the rest for signed-in callers.
pub(crate) async fn info(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snap = state.accounts.settings().snapshot().await?;
    let mut body = json!({
        "auth_mode": snap.text("auth_mode"),
        "primary_auth_mode": snap.flag("primary_auth_mode"),
        "self_registration": snap.flag("self_registration"),
        "banner_message": snap.text("banner_message"),
        "oidc_provider_name": snap.text("oidc_name"),
    });
    if !matches!(who, Identity::Anonymous) {
        let url = external_url(&state, &headers);
        let registry_url = url
            .split_once("://")
            .map_or(url.as_str(), |(_, rest)| rest)
            .to_owned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let more = json!({
            "current_time": rfc3339_ms(now),
            "read_only": snap.read_only(),
            "harbor_version": version(),
            "external_url": url,
            "registry_url": registry_url,
            "has_ca_root": false,
            "project_creation_restriction": snap.text("project_creation_restriction"),
            "registry_storage_provider_name": state.registry.storage_kind(),
            "notification_enable": snap.flag("notification_enable"),
        });
        if let (Value::Object(b), Value::Object(m)) = (&mut body, more) {
            b.extend(m);
        }
    }
    Ok(json(&body))
}

/// `GET /systeminfo/volumes` (system administrators): the blob volume's size and free
/// space; object storage reports none.
pub(crate) async fn volumes(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    match &who {
        Identity::User { sysadmin: true, .. } => {}
        Identity::Anonymous | Identity::Token(_) => return Err(ApiError::unauthorized()),
        _ => return Err(ApiError::forbidden()),
    }
    let storage: Vec<Value> = state
        .registry
        .storage_capacity()
        .await?
        .map(|c| json!({ "total": c.total, "free": c.free }))
        .into_iter()
        .collect();
    Ok(json(&json!({ "storage": storage })))
}

/// `GET /systeminfo/getcert`: berth has no CA of its own to hand out.
pub(crate) async fn getcert() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no CA root certificate is configured",
    )
}

/// `GET /health`: each component's status; 200 either way, as in Harbor.
pub(crate) async fn health(state: State) -> Response {
    let components = state.registry.health().await;
    let healthy = components.iter().all(|c| c.error.is_none());
    let list: Vec<Value> = components
        .iter()
        .map(|c| match &c.error {
            None => json!({ "name": c.name, "status": "healthy" }),
            Some(e) => json!({ "name": c.name, "status": "unhealthy", "error": e }),
        })
        .collect();
    json(&json!({
        "status": if healthy { "healthy" } else { "unhealthy" },
        "components": list,
    }))
}
