//! The seven operations `/system/gc` and `/system/purgeaudit` share, declared once: each
//! use names the job type, the paths and Harbor's operation ids (which the OpenAPI
//! document needs as literals), and the POST's responses.

/// Declares `list`, `get`, `stop`, `log`, `get_schedule`, `create_schedule` and
/// `update_schedule` for one job type.
macro_rules! execution_api {
    (
        job: $job:expr, tag: $tag:literal, base: $base:literal,
        root: $root:literal, one: $one:literal, one_log: $one_log:literal, schedule: $schedule:literal,
        id: $id:literal,
        ops: [$list_op:literal, $get_op:literal, $stop_op:literal, $log_op:literal,
              $get_schedule_op:literal, $create_op:literal, $update_op:literal],
        create_responses: $create_responses:tt
    ) => {
        use std::collections::BTreeMap;

        use axum::body::Bytes;
        use axum::extract::{Path, Query};
        use axum::response::Response;
        use http::Uri;

        use super::executions;
        use crate::identity::Caller;
        use crate::models::{Errors, ExecHistory, ScheduleReq};
        use crate::{ApiError, State};

        /// The history of runs, newest first.
        #[utoipa::path(get, path = $root, tag = $tag, operation_id = $list_op,
            responses((status = 200, body = Vec<ExecHistory>), (status = 401, body = Errors), (status = 403, body = Errors)))]
        pub(crate) async fn list(
            state: State,
            Caller(who): Caller,
            uri: Uri,
            Query(query): Query<BTreeMap<String, String>>,
        ) -> Result<Response, ApiError> {
            executions::list(&state, &who, &uri, &query, $job).await
        }

        /// One run.
        #[utoipa::path(get, path = $one, tag = $tag, operation_id = $get_op,
            params(($id = i64, Path)),
            responses((status = 200, body = ExecHistory), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
        pub(crate) async fn get(
            state: State,
            Caller(who): Caller,
            Path(id): Path<String>,
        ) -> Result<Response, ApiError> {
            executions::get(&state, &who, &id, $job).await
        }

        /// Stops a run.
        #[utoipa::path(put, path = $one, tag = $tag, operation_id = $stop_op,
            params(($id = i64, Path)),
            responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
        pub(crate) async fn stop(
            state: State,
            Caller(who): Caller,
            Path(id): Path<String>,
        ) -> Result<Response, ApiError> {
            executions::stop(&state, &who, &id, $job).await
        }

        /// A run's log, as text.
        #[utoipa::path(get, path = $one_log, tag = $tag, operation_id = $log_op,
            params(($id = i64, Path)),
            responses((status = 200, body = String, content_type = "text/plain"), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
        pub(crate) async fn log(
            state: State,
            Caller(who): Caller,
            Path(id): Path<String>,
        ) -> Result<Response, ApiError> {
            executions::log(&state, &who, &id, $job).await
        }

        /// The schedule (200 with no body when there is none).
        #[utoipa::path(get, path = $schedule, tag = $tag, operation_id = $get_schedule_op,
            responses((status = 200, body = ExecHistory), (status = 401, body = Errors), (status = 403, body = Errors)))]
        pub(crate) async fn get_schedule(state: State, Caller(who): Caller) -> Result<Response, ApiError> {
            executions::get_schedule(&state, &who, $job).await
        }

        /// `Manual` runs now (201 with the run's `Location`), `None` removes the schedule,
        /// a periodic type sets it.
        #[utoipa::path(post, path = $schedule, tag = $tag, operation_id = $create_op,
            request_body = ScheduleReq, responses $create_responses)]
        pub(crate) async fn create_schedule(
            state: State,
            Caller(who): Caller,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            executions::put_schedule(&state, &who, &body, $job, $base, true).await
        }

        /// As `POST`, answered with 200.
        #[utoipa::path(put, path = $schedule, tag = $tag, operation_id = $update_op,
            request_body = ScheduleReq,
            responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
        pub(crate) async fn update_schedule(
            state: State,
            Caller(who): Caller,
            body: Bytes,
        ) -> Result<Response, ApiError> {
            executions::put_schedule(&state, &who, &body, $job, $base, false).await
        }
    };
}

pub(crate) use execution_api;
