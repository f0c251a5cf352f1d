//! `/projects`: create, list, look up, check, delete.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_auth::Identity;
use berth_core::accounts::ProjectKey;
use berth_meta::{ProjectFilter, ProjectRow};
use berth_types::ProjectId;
use http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;

use crate::models::{
    CveAllowlist, Errors, Project, ProjectDeletable, ProjectSummary, ProjectSummaryQuota,
    ResourceList,
};

use super::{created, empty, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `Project` of the swagger file.
pub(crate) async fn project_json(
    state: &State,
    who: &Identity,
    p: &ProjectRow,
) -> Result<Project, ApiError> {
    let role = state.accounts.role(who, p).await?;
    let ids: Vec<i64> = role.iter().map(|r| r.id()).collect();
    Ok(Project {
        project_id: p.id.0,
        owner_id: p.owner_id.0,
        owner_name: p.owner_name.clone(),
        name: p.name.clone(),
        creation_time: rfc3339_ms(p.created_at),
        update_time: rfc3339_ms(p.updated_at),
        deleted: false,
        togglable: true,
        current_user_role_id: role.map_or(0, |r| r.id()),
        current_user_role_ids: ids,
        repo_count: p.repo_count,
        metadata: p.metadata.clone(),
        cve_allowlist: CveAllowlist {
            id: 0,
            project_id: p.id.0,
            items: Vec::new(),
            expires_at: None,
            creation_time: rfc3339_ms(p.created_at),
            update_time: rfc3339_ms(p.updated_at),
        },
    })
}

/// A `{project_name_or_id}` path parameter: an id when numeric, unless
/// `X-Is-Resource-Name: true` says it is a name.
pub(crate) fn project_key(raw: &str, headers: &HeaderMap) -> ProjectKey {
    let as_name = headers
        .get("x-is-resource-name")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match raw.parse::<i64>() {
        Ok(id) if !as_name => ProjectKey::Id(ProjectId(id)),
        _ => ProjectKey::Name(raw.to_owned()),
    }
}

/// Harbor's metadata values are strings; typed JSON values are taken as their text.
fn metadata_strings(values: BTreeMap<String, Value>) -> Result<BTreeMap<String, String>, ApiError> {
    values
        .into_iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key, s)),
            Value::Bool(b) => Ok((key, b.to_string())),
            Value::Number(n) => Ok((key, n.to_string())),
            _ => Err(ApiError::bad_request(format!(
                "invalid value of metadata {key}"
            ))),
        })
        .collect()
}

#[derive(Deserialize)]
struct ProjectReq {
    project_name: String,
    /// Deprecated in Harbor's API in favour of `metadata.public`, still honoured.
    #[serde(default)]
    public: Option<bool>,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
    /// The project's storage quota in bytes (-1: unlimited); taken from system
    /// administrators only, others get `storage_per_project`.
    #[serde(default)]
    storage_limit: Option<i64>,
}

/// `POST /projects`.
#[utoipa::path(post, path = "/api/v2.0/projects", tag = "project", operation_id = "createProject",
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 409, body = Errors)))]
pub(crate) async fn create(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ProjectReq = json_body(&who, &body)?;
    let mut metadata = BTreeMap::new();
    if let Some(public) = req.public {
        metadata.insert("public".to_owned(), public.to_string());
    }
    metadata.extend(metadata_strings(req.metadata)?);
    let id = state
        .accounts
        .create_project(&who, &req.project_name, &metadata, req.storage_limit)
        .await?;
    let by_name = headers
        .get("x-resource-name-in-location")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(created(if by_name {
        format!("/api/v2.0/projects/{}", req.project_name)
    } else {
        format!("/api/v2.0/projects/{}", id.0)
    }))
}

/// `GET /projects`.
#[utoipa::path(get, path = "/api/v2.0/projects", tag = "project", operation_id = "listProjects",
    responses((status = 200, body = Vec<Project>)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(&query)?;
    let public = match query.get("public").map(String::as_str) {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => return Err(ApiError::bad_request("public must be true or false")),
    };
    let filter = ProjectFilter {
        name_contains: query.get("name").filter(|n| !n.is_empty()).cloned(),
        public,
    };
    let (rows, total) = state
        .accounts
        .list_projects(&who, &filter, paging.offset(), paging.size)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(project_json(&state, &who, row).await?);
    }
    Ok(paging.respond(&uri, total, &items))
}

/// `HEAD /projects?project_name=`: whether the name is taken.
#[utoipa::path(head, path = "/api/v2.0/projects", tag = "project", operation_id = "headProject",
    responses((status = 200), (status = 404)))]
pub(crate) async fn head(
    state: State,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let Some(name) = query.get("project_name").filter(|n| !n.is_empty()) else {
        return Err(ApiError::bad_request("project_name is required"));
    };
    if state.accounts.project_exists(name).await? {
        Ok(empty(StatusCode::OK))
    } else {
        Ok(empty(StatusCode::NOT_FOUND))
    }
}

/// `GET /projects/{project_name_or_id}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}", tag = "project", operation_id = "getProject",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Project), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let row = state
        .accounts
        .project(&who, &project_key(&raw, &headers))
        .await?;
    Ok(json(&project_json(&state, &who, &row).await?))
}

/// `DELETE /projects/{project_name_or_id}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}", tag = "project", operation_id = "deleteProject",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 412, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    state
        .accounts
        .delete_project(&who, &project_key(&raw, &headers))
        .await?;
    Ok(empty(StatusCode::OK))
}

#[derive(Deserialize)]
struct ProjectUpdate {
    #[serde(default)]
    public: Option<bool>,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
}

/// `PUT /projects/{project_name_or_id}`: the metadata (the name cannot change).
#[utoipa::path(put, path = "/api/v2.0/projects/{project_name_or_id}", tag = "project", operation_id = "updateProject",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ProjectUpdate = json_body(&who, &body)?;
    let mut metadata = metadata_strings(req.metadata)?;
    if let Some(public) = req.public {
        metadata.insert("public".to_owned(), public.to_string());
    }
    state
        .accounts
        .update_project_metadata(&who, &project_key(&raw, &headers), &metadata)
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `GET /projects/{project_name_or_id}/_deletable`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/_deletable", tag = "project", operation_id = "getProjectDeletable",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = ProjectDeletable), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn deletable(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (deletable, message) = state
        .accounts
        .project_deletable(&who, &project_key(&raw, &headers))
        .await?;
    Ok(json(&ProjectDeletable { deletable, message }))
}

/// `GET /projects/{project_name_or_id}/summary`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/summary", tag = "project", operation_id = "getProjectSummary",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = ProjectSummary), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn summary(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (row, counts, quota) = state
        .accounts
        .project_summary(&who, &project_key(&raw, &headers))
        .await?;
    let count = |role: berth_types::Role| counts.get(&role.id()).copied().unwrap_or(0);
    use berth_types::Role;
    Ok(json(&ProjectSummary {
        repo_count: row.repo_count,
        project_admin_count: count(Role::ProjectAdmin),
        maintainer_count: count(Role::Maintainer),
        developer_count: count(Role::Developer),
        guest_count: count(Role::Guest),
        limited_guest_count: count(Role::LimitedGuest),
        quota: quota.map(|q| ProjectSummaryQuota {
            hard: ResourceList { storage: q.hard },
            used: ResourceList { storage: q.used },
        }),
    }))
}

/// `GET /projects/{project_name_or_id}/metadatas`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/metadatas", tag = "projectMetadata", operation_id = "listProjectMetadatas",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = BTreeMap<String, String>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn metadatas(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let metadata = state
        .accounts
        .project_metadata(&who, &project_key(&raw, &headers))
        .await?;
    Ok(json(&metadata))
}

/// `POST /projects/{project_name_or_id}/metadatas/`: adds keys (`{"key": "value"}`).
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/metadatas", tag = "projectMetadata", operation_id = "addProjectMetadatas",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn add_metadatas(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let values: BTreeMap<String, Value> = json_body(&who, &body)?;
    state
        .accounts
        .set_metadata_keys(
            &who,
            &project_key(&raw, &headers),
            &metadata_strings(values)?,
        )
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `GET /projects/{project_name_or_id}/metadatas/{meta_name}`: `{"<name>": "<value>"}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/metadatas/{meta_name}", tag = "projectMetadata", operation_id = "getProjectMetadata",
    params(("project_name_or_id" = String, Path), ("meta_name" = String, Path)),
    responses((status = 200, body = BTreeMap<String, String>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn metadata(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let all = state
        .accounts
        .project_metadata(&who, &project_key(&raw, &headers))
        .await?;
    let value = all.get(&name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("metadata {name} not found"),
        )
    })?;
    Ok(json(&BTreeMap::from([(name.clone(), value.clone())])))
}

/// `PUT /projects/{project_name_or_id}/metadatas/{meta_name}` with `{"<name>": "<value>"}`.
#[utoipa::path(put, path = "/api/v2.0/projects/{project_name_or_id}/metadatas/{meta_name}", tag = "projectMetadata", operation_id = "updateProjectMetadata",
    params(("project_name_or_id" = String, Path), ("meta_name" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update_metadata(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((raw, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let values: BTreeMap<String, Value> = json_body(&who, &body)?;
    let values = metadata_strings(values)?;
    let Some(value) = values.get(&name) else {
        return Err(super::bad_input(&who, format!("the body must set {name}")));
    };
    let one = BTreeMap::from([(name.clone(), value.clone())]);
    state
        .accounts
        .set_metadata_keys(&who, &project_key(&raw, &headers), &one)
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /projects/{project_name_or_id}/metadatas/{meta_name}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/metadatas/{meta_name}", tag = "projectMetadata", operation_id = "deleteProjectMetadata",
    params(("project_name_or_id" = String, Path), ("meta_name" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete_metadata(
    state: State,
    Caller(who): Caller,
    headers: HeaderMap,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    state
        .accounts
        .delete_metadata_key(&who, &project_key(&raw, &headers), &name)
        .await?;
    Ok(empty(StatusCode::OK))
}
