//! The built frontend (`frontend/dist`, see `frontend/`) at `/`, on the API's own origin, so
//! the page needs no CORS locally. Each file carries the headers CloudFront gives it in AWS:
//! its content type, `Cache-Control` (hashed files under `assets/` forever, the page and
//! `config.json` revalidated on every load), and the response headers policy of
//! `terraform/modules/frontend` (CSP, HSTS, nosniff, frame and referrer policies).
//!
//! A missing build is not an error: the API still runs, and `/` says how to build the site.

use std::path::PathBuf;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The site's Content-Security-Policy: CloudFront's (`terraform/modules/frontend/main.tf`)
/// without `${var.api_origins}`, since here the API is on the site's own origin. A test
/// keeps the two equal.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
/// Where the site is built, relative to the repository root, unless `SITE_DIR` says otherwise.
pub const DEFAULT_SITE_DIR: &str = "frontend/dist";
/// For files whose name holds a hash of their content: they never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the page and `config.json`: always revalidated, so a deploy shows at the next load.
pub const NO_CACHE: &str = "no-cache";
/// What `/` answers while the site is not built.
pub const NOT_BUILT: &str = "The site is not built. Run `scripts/dev` from the repository root, which builds it (npm ci and npm run build in frontend/) and starts this gateway, or build it yourself and reload this page.\n";

/// The folder of the built site (`SITE_DIR`, else [`DEFAULT_SITE_DIR`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub dir: PathBuf,
}

impl Site {
    /// `SITE_DIR`, or [`DEFAULT_SITE_DIR`].
    pub fn from_env() -> Self {
        Self {
            dir: std::env::var_os("SITE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_SITE_DIR)),
        }
    }

    fn index(&self) -> PathBuf {
        self.dir.join("index.html")
    }

    /// Whether the site has been built, i.e. its `index.html` exists.
    pub fn is_built(&self) -> bool {
        self.index().is_file()
    }

    /// The routes of the site: `/` and `/index.html` (the page), `/config.json` (written at
    /// deploy time; absent here, so the page uses its own origin), and `/assets/…`.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let page = if self.is_built() {
            Router::new()
                .route_service("/", ServeFile::new(self.index()))
                .route_service("/index.html", ServeFile::new(self.index()))
        } else {
            let not_built =
                || async { (StatusCode::SERVICE_UNAVAILABLE, NOT_BUILT).into_response() };
            Router::new()
                .route("/", axum::routing::get(not_built))
                .route("/index.html", axum::routing::get(not_built))
        };
        let revalidated = page
            .route_service("/config.json", ServeFile::new(self.dir.join("config.json")))
            .layer(cache_control(NO_CACHE));
        let assets = Router::new()
            .nest_service("/assets", ServeDir::new(self.dir.join("assets")))
            .layer(cache_control(IMMUTABLE));
        security_headers(revalidated.merge(assets))
    }
}

/// Where the gateway says where the site is, or how to build it, when it starts.
pub fn describe(site: &Site, addr: std::net::SocketAddr) -> String {
    if site.is_built() {
        format!(
            "Open http://{addr}/ and sign in with an API key (site from {}).",
            site.dir.display()
        )
    } else {
        format!(
            "No site in {} (SITE_DIR): the API runs alone. To build the site: scripts/dev, or `npm ci && npm run build` in frontend/.",
            site.dir.display()
        )
    }
}

fn cache_control(value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(value))
}

/// CloudFront's response headers policy, on every answer of the site.
fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    const HEADERS: [(HeaderName, &str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        // Browsers ignore it over plain HTTP; sent so the local answers are CloudFront's.
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains; preload",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ];
    HEADERS.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ))
    })
}
