//! CORS as the HTTP API's CORS configuration does it: only the configured origins
//! (`CORS_ALLOWED_ORIGINS`, comma-separated; never `*`), preflights answered by the gateway
//! itself before any authorizer runs, and the CORS headers added to every answer to an
//! allowed origin.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The local frontend's origins, unless `CORS_ALLOWED_ORIGINS` says otherwise.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://localhost:8080,http://127.0.0.1:8080";
/// The request headers a browser may send: the two key headers, the body's type, and the
/// idempotency key of a create.
pub const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key, x-api-key";
/// The methods the routes use.
pub const ALLOWED_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";
/// Response headers a script may read besides the simple ones.
pub const EXPOSED_HEADERS: &str = "idempotent-replayed, location, retry-after";
/// How long a browser may reuse a preflight answer.
pub const MAX_AGE_SECONDS: &str = "600";

/// The allowed origins, exactly as browsers send them (`scheme://host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// Parses a comma-separated list; `*` is refused, as is anything that is not an origin.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut origins = Vec::new();
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            anyhow::ensure!(
                origin != "*",
                "CORS_ALLOWED_ORIGINS is invalid: `*` is not allowed; list the frontend's origins"
            );
            let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/')
                && HeaderValue::from_str(origin).is_ok();
            anyhow::ensure!(
                valid,
                "CORS_ALLOWED_ORIGINS is invalid: {origin:?} is not an origin such as https://example.com"
            );
            origins.push(origin.to_owned());
        }
        Ok(Self { origins })
    }

    /// `CORS_ALLOWED_ORIGINS`, else [`DEFAULT_ALLOWED_ORIGINS`].
    pub fn from_env() -> anyhow::Result<Self> {
        Self::parse(
            &std::env::var("CORS_ALLOWED_ORIGINS")
                .unwrap_or_else(|_| DEFAULT_ALLOWED_ORIGINS.to_owned()),
        )
    }

    fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        self.origins
            .iter()
            .any(|allowed| allowed.as_bytes() == origin.as_bytes())
            .then(|| origin.clone())
    }
}

/// The middleware: answers preflights, decorates answers to allowed origins.
pub async fn layer(
    State(cors): State<std::sync::Arc<Cors>>,
    request: Request,
    next: Next,
) -> Response {
    let origin = cors.allowed_origin(request.headers());
    let is_preflight = request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if is_preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if is_preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE_SECONDS),
            );
        } else {
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_or_a_non_origin_is_refused() {
        for list in ["*", "http://a.test,*", "localhost:8080", "https://a.test/"] {
            assert!(Cors::parse(list).is_err(), "{list:?}");
        }
        assert_eq!(
            Cors::parse(" https://a.test , http://localhost:8080 ,").unwrap(),
            Cors {
                origins: vec!["https://a.test".into(), "http://localhost:8080".into()]
            }
        );
    }
}
