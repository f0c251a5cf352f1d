use axum::body::Body;
use axum::response::{IntoResponse, Response};
use berth_auth::Action;
use berth_core::CoreError;
use berth_types::{Reference, RepoName};
use http::{StatusCode, header};

use super::Req;
use crate::OciError;
use crate::headers::{DOCKER_CONTENT_DIGEST, OCI_SUBJECT};

fn reference_for_read(raw: &str) -> Result<Reference, OciError> {
    raw.parse().map_err(|_| {
        if raw.contains(':') {
            OciError::digest_invalid(raw)
        } else {
            OciError::from(CoreError::ManifestUnknown)
        }
    })
}

pub async fn get(
    req: Req,
    name: RepoName,
    raw: &str,
    with_body: bool,
) -> Result<Response, OciError> {
    let reference = reference_for_read(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Pull)
        .await?;
    let m = req
        .state
        .registry
        .manifest(&permit, &name, &reference, with_body)
        .await?;
    let digest = m.digest.to_string();
    let etag = format!("\"{digest}\"");
    let not_modified = req
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == digest));
    let status = if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let len = m.content.len();
    let body = if with_body && !not_modified {
        Body::from(m.content)
    } else {
        Body::empty()
    };
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, m.media_type),
            (header::ETAG, etag),
            (
                header::HeaderName::from_static(DOCKER_CONTENT_DIGEST),
                digest,
            ),
        ],
        body,
    )
        .into_response();
    if !not_modified {
        res.headers_mut().insert(header::CONTENT_LENGTH, len.into());
    }
    Ok(res)
}

pub async fn put(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let reference: Reference = raw.parse().map_err(|_| {
        if raw.contains(':') {
            OciError::digest_invalid(raw)
        } else {
            OciError::new(
                StatusCode::BAD_REQUEST,
                "TAG_INVALID",
                "manifest tag did not match URI",
            )
        }
    })?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    let limit = req.state.registry.options().max_manifest_bytes;
    let content_type = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(req.body, limit + 1)
        .await
        .map_err(|_| OciError::from(CoreError::ManifestTooLarge { limit }))?;
    let pushed = req
        .state
        .registry
        .push_manifest(&permit, &name, &reference, content_type.as_deref(), body)
        .await?;
    let mut res = (
        StatusCode::CREATED,
        [
            (
                header::LOCATION,
                format!("/v2/{name}/manifests/{}", pushed.digest),
            ),
            (
                header::HeaderName::from_static(DOCKER_CONTENT_DIGEST),
                pushed.digest.to_string(),
            ),
        ],
    )
        .into_response();
    if let Some(subject) = pushed.subject
        && let Ok(v) = subject.to_string().parse()
    {
        res.headers_mut().insert(OCI_SUBJECT, v);
    }
    Ok(res)
}

pub async fn delete(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let reference = reference_for_read(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Delete)
        .await?;
    req.state
        .registry
        .delete_manifest(&permit, &name, &reference)
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
