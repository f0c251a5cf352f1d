use axum::response::{IntoResponse, Response};
use berth_auth::Action;
use berth_core::CoreError;
use berth_types::{Digest, RepoName, UploadId};
use http::{HeaderName, StatusCode, header};
use http_body::Body as _;

use super::Req;
use super::blob::digest;
use crate::OciError;
use crate::headers::{self, DOCKER_CONTENT_DIGEST, DOCKER_UPLOAD_UUID};

fn upload_id(raw: &str) -> Result<UploadId, OciError> {
    raw.parse()
        .map_err(|_| OciError::from(CoreError::BlobUploadUnknown))
}

fn created(name: &RepoName, digest: &Digest) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/v2/{name}/blobs/{digest}")),
            (
                HeaderName::from_static(DOCKER_CONTENT_DIGEST),
                digest.to_string(),
            ),
        ],
    )
        .into_response()
}

fn in_progress(status: StatusCode, name: &RepoName, id: &UploadId, size: u64) -> Response {
    (
        status,
        [
            (header::LOCATION, format!("/v2/{name}/blobs/uploads/{id}")),
            (header::RANGE, headers::progress(size)),
            (HeaderName::from_static(DOCKER_UPLOAD_UUID), id.to_string()),
        ],
    )
        .into_response()
}

fn content_range(req: &Req) -> Result<Option<berth_core::ContentRange>, OciError> {
    headers::content_range(&req.headers).map_err(|()| {
        OciError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UPLOAD_INVALID",
            "malformed Content-Range",
        )
    })
}

/// `POST /v2/<name>/blobs/uploads/`: a mount, a monolithic upload, or a new session.
pub async fn start(req: Req, name: RepoName) -> Result<Response, OciError> {
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    let registry = &req.state.registry;
    if let Some(raw) = req.param("mount") {
        let mount = digest(raw)?;
        // A mount needs a source the caller may read (pull there, or a public project), or
        // nothing could stop one repository's content from leaking into another. Without
        // `from`, any repository holding the blob that the caller may read will do. No such
        // source, or a `from` that is not a valid name: an upload instead, as the spec allows.
        let accounts = &req.state.accounts;
        let who = permit.identity();
        let source = match req.param("from") {
            None => accounts.mount_source_for(who, &mount).await?,
            Some(f) => match f.parse::<RepoName>() {
                Ok(from) => accounts.mount_source(who, &from).await?.map(|p| (from, p)),
                Err(_) => None,
            },
        };
        if let Some((from, from_permit)) = &source
            && registry
                .mount_blob(&permit, &name, &mount, Some((from, from_permit)))
                .await?
                .is_some()
        {
            return Ok(created(&name, &mount));
        }
    } else if let Some(raw) = req.param("digest") {
        let digest = digest(raw)?;
        registry
            .upload_whole(&permit, &name, &digest, Req::stream(req.body))
            .await?;
        return Ok(created(&name, &digest));
    }
    let id = registry.start_upload(&permit, &name).await?;
    Ok(in_progress(StatusCode::ACCEPTED, &name, &id, 0))
}

/// `GET /v2/<name>/blobs/uploads/<id>`: how far the session is.
pub async fn status(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let id = upload_id(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    let state = req.state.registry.upload_state(&permit, &name, &id).await?;
    Ok(in_progress(StatusCode::NO_CONTENT, &name, &id, state.size))
}

/// `PATCH /v2/<name>/blobs/uploads/<id>`: one chunk, or a streamed rest of the blob.
pub async fn patch(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let id = upload_id(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    let range = content_range(&req)?;
    let registry = req.state.registry.clone();
    let result = registry
        .upload_chunk(&permit, &name, &id, range, Req::stream(req.body))
        .await;
    match result {
        Ok(state) => Ok(in_progress(StatusCode::ACCEPTED, &name, &id, state.size)),
        Err(e @ CoreError::RangeInvalid { .. }) => Err(OciError::from(e)
            .with_header(header::LOCATION, format!("/v2/{name}/blobs/uploads/{id}"))),
        Err(e) => Err(e.into()),
    }
}

/// `PUT /v2/<name>/blobs/uploads/<id>?digest=`: the last chunk, if any, and the digest.
pub async fn complete(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let id = upload_id(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    let digest = digest(req.param("digest").unwrap_or_default())?;
    let range = content_range(&req)?;
    let body = if req.body.is_end_stream() {
        None
    } else {
        Some(Req::stream(req.body))
    };
    req.state
        .registry
        .complete_upload(&permit, &name, &id, &digest, range, body)
        .await?;
    Ok(created(&name, &digest))
}

/// `DELETE /v2/<name>/blobs/uploads/<id>`: cancels the session.
pub async fn cancel(req: Req, name: RepoName, raw: &str) -> Result<Response, OciError> {
    let id = upload_id(raw)?;
    let permit = req
        .state
        .repo_permit(&req.headers, &name, Action::Push)
        .await?;
    req.state
        .registry
        .cancel_upload(&permit, &name, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
