//! `GET /openapi.json`: the committed OpenAPI 3.1 document of the REST API, served without a
//! key. A test checks it against the route table, the error codes and the domain's limits.

use axum::http::request::Parts;
use goal_tracker::error::ApiError;
use lambda_http::{Body, Response};

/// The document, as committed at the repository root.
pub const DOCUMENT: &str = include_str!("../../openapi.json");
/// Where the gateway serves it.
pub const PATH: &str = "/openapi.json";

/// The answer for [`PATH`], or `None` for any other path.
pub fn serve(parts: &Parts) -> Option<Result<Response<Body>, ApiError>> {
    crate::own_path(parts, PATH, "application/json", || DOCUMENT.to_owned())
}
