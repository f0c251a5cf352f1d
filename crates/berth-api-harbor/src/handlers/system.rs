//! `/systeminfo`, `/systeminfo/volumes`, `/systeminfo/getcert` and `/health`.

use crate::models::{
    ComponentHealthStatus, Errors, GeneralInfo, OverallHealthStatus, SignedInInfo, Storage,
    SystemInfo,
};
use axum::response::Response;
use berth_auth::Identity;
use http::{HeaderMap, StatusCode};

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

/// A few keys for anyone, the rest for signed-in callers.
#[utoipa::path(get, path = "/api/v2.0/systeminfo", tag = "systeminfo", operation_id = "getSystemInfo",
    responses((status = 200, body = GeneralInfo), (status = 500, body = Errors)))]
pub(crate) async fn info(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snap = state.accounts.settings().snapshot().await?;
    let signed_in = if matches!(who, Identity::Anonymous) {
        None
    } else {
        let url = external_url(&state, &headers);
        let registry_url = url
            .split_once("://")
            .map_or(url.as_str(), |(_, rest)| rest)
            .to_owned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Some(SignedInInfo {
            current_time: rfc3339_ms(now),
            read_only: snap.read_only(),
            harbor_version: version(),
            external_url: url,
            registry_url,
            has_ca_root: false,
            project_creation_restriction: snap.text("project_creation_restriction"),
            registry_storage_provider_name: state.registry.storage_kind().to_owned(),
            notification_enable: snap.flag("notification_enable"),
        })
    };
    Ok(json(&GeneralInfo {
        auth_mode: snap.text("auth_mode"),
        primary_auth_mode: snap.flag("primary_auth_mode"),
        self_registration: snap.flag("self_registration"),
        banner_message: snap.text("banner_message"),
        oidc_provider_name: snap.text("oidc_name"),
        signed_in,
    }))
}

/// The blob volume's size and free space (system administrators); object storage reports
/// none.
#[utoipa::path(get, path = "/api/v2.0/systeminfo/volumes", tag = "systeminfo", operation_id = "getVolumes",
    responses((status = 200, body = SystemInfo), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn volumes(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    match &who {
        Identity::User { sysadmin: true, .. } => {}
        Identity::Anonymous | Identity::Token(_) => return Err(ApiError::unauthorized()),
        _ => return Err(ApiError::forbidden()),
    }
    let storage = state
        .registry
        .storage_capacity()
        .await?
        .map(|c| Storage {
            total: c.total,
            free: c.free,
        })
        .into_iter()
        .collect();
    Ok(json(&SystemInfo { storage }))
}

/// berth has no CA of its own to hand out.
#[utoipa::path(get, path = "/api/v2.0/systeminfo/getcert", tag = "systeminfo", operation_id = "getCert",
    responses((status = 404, body = Errors)))]
pub(crate) async fn getcert() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no CA root certificate is configured",
    )
}

/// Each component's status; 200 either way, as in Harbor.
#[utoipa::path(get, path = "/api/v2.0/health", tag = "health", operation_id = "getHealth",
    responses((status = 200, body = OverallHealthStatus)))]
pub(crate) async fn health(state: State) -> Response {
    let components: Vec<ComponentHealthStatus> = state
        .registry
        .health()
        .await
        .into_iter()
        .map(|c| ComponentHealthStatus {
            name: c.name.to_owned(),
            status: if c.error.is_none() {
                "healthy"
            } else {
                "unhealthy"
            }
            .to_owned(),
            // The cause (hosts, buckets) goes to the log, not to whoever asks.
            error: c.error.map(|e| {
                tracing::warn!(component = c.name, error = %e, "health check failed");
                "unreachable".to_owned()
            }),
        })
        .collect();
    let healthy = components.iter().all(|c| c.error.is_none());
    json(&OverallHealthStatus {
        status: if healthy { "healthy" } else { "unhealthy" }.to_owned(),
        components,
    })
}
