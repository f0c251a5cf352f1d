//! `RetentionMetadata`, `RetentionExecution` and `RetentionExecutionTask` (policies
//! themselves are `berth_types::retention::RetentionPolicy`, which serializes as Harbor's).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `RetentionRuleParamMetadata`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionRuleParamMetadata {
    #[serde(rename = "type")]
    pub kind: String,
    pub unit: String,
    pub required: bool,
}

/// `RetentionRuleMetadata`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionRuleMetadata {
    pub rule_template: String,
    pub display_text: String,
    pub action: String,
    pub params: Vec<RetentionRuleParamMetadata>,
}

/// `RetentionSelectorMetadata`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionSelectorMetadata {
    pub display_text: String,
    pub kind: String,
    pub decorations: Vec<String>,
}

/// `RetentionMetadata`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionMetadata {
    pub templates: Vec<RetentionRuleMetadata>,
    pub scope_selectors: Vec<RetentionSelectorMetadata>,
    pub tag_selectors: Vec<RetentionSelectorMetadata>,
}

/// `RetentionExecution`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionExecution {
    pub id: i64,
    pub policy_id: i64,
    pub start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub status: String,
    pub trigger: String,
    pub dry_run: bool,
}

/// `RetentionExecutionTask`.
#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionExecutionTask {
    pub id: i64,
    pub execution_id: i64,
    pub repository: String,
    pub job_id: String,
    pub status: String,
    pub status_code: i64,
    pub status_revision: i64,
    pub start_time: String,
    pub end_time: String,
    pub total: i64,
    pub retained: i64,
}

/// The body of `POST /retentions/{id}/executions`.
#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct RetentionRunReq {
    #[serde(default)]
    pub dry_run: bool,
}

/// The body of `PATCH /retentions/{id}/executions/{eid}`.
#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct RetentionActionReq {
    #[serde(default)]
    pub action: String,
}
