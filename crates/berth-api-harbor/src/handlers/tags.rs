//! `.../artifacts/{reference}/tags[/{tag_name}]`.

use std::collections::BTreeMap;

use crate::models::{Errors, Tag};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_meta::TagRow;
use http::{StatusCode, Uri};
use serde::Deserialize;

use super::repositories::artifact_at;
use super::{empty, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::exact_term;
use crate::time::{pull_time, rfc3339_ms};
use crate::{ApiError, State};

/// `Tag` of the swagger file.
pub(crate) fn tag_json(t: &TagRow) -> Tag {
    Tag {
        id: t.id,
        repository_id: t.repository_id.0,
        artifact_id: t.artifact_id.0,
        name: t.name.clone(),
        push_time: rfc3339_ms(t.push_time),
        pull_time: pull_time(t.pull_time),
        immutable: false,
    }
}

/// `GET .../artifacts/{reference}/tags`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/tags", tag = "artifact", operation_id = "listTags",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 200, body = Vec<Tag>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let paging = Paging::from_query(&query)?;
    let name = exact_term(&query, "name")?;
    let all: Vec<Tag> = state
        .artifacts
        .list_tags(&who, &at, name.as_deref())
        .await?
        .iter()
        .map(tag_json)
        .collect();
    Ok(paging.respond_slice(&uri, &all))
}

#[derive(Deserialize)]
struct NewTag {
    name: String,
}

/// `POST .../artifacts/{reference}/tags`: 201 without a Location, as in Harbor.
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/tags", tag = "artifact", operation_id = "createTag",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let req: NewTag = json_body(&who, &body)?;
    state.artifacts.create_tag(&who, &at, &req.name).await?;
    Ok(empty(StatusCode::CREATED))
}

/// `DELETE .../artifacts/{reference}/tags/{tag_name}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/tags/{tag_name}", tag = "artifact", operation_id = "deleteTag",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path), ("tag_name" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference, tag)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    state.artifacts.delete_tag(&who, &at, &tag).await?;
    Ok(empty(StatusCode::OK))
}
