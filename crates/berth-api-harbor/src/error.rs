//! Harbor's error JSON, `{"errors":[{"code","message"}]}`, mapped once from core errors.

use axum::response::{IntoResponse, Response};
use berth_core::CoreError;
use http::{HeaderValue, StatusCode, header};

/// An error answer of the Harbor API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "forbidden")
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> ApiError {
        use StatusCode as S;
        let msg = e.to_string();
        match e {
            CoreError::Unauthenticated => ApiError::unauthorized(),
            CoreError::Forbidden | CoreError::Denied => {
                ApiError::new(S::FORBIDDEN, "FORBIDDEN", "forbidden")
            }
            CoreError::NotFound(_) | CoreError::NameUnknown => {
                ApiError::new(S::NOT_FOUND, "NOT_FOUND", msg)
            }
            CoreError::Conflict(_) => ApiError::new(S::CONFLICT, "CONFLICT", msg),
            CoreError::Precondition(_) => {
                ApiError::new(S::PRECONDITION_FAILED, "PRECONDITION", msg)
            }
            CoreError::Invalid(_) => ApiError::bad_request(msg),
            CoreError::QuotaExceeded(_) => ApiError::new(S::FORBIDDEN, "DENIED", msg),
            CoreError::Refused(_) => ApiError::new(S::FORBIDDEN, "FORBIDDEN", msg),
            CoreError::InUse(_) => ApiError::new(
                S::PRECONDITION_FAILED,
                "VIOLATE_FOREIGN_KEY_CONSTRAINT",
                msg,
            ),
            other => {
                // The cause goes to the log, never to the client.
                tracing::error!(error = %other, "internal error");
                ApiError::new(S::INTERNAL_SERVER_ERROR, "UNKNOWN", "internal server error")
            }
        }
    }
}

impl From<berth_jobs::JobError> for ApiError {
    fn from(e: berth_jobs::JobError) -> ApiError {
        use StatusCode as S;
        use berth_jobs::JobError as J;
        match e {
            J::Invalid(m) => ApiError::bad_request(m),
            J::NotFound(m) => ApiError::new(S::NOT_FOUND, "NOT_FOUND", m),
            J::Conflict(m) => ApiError::new(S::CONFLICT, "CONFLICT", m),
            J::Unsupported(m) => ApiError::new(S::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", m),
            J::Core(e) => e.into(),
            J::Meta(e) => CoreError::from(e).into(),
            J::Stopped => CoreError::Internal("a job stopped".into()).into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = crate::models::Errors {
            errors: vec![crate::models::ErrorItem {
                code: self.code.to_owned(),
                message: self.message,
            }],
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let mut resp = (self.status, text).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        resp
    }
}
