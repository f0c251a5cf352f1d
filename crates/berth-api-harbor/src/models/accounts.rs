//! Users, permissions, members, robots and audit records.

use serde::Serialize;
use utoipa::ToSchema;

/// `UserResp`.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserResp {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub realname: String,
    pub comment: String,
    pub sysadmin_flag: bool,
    pub admin_role_in_auth: bool,
    pub creation_time: String,
    pub update_time: String,
}

/// `UserSearchRespItem`.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserSearchRespItem {
    pub user_id: i64,
    pub username: String,
}

/// `Permission`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Permission {
    pub resource: String,
    pub action: String,
}

/// `ProjectMemberEntity`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectMemberEntity {
    pub id: i64,
    pub project_id: i64,
    pub entity_name: String,
    pub role_name: String,
    pub role_id: i64,
    pub entity_id: i64,
    pub entity_type: String,
}

/// `Robot`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Robot {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub secret: String,
    pub level: String,
    pub duration: i64,
    pub editable: bool,
    pub disable: bool,
    pub expires_at: i64,
    #[schema(value_type = Vec<Object>)]
    pub permissions: serde_json::Value,
    pub creation_time: String,
    pub update_time: String,
}

/// `RobotCreated`: the only answer that shows the secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct RobotCreated {
    pub id: i64,
    pub name: String,
    pub secret: String,
    pub creation_time: String,
    pub expires_at: i64,
}

/// `RobotSec`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RobotSec {
    pub secret: String,
}

/// `AuditLog`, and with the two last fields `AuditLogExt`.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditLog {
    pub id: i64,
    pub username: String,
    pub resource: String,
    pub resource_type: String,
    pub operation: String,
    pub op_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_result: Option<bool>,
}
