//! The audit log: `/audit-logs`, `/auditlog-exts` and `/projects/{project_name}/logs`.

use std::collections::BTreeMap;

use crate::models::{AuditLog, Errors};
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_core::accounts::ProjectKey;
use berth_meta::{AuditFilter, AuditRecord};
use http::Uri;

use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::{QValue, parse, time_ms};
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `AuditLog` of the swagger file, or `AuditLogExt` with `ext`.
fn record_json(r: &AuditRecord, ext: bool) -> AuditLog {
    AuditLog {
        id: r.id,
        username: r.username.clone(),
        resource: r.resource.clone(),
        resource_type: r.resource_type.clone(),
        operation: r.operation.clone(),
        op_time: rfc3339_ms(r.op_time),
        operation_description: ext.then(|| r.description.clone()),
        operation_result: ext.then_some(r.success),
    }
}

/// The filter a `q` parameter asks for (unknown keys are ignored, as in Harbor).
fn filter(query: &BTreeMap<String, String>) -> Result<AuditFilter, ApiError> {
    let mut f = AuditFilter::default();
    let Some(q) = query.get("q") else {
        return Ok(f);
    };
    for (key, value) in parse(q)? {
        match (key.as_str(), value) {
            ("username", QValue::Exact(v)) => f.username = Some(v),
            ("operation", QValue::Exact(v)) => f.operation = Some(v),
            ("resource_type", QValue::Exact(v)) => f.resource_type = Some(v),
            ("resource", QValue::Exact(v)) => f.resource = Some(v),
            ("resource", QValue::Fuzzy(v)) => f.resource_contains = Some(v),
            ("op_time", QValue::Range(from, to)) => {
                f.from = from.as_deref().map(time_ms).transpose()?;
                f.to = to.as_deref().map(time_ms).transpose()?;
            }
            _ => {}
        }
    }
    Ok(f)
}

fn respond(paging: Paging, uri: &Uri, rows: &[AuditRecord], total: i64, ext: bool) -> Response {
    let items: Vec<AuditLog> = rows.iter().map(|r| record_json(r, ext)).collect();
    paging.respond(uri, total, &items)
}

/// `GET /audit-logs`.
#[utoipa::path(get, path = "/api/v2.0/audit-logs", tag = "auditlog", operation_id = "listAuditLogs",
    responses((status = 200, body = Vec<AuditLog>), (status = 401, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let (rows, total) = state
        .accounts
        .audit_logs(&who, filter(&query)?, paging.offset(), paging.size)
        .await?;
    Ok(respond(paging, &uri, &rows, total, false))
}

/// `GET /auditlog-exts`: as `/audit-logs`, in the newer record shape.
#[utoipa::path(get, path = "/api/v2.0/auditlog-exts", tag = "auditlog", operation_id = "listAuditLogExts",
    responses((status = 200, body = Vec<AuditLog>), (status = 401, body = Errors)))]
pub(crate) async fn list_ext(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let (rows, total) = state
        .accounts
        .audit_logs(&who, filter(&query)?, paging.offset(), paging.size)
        .await?;
    Ok(respond(paging, &uri, &rows, total, true))
}

/// `GET /projects/{project_name}/logs`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/logs", tag = "project", operation_id = "getLogs",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Vec<AuditLog>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn project(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Path(project): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let (rows, total) = state
        .accounts
        .project_logs(
            &who,
            &ProjectKey::Name(project),
            filter(&query)?,
            paging.offset(),
            paging.size,
        )
        .await?;
    Ok(respond(paging, &uri, &rows, total, false))
}
