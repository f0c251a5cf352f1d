use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use berth_auth::{Action, Resource};
use berth_core::Page;
use berth_types::RepoName;
use http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::json;

use super::{Params, Req};
use crate::headers::OCI_FILTERS_APPLIED;
use crate::{OciError, OciState};

fn page_size(params: &Params) -> Result<Option<usize>, OciError> {
    match params.get("n") {
        None => Ok(None),
        Some(n) => n.parse().map(Some).map_err(|_| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "PAGINATION_NUMBER_INVALID",
                "invalid number of results requested",
            )
        }),
    }
}

#[derive(Serialize)]
struct TagList<'a> {
    name: &'a str,
    tags: &'a [String],
}

#[derive(Serialize)]
struct Catalog<'a> {
    repositories: &'a [String],
}

/// A JSON listing with a `Link` to the next page when the page was cut short.
fn listing(body: impl Serialize, page: &Page, base: &str, n: Option<usize>) -> Response {
    let body = match serde_json::to_vec(&body) {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut res = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let (true, Some(n), Some(last)) = (page.more, n, page.items().last())
        && let Ok(v) = format!("<{base}?last={last}&n={n}>; rel=\"next\"").parse()
    {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

/// `GET /v2/<name>/tags/list?n=&last=`.
pub async fn tags(req: Req, name: RepoName) -> Result<Response, OciError> {
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Pull)
        .await?;
    let n = page_size(&req.params)?;
    let page = req
        .state
        .registry
        .tags(&permit, &name, n, req.param("last"))
        .await?;
    let body = TagList {
        name: name.as_str(),
        tags: page.items(),
    };
    Ok(listing(body, &page, &format!("/v2/{name}/tags/list"), n))
}

/// `GET /v2/_catalog?n=&last=`.
pub async fn catalog(
    State(state): State<Arc<OciState>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let permit = state
            .permit(&headers, Resource::Catalog, Action::Pull)
            .await?;
        let n = page_size(&params)?;
        let last = params.get("last").map(String::as_str);
        let page = state.registry.catalog(&permit, n, last).await?;
        let body = Catalog {
            repositories: page.items(),
        };
        Ok::<_, OciError>(listing(body, &page, "/v2/_catalog", n))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v2/<name>/referrers/<digest>?artifactType=`.
pub async fn referrers(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let subject = super::blob::digest(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Pull)
        .await?;
    let filter = req.param("artifactType").filter(|s| !s.is_empty());
    let rows = req
        .state
        .registry
        .referrers(&permit, &name, &subject, filter)
        .await?;
    let manifests: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|r| {
            let mut d = json!({ "mediaType": r.media_type, "digest": r.digest.to_string(), "size": r.size });
            if let Some(t) = r.artifact_type {
                d["artifactType"] = json!(t);
            }
            if let Some(a) = r.annotations.and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok()) {
                d["annotations"] = a;
            }
            d
        })
        .collect();
    let body = json!({
        "schemaVersion": 2,
        "mediaType": berth_types::media_type::OCI_INDEX,
        "manifests": manifests,
    });
    let mut res = (
        [(header::CONTENT_TYPE, berth_types::media_type::OCI_INDEX)],
        body.to_string(),
    )
        .into_response();
    if filter.is_some() {
        res.headers_mut().insert(
            OCI_FILTERS_APPLIED,
            http::HeaderValue::from_static("artifactType"),
        );
    }
    Ok(res)
}
