//! `/retentions`: a project's tag retention policy, its runs and what each run did per
//! repository. Every operation needs a signed-in caller; access follows the policy's
//! project (`tag-retention`: project admins, maintainers, developers).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_auth::Identity;
use berth_meta::ExecutionRow;
use berth_types::retention::{RetentionPolicy, TEMPLATES};
use http::{StatusCode, Uri};

use super::{bad_input, created, empty, json, json_body, path_id, text};
use crate::identity::Caller;
use crate::models::{
    Errors, RetentionActionReq, RetentionExecution, RetentionExecutionTask, RetentionMetadata,
    RetentionRuleMetadata, RetentionRuleParamMetadata, RetentionRunReq, RetentionSelectorMetadata,
};
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{API, ApiError, State};

fn signed_in(who: &Identity) -> Result<(), ApiError> {
    match who {
        Identity::Anonymous => Err(ApiError::unauthorized()),
        _ => Ok(()),
    }
}

/// `GET /retentions/metadatas`: the templates and selectors a rule may use.
#[utoipa::path(get, path = "/api/v2.0/retentions/metadatas", tag = "retention", operation_id = "getRentenitionMetadata",
    responses((status = 200, body = RetentionMetadata), (status = 401, body = Errors)))]
pub(crate) async fn metadatas(Caller(who): Caller) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let templates = TEMPLATES
        .iter()
        .map(|t| RetentionRuleMetadata {
            rule_template: t.id.into(),
            display_text: t.display_text.into(),
            action: "retain".into(),
            params: t
                .unit
                .map(|unit| RetentionRuleParamMetadata {
                    kind: "int".into(),
                    unit: unit.to_uppercase(),
                    required: true,
                })
                .into_iter()
                .collect(),
        })
        .collect();
    let selector = |text: &str, decorations: [&str; 2]| RetentionSelectorMetadata {
        display_text: text.into(),
        kind: "doublestar".into(),
        decorations: decorations.iter().map(|d| d.to_string()).collect(),
    };
    Ok(json(&RetentionMetadata {
        templates,
        scope_selectors: vec![selector("Repositories", ["repoMatches", "repoExcludes"])],
        tag_selectors: vec![selector("Tags", ["matches", "excludes"])],
    }))
}

/// `POST /retentions`: a project's policy (one per project).
#[utoipa::path(post, path = "/api/v2.0/retentions", tag = "retention", operation_id = "createRetention",
    request_body = Object,
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let policy: RetentionPolicy = json_body(&who, &body)?;
    let id = state.jobs.create_retention(&who, &policy).await?;
    Ok(created(format!("{API}/retentions/{id}")))
}

/// `GET /retentions/{id}`.
#[utoipa::path(get, path = "/api/v2.0/retentions/{id}", tag = "retention", operation_id = "getRetention",
    params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    Ok(json(&state.jobs.retention(&who, path_id(&raw)?).await?))
}

/// `PUT /retentions/{id}`.
#[utoipa::path(put, path = "/api/v2.0/retentions/{id}", tag = "retention", operation_id = "updateRetention",
    params(("id" = i64, Path)), request_body = Object,
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let id = path_id(&raw)?;
    let policy: RetentionPolicy = json_body(&who, &body)?;
    state.jobs.update_retention(&who, id, &policy).await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /retentions/{id}`.
#[utoipa::path(delete, path = "/api/v2.0/retentions/{id}", tag = "retention", operation_id = "deleteRetention",
    params(("id" = i64, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    state.jobs.delete_retention(&who, path_id(&raw)?).await?;
    Ok(empty(StatusCode::OK))
}

fn execution_json(e: &ExecutionRow) -> RetentionExecution {
    let dry_run = serde_json::from_str::<serde_json::Value>(&e.parameters)
        .ok()
        .and_then(|p| p.get("dry_run").and_then(serde_json::Value::as_bool))
        .unwrap_or(false);
    RetentionExecution {
        id: e.id.0,
        policy_id: e.vendor_id,
        start_time: rfc3339_ms(e.start_time),
        end_time: e.end_time.map(rfc3339_ms),
        status: e.status.to_string(),
        trigger: e.trigger.as_str().to_owned(),
        dry_run,
    }
}

/// `POST /retentions/{id}/executions` with `{"dry_run": bool}`: runs the policy now.
#[utoipa::path(post, path = "/api/v2.0/retentions/{id}/executions", tag = "retention", operation_id = "triggerRetentionExecution",
    params(("id" = i64, Path)), request_body = RetentionRunReq,
    responses((status = 201), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn run(
    state: State,
    Caller(who): Caller,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let id = path_id(&raw)?;
    let req: RetentionRunReq = if body.is_empty() {
        RetentionRunReq::default()
    } else {
        json_body(&who, &body)?
    };
    let execution = state.jobs.run_retention(&who, id, req.dry_run).await?;
    Ok(created(format!(
        "{API}/retentions/{id}/executions/{}",
        execution.0
    )))
}

/// `GET /retentions/{id}/executions`: the policy's runs, newest first.
#[utoipa::path(get, path = "/api/v2.0/retentions/{id}/executions", tag = "retention", operation_id = "listRetentionExecutions",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RetentionExecution>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn executions(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Path(raw): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let id = path_id(&raw)?;
    let paging = Paging::from_query(&query)?;
    let (rows, total) = state
        .jobs
        .retention_executions(&who, id, paging.size, paging.offset())
        .await?;
    let items: Vec<RetentionExecution> = rows.iter().map(execution_json).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `PATCH /retentions/{id}/executions/{eid}` with `{"action": "stop"}`.
#[utoipa::path(patch, path = "/api/v2.0/retentions/{id}/executions/{eid}", tag = "retention", operation_id = "operateRetentionExecution",
    params(("id" = i64, Path), ("eid" = i64, Path)), request_body = RetentionActionReq,
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn operate(
    state: State,
    Caller(who): Caller,
    Path((raw, eid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let (id, eid) = (path_id(&raw)?, path_id(&eid)?);
    let req: RetentionActionReq = json_body(&who, &body)?;
    if req.action != "stop" {
        return Err(bad_input(
            &who,
            format!("unsupported action {:?}: only stop", req.action),
        ));
    }
    state.jobs.stop_retention(&who, id, eid).await?;
    Ok(empty(StatusCode::OK))
}

/// `GET /retentions/{id}/executions/{eid}/tasks`: what the run did per repository.
#[utoipa::path(get, path = "/api/v2.0/retentions/{id}/executions/{eid}/tasks", tag = "retention", operation_id = "listRetentionTasks",
    params(("id" = i64, Path), ("eid" = i64, Path)),
    responses((status = 200, body = Vec<RetentionExecutionTask>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn tasks(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Path((raw, eid)): Path<(String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let (id, eid) = (path_id(&raw)?, path_id(&eid)?);
    let paging = Paging::from_query(&query)?;
    let (execution, rows, total) = state
        .jobs
        .retention_tasks(&who, id, eid, paging.size, paging.offset())
        .await?;
    let job_id = state.jobs.job_id_of(execution.id).await?;
    let items: Vec<RetentionExecutionTask> = rows
        .iter()
        .map(|t| RetentionExecutionTask {
            id: t.id,
            execution_id: t.execution_id.0,
            repository: t.repository.clone(),
            job_id: job_id.clone(),
            status: t.status.clone(),
            // Harbor's code of a finished job.
            status_code: 3,
            status_revision: t.end_time / 1000,
            start_time: rfc3339_ms(t.start_time),
            end_time: rfc3339_ms(t.end_time),
            total: t.total,
            retained: t.retained,
        })
        .collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /retentions/{id}/executions/{eid}/tasks/{tid}`: one repository's log, as text.
#[utoipa::path(get, path = "/api/v2.0/retentions/{id}/executions/{eid}/tasks/{tid}", tag = "retention", operation_id = "getRetentionTaskLog",
    params(("id" = i64, Path), ("eid" = i64, Path), ("tid" = i64, Path)),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn task_log(
    state: State,
    Caller(who): Caller,
    Path((raw, eid, tid)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    signed_in(&who)?;
    let (id, eid, tid) = (path_id(&raw)?, path_id(&eid)?, path_id(&tid)?);
    Ok(text(
        state.jobs.retention_task_log(&who, id, eid, tid).await?,
    ))
}
