//! System facts, search, statistics, icons and the error body.

use serde::Serialize;
use utoipa::ToSchema;

/// `Errors`: every error answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct Errors {
    pub errors: Vec<ErrorItem>,
}

/// `Error`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorItem {
    pub code: String,
    pub message: String,
}

/// `GeneralInfo`: the first five fields for anyone, the rest for signed-in callers.
#[derive(Serialize, ToSchema)]
pub(crate) struct GeneralInfo {
    pub auth_mode: String,
    pub primary_auth_mode: bool,
    pub self_registration: bool,
    pub banner_message: String,
    pub oidc_provider_name: String,
    #[serde(flatten)]
    pub signed_in: Option<SignedInInfo>,
}

/// The part of `GeneralInfo` anonymous callers do not see.
#[derive(Serialize, ToSchema)]
pub(crate) struct SignedInInfo {
    pub current_time: String,
    pub read_only: bool,
    pub harbor_version: String,
    pub external_url: String,
    pub registry_url: String,
    pub has_ca_root: bool,
    pub project_creation_restriction: String,
    pub registry_storage_provider_name: String,
    pub notification_enable: bool,
}

/// `SystemInfo`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SystemInfo {
    pub storage: Vec<Storage>,
}

/// `Storage`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Storage {
    pub total: u64,
    pub free: u64,
}

/// `OverallHealthStatus`.
#[derive(Serialize, ToSchema)]
pub(crate) struct OverallHealthStatus {
    pub status: String,
    pub components: Vec<ComponentHealthStatus>,
}

/// `ComponentHealthStatus`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ComponentHealthStatus {
    pub name: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `Statistic`: the totals for system administrators only.
#[derive(Serialize, ToSchema)]
pub(crate) struct Statistic {
    pub private_project_count: i64,
    pub private_repo_count: i64,
    pub public_project_count: i64,
    pub public_repo_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_project_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_repo_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_storage_consumption: Option<i64>,
}

/// `Search`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Search {
    pub project: Vec<super::Project>,
    pub repository: Vec<SearchRepository>,
}

/// `SearchRepository`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchRepository {
    pub project_id: i64,
    pub project_name: String,
    pub project_public: bool,
    pub repository_name: String,
    pub pull_count: i64,
    pub artifact_count: i64,
}

/// `Icon`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Icon {
    #[serde(rename = "content-type")]
    pub content_type: String,
    pub content: String,
}
