//! `/projects/{project_name}/repositories/{repository_name}/artifacts...` and
//! `/projects/{project_name_or_id}/artifacts`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use berth_core::accounts::ProjectKey;
use berth_core::artifacts::{AccessoryView, ArtifactOptions, ArtifactQuery, ArtifactView};
use berth_meta::{ArtifactFilter, ArtifactOrder, TagFilter};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};

use crate::models::{Accessory, AdditionLink, Artifact, Errors, Reference};

use super::labels::label_json;
use super::repositories::{artifact_at, repository_param};
use super::{created, empty, json};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::{QValue, exact_term, parse, time_ms};
use crate::time::{pull_time, rfc3339_ms};
use crate::{ApiError, State};

fn flag(query: &BTreeMap<String, String>, key: &str, default: bool) -> bool {
    query
        .get(key)
        .map_or(default, |v| v.eq_ignore_ascii_case("true"))
}

pub(crate) fn options(query: &BTreeMap<String, String>) -> ArtifactOptions {
    ArtifactOptions {
        with_tag: flag(query, "with_tag", true),
        with_label: flag(query, "with_label", false),
        with_accessory: flag(query, "with_accessory", false),
        with_immutable_status: flag(query, "with_immutable_status", false),
    }
}

/// `/api/v2.0/projects/p/repositories/a%252Fb/artifacts/<digest>`, as Harbor links it.
fn artifact_path(project: &str, repository: &str, digest: &str) -> String {
    let repo = repository.replace('/', "%252F");
    format!("/api/v2.0/projects/{project}/repositories/{repo}/artifacts/{digest}")
}

fn parse_json(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({}))
}

/// `Artifact` of the swagger file.
pub(crate) fn artifact_json(v: &ArtifactView, query: &BTreeMap<String, String>) -> Artifact {
    let row = &v.row;
    let (project, repository) = row
        .repository_name
        .split_once('/')
        .unwrap_or(("", row.repository_name.as_str()));
    let names: &[&str] = match v.kind.as_str() {
        "IMAGE"
            if row.manifest_media_type != berth_types::media_type::OCI_INDEX
                && row.manifest_media_type != berth_types::media_type::DOCKER_MANIFEST_LIST =>
        {
            &["build_history"]
        }
        "CHART" => &["values.yaml", "readme.md", "dependencies"],
        _ => &[],
    };
    let addition_links = names
        .iter()
        .map(|name| {
            let href = format!(
                "{}/additions/{name}",
                artifact_path(project, repository, &row.digest)
            );
            (
                (*name).to_owned(),
                AdditionLink {
                    href,
                    absolute: false,
                },
            )
        })
        .collect();
    let references = v
        .references
        .iter()
        .map(|r| Reference {
            parent_id: row.id.0,
            child_id: r.child_id.map_or(0, |id| id.0),
            child_digest: r.child.digest.to_string(),
            platform: r.child.platform.clone(),
            annotations: r.child.annotations.clone(),
            urls: r.child.urls.clone(),
        })
        .collect();
    let opts = options(query);
    let accessories = v
        .accessories
        .iter()
        .map(|a| accessory_json(a, &row.repository_name, &row.digest))
        .collect();
    Artifact {
        id: row.id.0,
        kind: v.kind.clone(),
        media_type: row.media_type.clone(),
        manifest_media_type: row.manifest_media_type.clone(),
        artifact_type: row.artifact_type.clone().unwrap_or_default(),
        project_id: v.project_id.0,
        repository_id: row.repository_id.0,
        repository_name: row.repository_name.clone(),
        digest: row.digest.clone(),
        size: row.size,
        icon: super::icons::icon_for(&v.kind).to_owned(),
        push_time: rfc3339_ms(row.push_time),
        pull_time: pull_time(row.pull_time),
        extra_attrs: parse_json(row.extra_attrs.as_deref()),
        annotations: parse_json(row.annotations.as_deref()),
        references,
        addition_links,
        tags: opts.with_tag.then(|| {
            v.tags
                .iter()
                .map(|t| crate::models::Tag {
                    immutable: v.immutable_tags.contains(&t.id),
                    ..super::tags::tag_json(t)
                })
                .collect()
        }),
        labels: opts
            .with_label
            .then(|| v.labels.iter().map(label_json).collect()),
        accessories: opts.with_accessory.then_some(accessories),
        scan_overview: flag(query, "with_scan_overview", false).then(|| json!({})),
    }
}

/// `Accessory` of the swagger file, of the artifact `subject_digest` in `repository`.
fn accessory_json(a: &AccessoryView, repository: &str, subject_digest: &str) -> Accessory {
    Accessory {
        id: a.row.id.0,
        artifact_id: a.row.id.0,
        subject_artifact_id: a.subject_id.0,
        subject_artifact_repo: repository.to_owned(),
        subject_artifact_digest: subject_digest.to_owned(),
        size: a.row.size,
        digest: a.row.digest.clone(),
        kind: a.row.accessory_type.clone().unwrap_or_default(),
        icon: String::new(),
        creation_time: rfc3339_ms(a.row.push_time),
    }
}

fn artifact_query(
    query: &BTreeMap<String, String>,
    paging: &Paging,
) -> Result<ArtifactQuery, ApiError> {
    let mut filter = ArtifactFilter::default();
    if let Some(q) = query.get("q") {
        for (key, value) in parse(q)? {
            match (key.as_str(), value) {
                ("tags", QValue::Exact(v)) if v == "*" => filter.tags = TagFilter::Tagged,
                ("tags", QValue::Exact(v)) if v == "nil" => filter.tags = TagFilter::Untagged,
                ("tags", QValue::Exact(v)) => filter.tags = TagFilter::Exact(v),
                ("tags", QValue::Fuzzy(v)) => filter.tags = TagFilter::Contains(v),
                ("labels", QValue::AllOf(ids) | QValue::AnyOf(ids)) => {
                    for id in ids {
                        filter.labels.push(id.parse().map_err(|_| {
                            ApiError::bad_request("label ids in q must be integers")
                        })?);
                    }
                }
                ("labels", QValue::Exact(id)) => filter.labels.push(
                    id.parse()
                        .map_err(|_| ApiError::bad_request("label ids in q must be integers"))?,
                ),
                ("base", QValue::Exact(v)) if v == "*" => filter.with_children = true,
                ("digest", QValue::Exact(v)) => filter.digest = Some(v),
                ("media_type", QValue::Exact(v)) => filter.media_type = Some(v),
                ("artifact_type", QValue::Exact(v)) => filter.artifact_type = Some(v),
                ("push_time", QValue::Range(from, to)) => {
                    filter.pushed_from = from.as_deref().map(time_ms).transpose()?;
                    filter.pushed_to = to.as_deref().map(time_ms).transpose()?;
                }
                _ => {}
            }
        }
    }
    let mut order = ArtifactOrder::PushTimeDesc;
    if let Some(sort) = query.get("sort") {
        for key in sort.split(',') {
            order = match key {
                "push_time" => ArtifactOrder::PushTimeAsc,
                "-push_time" => ArtifactOrder::PushTimeDesc,
                "pull_time" => ArtifactOrder::PullTimeAsc,
                "-pull_time" => ArtifactOrder::PullTimeDesc,
                _ => continue,
            };
            break;
        }
    }
    Ok(ArtifactQuery {
        filter,
        order,
        offset: paging.offset(),
        limit: paging.size,
    })
}

/// `GET .../repositories/{repository_name}/artifacts`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts", tag = "artifact", operation_id = "listArtifacts",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path)),
    responses((status = 200, body = Vec<Artifact>), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    let paging = Paging::from_query(&query)?;
    let q = artifact_query(&query, &paging)?;
    let (views, total) = state
        .artifacts
        .list_artifacts(
            &who,
            &ProjectKey::Name(project),
            Some(&repository),
            &q,
            options(&query),
        )
        .await?;
    let items: Vec<Artifact> = views.iter().map(|v| artifact_json(v, &query)).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET /projects/{project_name_or_id}/artifacts`: every repository's artifacts.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/artifacts", tag = "project", operation_id = "listArtifactsOfProject",
    params(("project_name_or_id" = String, Path)),
    responses((status = 200, body = Vec<Artifact>), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn list_project(
    state: State,
    Caller(who): Caller,
    Path(project): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let key = super::projects::project_key(&project, &headers);
    let paging = Paging::from_query(&query)?;
    let q = artifact_query(&query, &paging)?;
    let (views, total) = state
        .artifacts
        .list_artifacts(&who, &key, None, &q, options(&query))
        .await?;
    let items: Vec<Artifact> = views.iter().map(|v| artifact_json(v, &query)).collect();
    Ok(paging.respond(&uri, total, &items))
}

/// `GET .../artifacts/{reference}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}", tag = "artifact", operation_id = "getArtifact",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 200, body = Artifact), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn get(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let view = state
        .artifacts
        .get_artifact(&who, &at, options(&query))
        .await?;
    Ok(json(&artifact_json(&view, &query)))
}

/// `DELETE .../artifacts/{reference}`.
#[utoipa::path(delete, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}", tag = "artifact", operation_id = "deleteArtifact",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 200), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors), (status = 412, body = Errors)))]
pub(crate) async fn delete(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    state.artifacts.delete_artifact(&who, &at).await?;
    Ok(empty(StatusCode::OK))
}

/// `POST .../repositories/{repository_name}/artifacts?from=project/repo:tag`.
#[utoipa::path(post, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts", tag = "artifact", operation_id = "CopyArtifact",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path)),
    responses((status = 201), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn copy(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    let Some(from) = query.get("from") else {
        return Err(super::bad_input(
            &who,
            "the query parameter from is required".into(),
        ));
    };
    let digest = state
        .artifacts
        .copy_artifact(&who, &ProjectKey::Name(project), &repository, from)
        .await?;
    // As Harbor: the request path decoded once, then the reference `from` named.
    let path = percent_encoding::percent_decode_str(uri.path().trim_end_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let reference = match from.split_once('@') {
        Some(_) => digest,
        None => from
            .rsplit_once(':')
            .map_or(digest, |(_, tag)| tag.to_owned()),
    };
    Ok(created(format!("{path}/{reference}")))
}

/// `GET .../artifacts/{reference}/accessories`: a page of them, `q=type=...` filtering.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/accessories", tag = "artifact", operation_id = "listAccessories",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path)),
    responses((status = 200, body = Vec<Accessory>), (status = 400, body = Errors), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn accessories(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference)): Path<(String, String, String)>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let paging = Paging::from_query(&query)?;
    let kind = exact_term(&query, "type")?;
    let subject = state
        .artifacts
        .get_artifact(&who, &at, options(&BTreeMap::new()))
        .await?;
    let all: Vec<Accessory> = state
        .artifacts
        .list_accessories(&who, &at)
        .await?
        .iter()
        .filter(|a| kind.is_none() || a.row.accessory_type == kind)
        .map(|a| accessory_json(a, &subject.row.repository_name, &subject.row.digest))
        .collect();
    Ok(paging.respond_slice(&uri, &all))
}

/// `GET .../artifacts/{reference}/additions/{addition}`.
#[utoipa::path(get, path = "/api/v2.0/projects/{project_name_or_id}/repositories/{repository_name}/artifacts/{reference}/additions/{addition}", tag = "artifact", operation_id = "getAddition",
    params(("project_name_or_id" = String, Path), ("repository_name" = String, Path), ("reference" = String, Path), ("addition" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = Errors), (status = 403, body = Errors), (status = 404, body = Errors)))]
pub(crate) async fn addition(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference, addition)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    let name = addition.to_ascii_lowercase();
    match name.as_str() {
        "build_history" => {
            let history = state.artifacts.build_history(&who, &at).await?;
            Ok(json(&history))
        }
        "values.yaml" | "readme.md" | "dependencies" => {
            let found = state.artifacts.chart_addition(&who, &at, &name).await?;
            let mut resp = found.body.into_response();
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(found.content_type),
            );
            Ok(resp)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("addition {addition} is not available for this artifact"),
        )),
    }
}
