//! `/quotas`: each project's storage quota (system administrators only).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_meta::{QuotaOrder, QuotaRow};
use http::{StatusCode, Uri};

use super::{bad_input, empty, json, json_body};
use crate::identity::Caller;
use crate::models::{Errors, Quota, QuotaRef, QuotaUpdateReq, ResourceList};
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

fn quota_json(q: &QuotaRow) -> Quota {
    Quota {
        id: q.id,
        reference: QuotaRef {
            id: q.project_id,
            name: q.project_name.clone(),
            owner_name: q.owner_name.clone(),
        },
        hard: ResourceList { storage: q.hard },
        used: ResourceList { storage: q.used },
        creation_time: rfc3339_ms(q.created_at),
        update_time: rfc3339_ms(q.updated_at),
    }
}

/// Harbor's `sort` for quotas: `used.storage`, `hard.storage`, `creation_time`,
/// `update_time`, each with `-` for descending; anything else is id order (the swagger
/// declares no 400 here).
fn order(sort: Option<&String>) -> QuotaOrder {
    let Some(sort) = sort.filter(|s| !s.is_empty()) else {
        return QuotaOrder::Id;
    };
    let (desc, key) = match sort.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, sort.as_str()),
    };
    match key {
        "used.storage" => QuotaOrder::Used { desc },
        "hard.storage" => QuotaOrder::Hard { desc },
        "creation_time" => QuotaOrder::Created { desc },
        "update_time" => QuotaOrder::Updated { desc },
        _ => QuotaOrder::Id,
    }
}

/// A quota id from the path (parsed here, not by the extractor, so an anonymous caller
/// gets 401 before any input check).
fn quota_id(who: &berth_auth::Identity, raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| bad_input(who, "id must be an integer".into()))
}

/// `GET /quotas?reference=project&reference_id=&sort=`.
#[utoipa::path(get, path = "/api/v2.0/quotas", tag = "quota", operation_id = "listQuotas",
    responses((status = 200, body = Vec<Quota>), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let order = order(query.get("sort"));
    let project = match (
        query.get("reference").map(String::as_str),
        query.get("reference_id"),
    ) {
        (Some("project") | None, Some(id)) => Some(
            id.parse::<i64>()
                .map_err(|_| bad_input(&who, "reference_id must be an integer".into()))?,
        ),
        (Some(other), _) if other != "project" => {
            return Err(bad_input(&who, format!("unknown quota reference {other}")));
        }
        _ => None,
    };
    let (rows, total) = state
        .accounts
        .quotas(&who, project, order, paging.offset(), paging.size)
        .await?;
    let items: Vec<Quota> = rows.iter().map(quota_json).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /quotas/{id}`.
#[utoipa::path(get, path = "/api/v2.0/quotas/{id}", tag = "quota", operation_id = "getQuota",
    params(("id" = i64, Path)),
    responses((status = 200, body = Quota), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = quota_id(&who, &id)?;
    Ok(json(&quota_json(&state.accounts.quota(&who, id).await?)))
}

/// `PUT /quotas/{id}` with `{"hard": {"storage": N}}`.
#[utoipa::path(put, path = "/api/v2.0/quotas/{id}", tag = "quota", operation_id = "updateQuota",
    params(("id" = i64, Path)), request_body = QuotaUpdateReq,
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = quota_id(&who, &id)?;
    let req: QuotaUpdateReq = json_body(&who, &body)?;
    state.accounts.set_quota(&who, id, req.hard.storage).await?;
    Ok(empty(StatusCode::OK))
}
