//! Thin handlers: take the request apart, call `berth-core`, build the response.

pub mod base;
mod blob;
pub mod listing;
mod manifest;
pub mod token;
mod upload;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use berth_blob::ByteStream;
use futures::TryStreamExt;
use http::{HeaderMap, Method};

use crate::endpoint::{self, Endpoint};
use crate::{OciError, OciState};

pub(crate) type Params = HashMap<String, String>;

/// Request details every handler may need.
pub(crate) struct Req {
    pub state: Arc<OciState>,
    pub headers: HeaderMap,
    pub params: Params,
    pub body: Body,
}

impl Req {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The request body as a byte stream.
    pub fn stream(body: Body) -> ByteStream {
        Box::pin(body.into_data_stream().map_err(std::io::Error::other))
    }
}

/// Routes `/v2/<name>/...` by method and endpoint.
pub async fn dispatch(
    State(state): State<Arc<OciState>>,
    method: Method,
    Path(rest): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let has_body = matches!(method, Method::POST | Method::PUT | Method::PATCH);
    let endpoint = match endpoint::parse(&rest) {
        Ok(e) => e,
        Err(e) => return close_if_unread(e.into_response(), has_body),
    };
    let req = Req {
        state,
        headers,
        params,
        body,
    };
    let result = match (endpoint, method) {
        (Endpoint::Manifest { name, reference }, Method::GET) => {
            manifest::get(req, name, &reference, true).await
        }
        (Endpoint::Manifest { name, reference }, Method::HEAD) => {
            manifest::get(req, name, &reference, false).await
        }
        (Endpoint::Manifest { name, reference }, Method::PUT) => {
            manifest::put(req, name, &reference).await
        }
        (Endpoint::Manifest { name, reference }, Method::DELETE) => {
            manifest::delete(req, name, &reference).await
        }
        (Endpoint::Blob { name, digest }, Method::GET) => blob::get(req, name, &digest, true).await,
        (Endpoint::Blob { name, digest }, Method::HEAD) => {
            blob::get(req, name, &digest, false).await
        }
        (Endpoint::Blob { name, digest }, Method::DELETE) => blob::delete(req, name, &digest).await,
        (Endpoint::UploadStart { name }, Method::POST) => upload::start(req, name).await,
        (Endpoint::Upload { name, id }, Method::GET) => upload::status(req, name, &id).await,
        (Endpoint::Upload { name, id }, Method::PATCH) => upload::patch(req, name, &id).await,
        (Endpoint::Upload { name, id }, Method::PUT) => upload::complete(req, name, &id).await,
        (Endpoint::Upload { name, id }, Method::DELETE) => upload::cancel(req, name, &id).await,
        (Endpoint::Tags { name }, Method::GET) => listing::tags(req, name).await,
        (Endpoint::Referrers { name, digest }, Method::GET) => {
            listing::referrers(req, name, &digest).await
        }
        (_, _) => Err(OciError::unsupported("the operation is unsupported")),
    };
    match result {
        Ok(res) => res,
        Err(e) => close_if_unread(e.into_response(), has_body),
    }
}

/// An error may be answered before the request body was read; the connection then cannot
/// carry another request, and the client must be told so rather than find it closed.
fn close_if_unread(mut res: Response, has_body: bool) -> Response {
    if has_body {
        res.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    res
}
