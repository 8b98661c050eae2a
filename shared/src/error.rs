//! The one API error type: every failure a handler can meet, its status, its stable code,
//! and the one conversion to a JSON response.
//!
//! Internal causes are logged here, with their whole chain, and never sent to the client.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::ValidationError;
use crate::metrics;
use crate::store::StoreError;

/// What `Retry-After` says on a 503 or a 409 `idempotency_in_progress`: a database restart or
/// failover takes seconds, and a request in progress finishes in well under one.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// A boxed cause, kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Everything a request can fail with. 4xx variants are the client's; 5xx are ours.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error("method not allowed; this route allows {allowed}")]
    MethodNotAllowed { allowed: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("request body must be sent as Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyInProgress,
    #[error("the service is temporarily unavailable; try again shortly")]
    ServiceUnavailable(#[source] Cause),
    #[error("internal server error")]
    Internal(#[source] Cause),
}

/// `{"error": {"code": "…", "message": "…"}}`: the shape of every error response.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ApiError {
    /// Every code [`ApiError::code`] returns: the OpenAPI document lists exactly these.
    pub const CODES: &'static [&'static str] = &[
        "malformed_json",
        "validation_failed",
        "not_found",
        "unauthorized",
        "method_not_allowed",
        "payload_too_large",
        "unsupported_media_type",
        "idempotency_key_reused",
        "idempotency_in_progress",
        "service_unavailable",
        "internal",
    ];

    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_) | Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IdempotencyInProgress => StatusCode::CONFLICT,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, documented code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::Validation(_) => "validation_failed",
            Self::NotFound(_) => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::ServiceUnavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// Logs a server-side failure with its cause; the client only ever sees the generic message.
    /// Every answer "the database is away" (REST, WebSocket, authorizer) passes here once,
    /// so it is also where a `service_unavailable` is counted.
    pub fn log_cause(&self) {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::ServiceUnavailable(cause) => {
                metrics::database_unavailable();
                tracing::warn!(error = ?cause, "database unavailable")
            }
            _ => {}
        }
    }

    /// Seconds a client should wait before trying again, for the errors a retry cures.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::ServiceUnavailable(_) | Self::IdempotencyInProgress => Some(RETRY_AFTER_SECONDS),
            _ => None,
        }
    }

    /// The response a client sees. Server-side failures are logged with their cause here,
    /// once, and answered with the generic message only.
    pub fn into_response(self) -> Response<Body> {
        self.log_cause();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        let mut response = json_response(self.status_code(), &body);
        if let Self::MethodNotAllowed { allowed } = &self {
            if let Ok(value) = HeaderValue::from_str(allowed) {
                response.headers_mut().insert(header::ALLOW, value);
            }
        }
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::Validation(error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => Self::ServiceUnavailable(cause.into()),
            StoreError::Database(cause) => Self::Internal(cause.into()),
        }
    }
}

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    // Serializing our own plain types cannot fail; if it ever did, an empty object beats a panic.
    let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(Body::Text(json));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn internal_errors_hide_their_cause_from_the_client() {
        let response =
            ApiError::Internal("password=hunter2 leaked in a driver error".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(&response);
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(body["error"]["message"], "internal server error");
        assert!(!body.to_string().contains("hunter2"));
    }

    /// One of each variant; the match makes a new variant fail to compile until it is added.
    fn one_of_each() -> Vec<ApiError> {
        let all = vec![
            ApiError::MalformedJson("x".into()),
            ApiError::Validation("x".into()),
            ApiError::NotFound("goal"),
            ApiError::Unauthorized,
            ApiError::MethodNotAllowed {
                allowed: "GET".into(),
            },
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::IdempotencyKeyReused,
            ApiError::IdempotencyInProgress,
            ApiError::ServiceUnavailable("x".into()),
            ApiError::Internal("x".into()),
        ];
        for error in &all {
            match error {
                ApiError::MalformedJson(_)
                | ApiError::Validation(_)
                | ApiError::NotFound(_)
                | ApiError::Unauthorized
                | ApiError::MethodNotAllowed { .. }
                | ApiError::PayloadTooLarge { .. }
                | ApiError::UnsupportedMediaType
                | ApiError::IdempotencyKeyReused
                | ApiError::IdempotencyInProgress
                | ApiError::ServiceUnavailable(_)
                | ApiError::Internal(_) => {}
            }
        }
        all
    }

    #[test]
    fn codes_lists_each_variants_code_once() {
        let codes: Vec<_> = one_of_each().iter().map(ApiError::code).collect();
        assert_eq!(codes, ApiError::CODES);
    }

    #[test]
    fn only_errors_a_retry_cures_say_when_to_retry() {
        for error in one_of_each() {
            let retry = error.retry_after();
            let code = error.code();
            let response = error.into_response();
            let header = response.headers().get(header::RETRY_AFTER);
            match code {
                "service_unavailable" | "idempotency_in_progress" => {
                    assert_eq!(retry, Some(RETRY_AFTER_SECONDS), "{code}");
                    assert_eq!(header.unwrap(), &RETRY_AFTER_SECONDS.to_string(), "{code}");
                }
                _ => assert!(retry.is_none() && header.is_none(), "{code}"),
            }
        }
    }

    #[test]
    fn method_not_allowed_names_the_allowed_methods() {
        let response = ApiError::MethodNotAllowed {
            allowed: "GET, POST".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, POST");
        assert_eq!(body_of(&response)["error"]["code"], "method_not_allowed");
    }
}
