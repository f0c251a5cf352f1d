//! Projects.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// `CVEAllowlist`.
#[derive(Serialize, ToSchema)]
pub(crate) struct CveAllowlist {
    pub id: i64,
    pub project_id: i64,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
    pub expires_at: Option<i64>,
    pub creation_time: String,
    pub update_time: String,
}

/// `Project`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Project {
    pub project_id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub name: String,
    pub creation_time: String,
    pub update_time: String,
    pub deleted: bool,
    pub togglable: bool,
    pub current_user_role_id: i64,
    pub current_user_role_ids: Vec<i64>,
    pub repo_count: i64,
    /// Harbor's metadata keys, values as strings ("true", "false", "low", ...).
    pub metadata: BTreeMap<String, String>,
    pub cve_allowlist: CveAllowlist,
}

/// `ProjectDeletable`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectDeletable {
    pub deletable: bool,
    pub message: String,
}

/// `ProjectSummary`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectSummary {
    pub repo_count: i64,
    pub project_admin_count: i64,
    pub maintainer_count: i64,
    pub developer_count: i64,
    pub guest_count: i64,
    pub limited_guest_count: i64,
    /// The project's storage quota (absent for a project without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<ProjectSummaryQuota>,
}

/// `ProjectSummaryQuota`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectSummaryQuota {
    pub hard: super::ResourceList,
    pub used: super::ResourceList,
}
