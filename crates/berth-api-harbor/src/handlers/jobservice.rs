//! `/jobservice`: worker pools and workers, one job's stop and log, and the queues.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use http::StatusCode;

use super::{empty, json, text};
use crate::identity::Caller;
use crate::models::{ActionRequest, Errors, JobQueue, Worker, WorkerPool};
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `GET /jobservice/pools`: the pool of every node alive.
#[utoipa::path(get, path = "/api/v2.0/jobservice/pools", tag = "jobservice", operation_id = "getWorkerPools",
    responses((status = 200, body = Vec<WorkerPool>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn pools(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let pools: Vec<WorkerPool> = state
        .jobs
        .pools(&who)
        .await?
        .into_iter()
        .map(|p| WorkerPool {
            pid: p.pid,
            worker_pool_id: p.id,
            start_at: rfc3339_ms(p.start_at),
            heartbeat_at: rfc3339_ms(p.heartbeat_at),
            concurrency: p.concurrency,
            host: p.host,
        })
        .collect();
    Ok(json(&pools))
}

/// `GET /jobservice/pools/{pool_id}/workers` (`all`: every pool's).
#[utoipa::path(get, path = "/api/v2.0/jobservice/pools/{pool_id}/workers", tag = "jobservice", operation_id = "getWorkers",
    params(("pool_id" = String, Path)),
    responses((status = 200, body = Vec<Worker>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn workers(
    state: State,
    Caller(who): Caller,
    Path(pool): Path<String>,
) -> Result<Response, ApiError> {
    let workers: Vec<Worker> = state
        .jobs
        .workers(&who, &pool)
        .await?
        .into_iter()
        .map(|w| Worker {
            id: w.id,
            pool_id: w.pool_id,
            job_name: w.job_name,
            job_id: w.job_id,
            start_at: w.start_at.map(rfc3339_ms),
            check_in: w.check_in,
            checkin_at: w.checkin_at.map(rfc3339_ms),
        })
        .collect();
    Ok(json(&workers))
}

/// `PUT /jobservice/jobs/{job_id}`: stops a job.
#[utoipa::path(put, path = "/api/v2.0/jobservice/jobs/{job_id}", tag = "jobservice", operation_id = "stopRunningJob",
    params(("job_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn stop_job(
    state: State,
    Caller(who): Caller,
    Path(job): Path<String>,
) -> Result<Response, ApiError> {
    state.jobs.stop_job(&who, &job).await?;
    Ok(empty(StatusCode::OK))
}

/// `GET /jobservice/jobs/{job_id}/log` (text).
#[utoipa::path(get, path = "/api/v2.0/jobservice/jobs/{job_id}/log", tag = "jobservice", operation_id = "actionGetJobLog",
    params(("job_id" = String, Path)),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn job_log(
    state: State,
    Caller(who): Caller,
    Path(job): Path<String>,
) -> Result<Response, ApiError> {
    Ok(text(state.jobs.job_log(&who, &job).await?))
}

/// `GET /jobservice/queues`: every job type's queue.
#[utoipa::path(get, path = "/api/v2.0/jobservice/queues", tag = "jobservice", operation_id = "listJobQueues",
    responses((status = 200, body = Vec<JobQueue>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn queues(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
    let queues: Vec<JobQueue> = state
        .jobs
        .queues(&who)
        .await?
        .into_iter()
        .map(|q| JobQueue {
            job_type: q.job_type.to_string(),
            count: q.pending,
            latency: q.latency_ms / 1000,
            paused: q.paused,
        })
        .collect();
    Ok(json(&queues))
}

/// `PUT /jobservice/queues/{job_type}` with `{"action": "stop"|"pause"|"resume"}`
/// (`all`: every queue).
#[utoipa::path(put, path = "/api/v2.0/jobservice/queues/{job_type}", tag = "jobservice", operation_id = "actionPendingJobs",
    params(("job_type" = String, Path)), request_body = ActionRequest,
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 422, body = Errors)))]
pub(crate) async fn queue_action(
    state: State,
    Caller(who): Caller,
    Path(job_type): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Who may act is checked before the body is read; a body without an action is refused
    // as an unknown action (422).
    state.jobs.authorize(&who)?;
    let action = serde_json::from_slice::<ActionRequest>(&body)
        .map(|r| r.action)
        .unwrap_or_default();
    state.jobs.queue_action(&who, &job_type, &action).await?;
    Ok(empty(StatusCode::OK))
}
