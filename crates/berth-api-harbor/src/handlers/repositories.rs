//! `/repositories` and `/projects/{project_name}/repositories[/{repository_name}]`.

use std::collections::BTreeMap;

use crate::models::{Errors, Repository};
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::response::Response;
use berth_core::accounts::ProjectKey;
use berth_core::artifacts::{ArtifactAt, ArtifactRef, RepositoryQuery};
use berth_meta::{RepositoryFilter, RepositoryRow};
use http::{StatusCode, Uri};
use serde::Deserialize;

use super::{empty, json, json_body};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::{QValue, parse};
use crate::time::rfc3339_ms;
use crate::{ApiError, State};

/// `Repository` of the swagger file.
pub(crate) fn repository_json(r: &RepositoryRow) -> Repository {
    Repository {
        id: r.id.0,
        project_id: r.project_id.0,
        name: r.name.clone(),
        description: r.description.clone(),
        artifact_count: r.artifact_count,
        pull_count: r.pull_count,
        creation_time: rfc3339_ms(r.created_at),
        update_time: rfc3339_ms(r.updated_at),
    }
}

/// A repository name from the path: Harbor's clients encode a `/` in it twice, so it is
/// decoded once more here.
pub(crate) fn repository_param(raw: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::bad_request("invalid repository name"))
}

/// The artifact a path names: project, repository (decoded once more) and reference.
pub(crate) fn artifact_at(
    project: String,
    repository: &str,
    reference: &str,
) -> Result<ArtifactAt, ApiError> {
    Ok(ArtifactAt {
        project: ProjectKey::Name(project),
        repository: repository_param(repository)?,
        reference: ArtifactRef::parse(reference),
    })
}

fn repository_query(
    query: &BTreeMap<String, String>,
    paging: &Paging,
) -> Result<RepositoryQuery, ApiError> {
    let mut filter = RepositoryFilter {
        descending: true,
        ..RepositoryFilter::default()
    };
    if let Some(q) = query.get("q") {
        for (key, value) in parse(q)? {
            match (key.as_str(), value) {
                ("name", QValue::Exact(v)) => filter.name_exact = Some(v),
                ("name", QValue::Fuzzy(v)) => filter.name_contains = Some(v),
                _ => {}
            }
        }
    }
    if let Some(sort) = query.get("sort") {
        for key in sort.split(',') {
            let (desc, field) = match key.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, key),
            };
            match field {
                "name" => {
                    filter.by_name = true;
                    filter.descending = desc;
                }
                "creation_time" => {
                    filter.by_name = false;
                    filter.descending = desc;
                }
                _ => continue,
            }
            break;
        }
    }
    Ok(RepositoryQuery {
        filter,
        offset: paging.offset(),
        limit: paging.size,
    })
}

async fn list_in(
    state: &State,
    who: &berth_auth::Identity,
    project: Option<&ProjectKey>,
    uri: &Uri,
    query: &BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_query(query)?;
    let q = repository_query(query, &paging)?;
    let (rows, total) = state.artifacts.list_repositories(who, project, q).await?;
    let items: Vec<Repository> = rows.iter().map(repository_json).collect();
    Ok(paging.respond(uri, total, &items))
}

/// `GET /repositories`: every repository the caller may see.
#[utoipa::path(get, path = "/api/v2.0/repositories", tag = "repository", operation_id = "listAllRepositories",
    responses((status = 200, body = Vec<Repository>)))]
pub(crate) async fn list_all(
    state: State,
    Caller(who): Caller,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    list_in(&state, &who, None, &uri, &query).await
}

/// `GET /projects/{project_name}/repositories`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories", tag = "repository", operation_id = "listRepositories",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Vec<Repository>), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    Path(project): Path<String>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    list_in(&state, &who, Some(&ProjectKey::Name(project)), &uri, &query).await
}

/// `GET /projects/{project_name}/repositories/{repository_name}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}", tag = "repository", operation_id = "getRepository",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path)),
    responses((status = 200, body = Repository), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    let row = state
        .artifacts
        .get_repository(&who, &ProjectKey::Name(project), &repository)
        .await?;
    Ok(json(&repository_json(&row)))
}

#[derive(Deserialize)]
struct RepositoryUpdate {
    #[serde(default)]
    description: String,
}

/// `PUT /projects/{project_name}/repositories/{repository_name}`: the description.
#[utoipa::path(put, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}", tag = "repository", operation_id = "updateRepository",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path)),
    responses((status = 200), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn update(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    let req: RepositoryUpdate = json_body(&who, &body)?;
    state
        .artifacts
        .update_repository(
            &who,
            &ProjectKey::Name(project),
            &repository,
            &req.description,
        )
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `DELETE /projects/{project_name}/repositories/{repository_name}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}", tag = "repository", operation_id = "deleteRepository",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    state
        .artifacts
        .delete_repository(&who, &ProjectKey::Name(project), &repository)
        .await?;
    Ok(empty(StatusCode::OK))
}
