//! The job service's objects: `GCHistory`/`ExecHistory`, `Schedule`, `ScheduleObj`,
//! `ScheduleTask`, `WorkerPool`, `Worker`, `JobQueue`, `ActionRequest`, `SchedulerStatus`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `ScheduleObj`.
#[derive(Serialize, Deserialize, ToSchema, Default)]
pub(crate) struct ScheduleObj {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_scheduled_time: Option<String>,
}

/// `GCHistory` and `ExecHistory` (the same fields): one execution, or a schedule.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExecHistory {
    pub id: i64,
    pub job_name: String,
    pub job_kind: String,
    /// The parameters, and once the run ended what it reported, as a JSON string.
    pub job_parameters: String,
    pub schedule: ScheduleObj,
    pub job_status: String,
    pub deleted: bool,
    pub creation_time: String,
    pub update_time: String,
}

/// `Schedule`: the body of `POST`/`PUT …/schedule`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ScheduleReq {
    #[serde(default)]
    pub schedule: Option<ScheduleObj>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
}

/// `ScheduleTask`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScheduleTask {
    pub id: i64,
    pub vendor_type: String,
    pub vendor_id: i64,
    pub cron: String,
    pub update_time: String,
}

/// `SchedulerStatus`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SchedulerStatus {
    pub paused: bool,
}

/// `WorkerPool`.
#[derive(Serialize, ToSchema)]
pub(crate) struct WorkerPool {
    pub pid: i64,
    pub worker_pool_id: String,
    pub start_at: String,
    pub heartbeat_at: String,
    pub concurrency: i64,
    pub host: String,
}

/// `Worker`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Worker {
    pub id: String,
    pub pool_id: String,
    pub job_name: String,
    pub job_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    pub check_in: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_at: Option<String>,
}

/// `JobQueue`.
#[derive(Serialize, ToSchema)]
pub(crate) struct JobQueue {
    pub job_type: String,
    pub count: i64,
    /// Seconds the oldest waiting job has waited.
    pub latency: i64,
    pub paused: bool,
}

/// `ActionRequest`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ActionRequest {
    #[serde(default)]
    pub action: String,
}
