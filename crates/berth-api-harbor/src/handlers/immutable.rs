//! `/projects/{project_name_or_id}/immutabletagrules[/{immutable_rule_id}]`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use berth_core::immutability::StoredRule;
use berth_types::immutability::ImmutableRule;
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};

use super::projects::project_key;
use super::{created, empty, json, json_body};
use crate::identity::Caller;
use crate::models::Errors;
use crate::{ApiError, State};

/// `ImmutableRule` of the swagger file.
fn rule_json(r: &StoredRule) -> Value {
    let mut v = serde_json::to_value(&r.rule).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut v {
        map.insert("id".into(), json!(r.id));
        map.insert("project_id".into(), json!(r.project_id));
    }
    v
}

fn rule_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("immutable rule {raw} not found"),
        )
    })
}

/// The project's rules.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/immutabletagrules", tag = "immutable", operation_id = "ListImmuRules",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let rules = state
        .artifacts
        .list_immutable_rules(&who, &project_key(&raw, &headers))
        .await?;
    let items: Vec<Value> = rules.iter().map(rule_json).collect();
    Ok(json(&items))
}

/// Adds a rule (201 with its Location; 409 when one selects the same).
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/immutabletagrules", tag = "immutable", operation_id = "CreateImmuRule",
    params(("project_name_or_id" = String, Path)),
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    let rule: ImmutableRule = json_body(&who, &body)?;
    let id = state
        .artifacts
        .create_immutable_rule(&who, &project_key(&raw, &headers), &rule)
        .await?;
    Ok(created(format!(
        "{}/{id}",
        uri.path().trim_end_matches('/')
    )))
}

/// Replaces a rule (also to disable it).
#[utoipa::path(put, path = "/api/v2.0/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}", tag = "immutable", operation_id = "UpdateImmuRule",
    params(("project_name_or_id" = String, Path), ("immutable_rule_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((raw, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let rule: ImmutableRule = json_body(&who, &body)?;
    state
        .artifacts
        .update_immutable_rule(&who, &project_key(&raw, &headers), rule_id(&id)?, &rule)
        .await?;
    Ok(empty(StatusCode::OK))
}

/// Removes a rule.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}", tag = "immutable", operation_id = "DeleteImmuRule",
    params(("project_name_or_id" = String, Path), ("immutable_rule_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((raw, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    state
        .artifacts
        .delete_immutable_rule(&who, &project_key(&raw, &headers), rule_id(&id)?)
        .await?;
    Ok(empty(StatusCode::OK))
}
