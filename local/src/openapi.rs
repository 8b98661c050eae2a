//! `GET /openapi.json`: the committed OpenAPI 3.1 document of the REST API, served without a
//! key. A test checks it against the route table, the error codes and the domain's limits.

use axum::http::{request::Parts, Method, StatusCode};
use goal_tracker::error::ApiError;
use lambda_http::{Body, Response};

/// The document, as committed at the repository root.
pub const DOCUMENT: &str = include_str!("../../openapi.json");
/// Where the gateway serves it.
pub const PATH: &str = "/openapi.json";

/// The answer for [`PATH`], or `None` for any other path.
pub fn serve(parts: &Parts) -> Option<Result<Response<Body>, ApiError>> {
    if parts.uri.path() != PATH {
        return None;
    }
    if parts.method != Method::GET {
        return Some(Err(ApiError::MethodNotAllowed {
            allowed: "GET".into(),
        }));
    }
    let mut response = Response::new(Body::Text(DOCUMENT.to_owned()));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Some(Ok(response))
}
