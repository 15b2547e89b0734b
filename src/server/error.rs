//! Every error the HTTP server answers with, turned into a response in one place: Prometheus' shape
//! `{"status":"error","errorType":"…","error":"…"}` with the matching status code. Messages never hold secrets.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A request the server refuses or cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is missing or malformed; the message names it.
    #[error("{param}: {message}")]
    BadParam { param: String, message: String },
    /// The group, rule or alert asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Basic auth missing or wrong.
    #[error("unauthorized")]
    Unauthorized,
    /// An auth key missing or wrong.
    #[error("the given authKey is invalid for {0}")]
    BadAuthKey(String),
    /// The path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The operation cannot run now (no reload manager, not ready).
    #[error("{0}")]
    Unavailable(String),
    /// The operation was tried and failed.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_param(param: &str, message: impl Into<String>) -> Self {
        ApiError::BadParam {
            param: param.to_string(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized | ApiError::BadAuthKey(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Prometheus' `errorType`.
    fn error_type(&self) -> &'static str {
        match self {
            ApiError::BadParam { .. } => "bad_data",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "bad_data",
            ApiError::Unauthorized | ApiError::BadAuthKey(_) => "unauthorized",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "status": "error",
            "errorType": self.error_type(),
            "error": self.to_string(),
        });
        let mut resp = (self.status(), json_bytes(&body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self == ApiError::Unauthorized {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"tocsin\""),
            );
        }
        resp
    }
}

/// Serialises `value` as JSON bytes; serialisation of the API's own types cannot fail (string keys, no
/// non-finite floats), so a failure becomes an internal-error body rather than a panic.
pub fn json_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|e| {
        format!(r#"{{"status":"error","errorType":"internal","error":"cannot encode: {e}"}}"#)
            .into_bytes()
    })
}

/// A `200` JSON response.
pub fn json_response(body: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
