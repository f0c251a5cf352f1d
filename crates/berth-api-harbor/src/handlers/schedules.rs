//! `/schedules`: every periodic schedule, and whether schedules are paused.

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::response::Response;
use http::Uri;

use super::{bad_input, json};
use crate::identity::Caller;
use crate::models::{Errors, ScheduleTask, SchedulerStatus};
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `GET /schedules`.
#[utoipa::path(get, path = "/api/v2.0/schedules", tag = "schedule", operation_id = "listSchedules",
    responses((status = 200, body = Vec<ScheduleTask>), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let (rows, total) = state
        .jobs
        .all_schedules(&who, paging.size, paging.offset())
        .await?;
    let items: Vec<ScheduleTask> = rows
        .iter()
        .map(|s| ScheduleTask {
            id: s.id,
            vendor_type: s.vendor_type.to_string(),
            vendor_id: s.vendor_id,
            cron: s.cron.clone(),
            update_time: rfc3339_ms(s.update_time),
        })
        .collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /schedules/{job_type}/paused` (`all`, or one job type).
#[utoipa::path(get, path = "/api/v2.0/schedules/{job_type}/paused", tag = "schedule", operation_id = "getSchedulePaused",
    params(("job_type" = String, Path)),
    responses((status = 200, body = SchedulerStatus), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn paused(
    state: State,
    Caller(who): Caller,
    Path(job_type): Path<String>,
) -> Result<Response, ApiError> {
    let paused = state
        .jobs
        .schedule_paused(&who, &job_type)
        .await
        .map_err(|e| match e {
            berth_jobs::JobError::NotFound(m) => bad_input(&who, m),
            other => other.into(),
        })?;
    Ok(json(&SchedulerStatus { paused }))
}
