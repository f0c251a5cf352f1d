use axum::body::Body;
use axum::response::{IntoResponse, Response};
use berth_auth::Action;
use berth_types::{Digest, RepoName};
use http::{StatusCode, header};

use super::Req;
use crate::OciError;
use crate::headers::{self, DOCKER_CONTENT_DIGEST};

pub(crate) fn digest(raw: &str) -> Result<Digest, OciError> {
    raw.parse().map_err(|_| OciError::digest_invalid(raw))
}

pub async fn get(
    req: Req,
    name: RepoName,
    raw: &str,
    with_body: bool,
) -> Result<Response, OciError> {
    let digest = digest(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Pull)
        .await?;
    let range = headers::byte_range(&req.headers);
    let blob = req
        .state
        .registry
        .read_blob(&permit, &name, &digest, range, with_body)
        .await?;
    let (status, len) = match blob.range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len),
        None => (StatusCode::OK, blob.size),
    };
    let body = blob.body.map_or_else(Body::empty, Body::from_stream);
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::ETAG, format!("\"{digest}\"")),
            (
                header::HeaderName::from_static(DOCKER_CONTENT_DIGEST),
                digest.to_string(),
            ),
        ],
        body,
    )
        .into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_LENGTH, len.into());
    if let Some(r) = blob.range
        && let Ok(v) = format!("bytes {}-{}/{}", r.start, r.start + r.len - 1, blob.size).parse()
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

pub async fn delete(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let digest = digest(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Delete)
        .await?;
    req.state
        .registry
        .delete_blob(&permit, &name, &digest)
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
