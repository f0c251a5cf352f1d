//! `/labels[/{label_id}]` and `.../artifacts/{reference}/labels[/{label_id}]`.

use std::collections::BTreeMap;

use crate::models::{Errors, Label};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_core::artifacts::LabelRequest;
use berth_meta::LabelRow;
use berth_types::ProjectId;
use http::{StatusCode, Uri};
use serde::Deserialize;

use super::repositories::artifact_at;
use super::{created, empty, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `Label` of the swagger file.
pub(crate) fn label_json(l: &LabelRow) -> Label {
    Label {
        id: l.id,
        name: l.name.clone(),
        description: l.description.clone(),
        color: l.color.clone(),
        scope: l.scope.clone(),
        project_id: l.project_id.map_or(0, |p| p.0),
        creation_time: rfc3339_ms(l.created_at),
        update_time: rfc3339_ms(l.updated_at),
    }
}

#[derive(Deserialize)]
struct LabelBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    color: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    project_id: i64,
}

fn request(body: LabelBody) -> Result<LabelRequest, ApiError> {
    let project = match body.scope.as_deref() {
        Some("p") if body.project_id > 0 => Some(ProjectId(body.project_id)),
        Some("p") => return Err(ApiError::bad_request("a project label needs project_id")),
        Some("g") | None => None,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid label scope {other}: g or p"
            )));
        }
    };
    Ok(LabelRequest {
        name: body.name,
        description: body.description,
        color: body.color,
        project,
    })
}

/// `POST /labels`.
#[utoipa::path(post, path = "/api/v2.0/labels", tag = "label", operation_id = "CreateLabel",
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = request(json_body(&who, &body)?)?;
    let id = state.artifacts.create_label(&who, &req).await?;
    Ok(created(format!("/api/v2.0/labels/{id}")))
}

/// `GET /labels?scope=g|p&project_id=&name=`.
#[utoipa::path(get, path = "/api/v2.0/labels", tag = "label", operation_id = "ListLabels",
    responses((status = 200, body = Vec<Label>), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let project = match query.get("scope").map(String::as_str) {
        Some("p") => Some(ProjectId(
            query
                .get("project_id")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ApiError::bad_request("scope p needs a project_id"))?,
        )),
        Some("g") | None => None,
        Some(_) => return Err(ApiError::bad_request("invalid scope: g or p")),
    };
    let name = query.get("name").map(String::as_str);
    let (rows, total) = state
        .artifacts
        .list_labels(&who, project, name, paging.offset(), paging.size)
        .await?;
    let items: Vec<Label> = rows.iter().map(label_json).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /labels/{label_id}`.
#[utoipa::path(get, path = "/api/v2.0/labels/{label_id}", tag = "label", operation_id = "GetLabelByID",
    params(("label_id" = String, Path)),
    responses((status = 200, body = Label), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(json(&label_json(&state.artifacts.label(&who, id).await?)))
}

/// `PUT /labels/{label_id}`.
#[utoipa::path(put, path = "/api/v2.0/labels/{label_id}", tag = "label", operation_id = "UpdateLabel",
    params(("label_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let current = state.artifacts.label(&who, id).await?;
    let mut body: LabelBody = json_body(&who, &body)?;
    if body.name.is_empty() {
        body.name = current.name;
    }
    let mut req = request(body)?;
    req.project = current.project_id;
    state.artifacts.update_label(&who, id, &req).await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /labels/{label_id}`.
#[utoipa::path(delete, path = "/api/v2.0/labels/{label_id}", tag = "label", operation_id = "DeleteLabel",
    params(("label_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    state.artifacts.delete_label(&who, id).await?;
    Ok(empty(StatusCode::OK))
}

#[derive(Deserialize)]
struct LabelRef {
    id: i64,
}

/// `POST .../artifacts/{reference}/labels` with `{"id": N}`.
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/labels", tag = "artifact", operation_id = "addLabel",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn attach(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let label: LabelRef = json_body(&who, &body)?;
    state.artifacts.attach_label(&who, &at, label.id).await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE .../artifacts/{reference}/labels/{label_id}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/labels/{label_id}", tag = "artifact", operation_id = "removeLabel",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path), ("label_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn detach(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference, label)): Path<(String, String, String, i64)>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    state.artifacts.detach_label(&who, &at, label).await?;
    Ok(empty(StatusCode::OK))
}
