//! What `/system/gc` and `/system/purgeaudit` share: a history of executions, one
//! execution, its stop and log, and the schedule of the job.

use std::collections::BTreeMap;

use axum::response::Response;
use berth_auth::Identity;
use berth_jobs::ScheduleKind;
use berth_meta::{ExecutionRow, ScheduleRow};
use berth_types::jobs::{JobType, Trigger};
use http::{StatusCode, Uri};
use serde_json::Value;

use super::{bad_input, created, empty, json, json_body, path_id, text};
use crate::models::{ExecHistory, ScheduleObj, ScheduleReq};
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{API, ApiError, State};

/// The parameters of a run with what it reported, as Harbor's `job_parameters` shows them.
fn parameters_with_results(e: &ExecutionRow) -> String {
    let mut all = match serde_json::from_str::<Value>(&e.parameters) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    if let Ok(Value::Object(results)) = serde_json::from_str::<Value>(&e.results) {
        all.extend(results);
    }
    Value::Object(all).to_string()
}

fn trigger_title(t: Trigger) -> &'static str {
    match t {
        Trigger::Manual => "Manual",
        Trigger::Schedule => "Schedule",
        Trigger::Event => "Event",
    }
}

pub(crate) fn history_json(e: &ExecutionRow) -> ExecHistory {
    ExecHistory {
        id: e.id.0,
        job_name: e.vendor_type.to_string(),
        job_kind: e.trigger.as_str().to_owned(),
        job_parameters: parameters_with_results(e),
        schedule: ScheduleObj {
            kind: Some(trigger_title(e.trigger).to_owned()),
            ..ScheduleObj::default()
        },
        job_status: e.status.to_string(),
        deleted: false,
        creation_time: rfc3339_ms(e.start_time),
        update_time: rfc3339_ms(e.update_time),
    }
}

fn schedule_json(s: &ScheduleRow) -> ExecHistory {
    ExecHistory {
        id: s.id,
        job_name: s.vendor_type.to_string(),
        job_kind: Trigger::Schedule.as_str().to_owned(),
        job_parameters: s.parameters.clone(),
        schedule: ScheduleObj {
            kind: Some(s.cron_type.clone()),
            cron: Some(s.cron.clone()),
            next_scheduled_time: Some(rfc3339_ms(s.next_time)),
        },
        job_status: String::new(),
        deleted: false,
        creation_time: rfc3339_ms(s.creation_time),
        update_time: rfc3339_ms(s.update_time),
    }
}

pub(crate) async fn list(
    state: &State,
    who: &Identity,
    uri: &Uri,
    query: &BTreeMap<String, String>,
    t: JobType,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(query)?;
    let (rows, total) = state
        .jobs
        .executions(who, t, paging.size, paging.offset())
        .await?;
    let items: Vec<ExecHistory> = rows.iter().map(history_json).collect();
    Ok(paging.respond(uri, total, &items))
}

pub(crate) async fn get(
    state: &State,
    who: &Identity,
    raw: &str,
    t: JobType,
) -> Result<Response, ApiError> {
    let id = path_id(raw)?;
    Ok(json(&history_json(
        &state.jobs.execution(who, t, id).await?,
    )))
}

pub(crate) async fn stop(
    state: &State,
    who: &Identity,
    raw: &str,
    t: JobType,
) -> Result<Response, ApiError> {
    let id = path_id(raw)?;
    state.jobs.stop(who, t, id).await?;
    Ok(empty(StatusCode::OK))
}

pub(crate) async fn log(
    state: &State,
    who: &Identity,
    raw: &str,
    t: JobType,
) -> Result<Response, ApiError> {
    let id = path_id(raw)?;
    Ok(text(state.jobs.log(who, t, id).await?))
}

/// The schedule as Harbor shows it; 200 with an empty body when there is none.
pub(crate) async fn get_schedule(
    state: &State,
    who: &Identity,
    t: JobType,
) -> Result<Response, ApiError> {
    Ok(match state.jobs.schedule(who, t).await? {
        Some(s) => json(&schedule_json(&s)),
        None => empty(StatusCode::OK),
    })
}

/// `POST` (201) and `PUT` (200) of a schedule: `Manual` runs now (a POST answers with
/// the run's `Location`), `None` removes the schedule, a periodic type sets it.
pub(crate) async fn put_schedule(
    state: &State,
    who: &Identity,
    body: &[u8],
    t: JobType,
    path: &str,
    create: bool,
) -> Result<Response, ApiError> {
    state.jobs.authorize(who)?;
    let req: ScheduleReq = json_body(who, body)?;
    let Some(obj) = req.schedule else {
        return Err(bad_input(who, "schedule is required".into()));
    };
    let Some(kind) = obj.kind.as_deref() else {
        return Err(bad_input(who, "schedule.type is required".into()));
    };
    let kind = ScheduleKind::parse(kind, obj.cron.as_deref())
        .map_err(|e| bad_input(who, e.to_string()))?;
    let started = state
        .jobs
        .set_schedule(who, t, kind, &req.parameters)
        .await?;
    Ok(match (create, started) {
        (true, Some(id)) => created(format!("{API}{path}/{}", id.0)),
        (true, None) => created(format!("{API}{path}/schedule")),
        (false, _) => empty(StatusCode::OK),
    })
}
