//! The one mapping from registry errors to the spec's error JSON and status codes.

use axum::response::{IntoResponse, Response};
use berth_core::CoreError;
use http::{HeaderName, HeaderValue, StatusCode};

use crate::headers;

/// An error as a `/v2` client sees it:
/// `{"errors":[{"code":"...","message":"...","detail":...}]}` with a status.
#[derive(Debug)]
pub struct OciError {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<serde_json::Value>,
    headers: Vec<(HeaderName, String)>,
}

impl OciError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> OciError {
        OciError {
            status,
            code,
            message: message.into(),
            detail: None,
            headers: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> OciError {
        self.detail = Some(detail);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> OciError {
        self.headers.push((name, value));
        self
    }

    pub fn name_invalid(name: &str) -> OciError {
        let shown: String = name.chars().take(300).collect();
        OciError::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            "invalid repository name",
        )
        .with_detail(serde_json::json!({ "name": shown }))
    }

    pub fn not_found() -> OciError {
        OciError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint")
    }

    pub fn digest_invalid(raw: &str) -> OciError {
        let shown: String = raw.chars().take(200).collect();
        OciError::new(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "provided digest is invalid or unsupported",
        )
        .with_detail(serde_json::json!({ "digest": shown }))
    }

    pub fn unsupported(message: &str) -> OciError {
        OciError::new(StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED", message)
    }

    pub fn unauthorized() -> OciError {
        OciError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "authentication required",
        )
    }

    /// An access decision could not be made (its cause is logged where it happened).
    pub fn unavailable() -> OciError {
        OciError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "authorization is unavailable, try again",
        )
    }

    pub fn denied() -> OciError {
        OciError::new(
            StatusCode::FORBIDDEN,
            "DENIED",
            "requested access to the resource is denied",
        )
    }
}

impl From<CoreError> for OciError {
    fn from(e: CoreError) -> OciError {
        use StatusCode as S;
        let msg = e.to_string();
        match e {
            CoreError::BlobUnknown => OciError::new(S::NOT_FOUND, "BLOB_UNKNOWN", msg),
            CoreError::BlobUploadUnknown => OciError::new(S::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN", msg),
            CoreError::BlobUploadInvalid(_) | CoreError::BodyIncomplete(_) => {
                OciError::new(S::BAD_REQUEST, "BLOB_UPLOAD_INVALID", msg)
            }
            CoreError::RangeInvalid { size } => {
                OciError::new(S::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID", msg)
                    .with_header(http::header::RANGE, headers::progress(size))
            }
            CoreError::RangeNotSatisfiable { size } => {
                OciError::new(S::RANGE_NOT_SATISFIABLE, "RANGE_INVALID", msg)
                    .with_header(http::header::CONTENT_RANGE, format!("bytes */{size}"))
            }
            CoreError::DigestInvalid(_) => OciError::new(S::BAD_REQUEST, "DIGEST_INVALID", msg),
            CoreError::SizeInvalid(_) => OciError::new(S::BAD_REQUEST, "SIZE_INVALID", msg),
            CoreError::ManifestInvalid(_) => OciError::new(S::BAD_REQUEST, "MANIFEST_INVALID", msg),
            CoreError::ManifestUnknown => OciError::new(S::NOT_FOUND, "MANIFEST_UNKNOWN", msg),
            CoreError::ManifestBlobUnknown(d) => {
                OciError::new(S::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN", msg)
                    .with_detail(serde_json::json!({ "digest": d.to_string() }))
            }
            CoreError::ManifestTooLarge { .. } => {
                OciError::new(S::PAYLOAD_TOO_LARGE, "REQUEST_ENTITY_TOO_LARGE", msg)
            }
            CoreError::NameUnknown => OciError::new(S::NOT_FOUND, "NAME_UNKNOWN", msg),
            CoreError::Unsupported(_) => OciError::new(S::METHOD_NOT_ALLOWED, "UNSUPPORTED", msg),
            CoreError::Denied | CoreError::Forbidden | CoreError::Refused(_) => OciError::denied(),
            CoreError::Unauthenticated => OciError::unauthorized(),
            CoreError::QuotaExceeded(_) => OciError::new(S::FORBIDDEN, "DENIED", msg),
            CoreError::NotFound(_) => OciError::new(S::NOT_FOUND, "NAME_UNKNOWN", msg),
            // An immutable tag (Harbor's 412 on /v2 too).
            CoreError::Precondition(_) => {
                OciError::new(S::PRECONDITION_FAILED, "PRECONDITION", msg)
            }
            CoreError::Conflict(_) | CoreError::Invalid(_) | CoreError::InUse(_) => {
                OciError::new(S::BAD_REQUEST, "UNSUPPORTED", msg)
            }
            CoreError::Storage(_) | CoreError::Meta(_) | CoreError::Internal(_) => {
                // The cause goes to the log, never to the client.
                tracing::error!(error = %msg, "internal error");
                OciError::new(S::INTERNAL_SERVER_ERROR, "UNKNOWN", "internal server error")
            }
        }
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let mut err = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(d) = self.detail {
            err["detail"] = d;
        }
        let body = serde_json::json!({ "errors": [err] }).to_string();
        let mut res = (
            self.status,
            [(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, v);
            }
        }
        res
    }
}
