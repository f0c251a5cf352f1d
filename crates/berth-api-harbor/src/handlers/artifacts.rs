//! `/projects/{project_name}/repositories/{repository_name}/artifacts...` and
//! `/projects/{project_name_or_id}/artifacts`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use berth_core::accounts::ProjectKey;
use berth_core::artifacts::{ArtifactOptions, ArtifactQuery, ArtifactView};
use berth_meta::{ArtifactFilter, ArtifactOrder, TagFilter};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Value, json};

use super::labels::label_json;
use super::repositories::{artifact_at, repository_param};
use super::{created, empty, json};
use crate::identity::Caller;
use crate::paging::Paging;
use crate::query::{QValue, parse, time_ms};
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
pub(crate) fn artifact_json(v: &ArtifactView, query: &BTreeMap<String, String>) -> Value {
    let row = &v.row;
    let (project, repository) = row
        .repository_name
        .split_once('/')
        .unwrap_or(("", row.repository_name.as_str()));
    let mut additions = serde_json::Map::new();
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
    for name in names {
        let href = format!(
            "{}/additions/{name}",
            artifact_path(project, repository, &row.digest)
        );
        additions.insert((*name).into(), json!({ "href": href, "absolute": false }));
    }
    let mut body = json!({
        "id": row.id.0,
        "type": v.kind,
        "media_type": row.media_type,
        "manifest_media_type": row.manifest_media_type,
        "artifact_type": row.artifact_type.clone().unwrap_or_default(),
        "project_id": v.project_id.0,
        "repository_id": row.repository_id.0,
        "repository_name": row.repository_name,
        "digest": row.digest,
        "size": row.size,
        "icon": super::icons::icon_for(&v.kind),
        "push_time": rfc3339_ms(row.push_time),
        "pull_time": pull_time(row.pull_time),
        "extra_attrs": parse_json(row.extra_attrs.as_deref()),
        "annotations": parse_json(row.annotations.as_deref()),
        "references": v.references.iter().map(|r| {
            let mut reference = json!({
                "parent_id": row.id.0,
                "child_id": r.child_id.map_or(0, |id| id.0),
                "child_digest": r.child.digest.to_string(),
            });
            for (key, value) in [("platform", &r.child.platform), ("annotations", &r.child.annotations), ("urls", &r.child.urls)] {
                if let (Some(value), Value::Object(map)) = (value, &mut reference) {
                    map.insert(key.into(), value.clone());
                }
            }
            reference
        }).collect::<Vec<_>>(),
        "addition_links": additions,
    });
    let Value::Object(map) = &mut body else {
        return body;
    };
    let opts = options(query);
    if opts.with_tag {
        let tags: Vec<Value> = v.tags.iter().map(super::tags::tag_json).collect();
        map.insert("tags".into(), Value::Array(tags));
    }
    if opts.with_label {
        map.insert(
            "labels".into(),
            Value::Array(v.labels.iter().map(label_json).collect()),
        );
    }
    if opts.with_accessory {
        let accessories: Vec<Value> = v
            .accessories
            .iter()
            .map(|a| {
                json!({
                    "id": a.row.id.0,
                    "artifact_id": a.row.id.0,
                    "subject_artifact_id": a.subject_id.0,
                    "subject_artifact_repo": row.repository_name,
                    "subject_artifact_digest": row.digest,
                    "size": a.row.size,
                    "digest": a.row.digest,
                    "type": a.row.accessory_type.clone().unwrap_or_default(),
                    "icon": "",
                    "creation_time": rfc3339_ms(a.row.push_time),
                })
            })
            .collect();
        map.insert("accessories".into(), Value::Array(accessories));
    }
    if flag(query, "with_scan_overview", false) {
        map.insert("scan_overview".into(), json!({}));
    }
    body
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
    let items: Vec<Value> = views.iter().map(|v| artifact_json(v, &query)).collect();
    Ok(paging.respond(&uri, total, Value::Array(items)))
}

/// `GET /projects/{project_name_or_id}/artifacts`: every repository's artifacts.
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
    let items: Vec<Value> = views.iter().map(|v| artifact_json(v, &query)).collect();
    Ok(paging.respond(&uri, total, Value::Array(items)))
}

/// `GET .../artifacts/{reference}`.
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
pub(crate) async fn copy(
    state: State,
    Caller(who): Caller,
    Path((project, repository)): Path<(String, String)>,
    uri: Uri,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let repository = repository_param(&repository)?;
    let Some(from) = query.get("from") else {
        return Err(ApiError::bad_request(
            "the query parameter from is required",
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

/// `GET .../artifacts/{reference}/additions/{addition}`.
pub(crate) async fn addition(
    state: State,
    Caller(who): Caller,
    Path((project, repository, reference, addition)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let at = artifact_at(project, &repository, &reference)?;
    if !addition.eq_ignore_ascii_case("build_history") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("addition {addition} is not available for this artifact"),
        ));
    }
    let history = state.artifacts.build_history(&who, &at).await?;
    Ok(json(&history).into_response())
}
