//! The local gateway: API Gateway on a laptop.
//!
//! Every HTTP request is matched against the shared route table, turned into the API Gateway v2
//! event the function would receive in AWS (see [`event`]), made into a request by `lambda_http`
//! as the Lambda runtime makes it, and handed to the same shared handler, in-process. Where API
//! Gateway would, it answers CORS preflights ([`cors`]) and runs the authorizer ([`auth`]).
//!
//! WebSocket clients connect at `/ws` ([`websocket`]); the gateway also serves the Management
//! API at `/@connections/{id}` ([`management`]), which the handlers push goal changes through.
//! The built frontend is served at `/` ([`site`]), on the same origin as the API.
//! Two paths are the gateway's own, without a key: `/openapi.json` ([`openapi`]) and the
//! metrics in Prometheus text at `/metrics` ([`metrics`]).

pub mod auth;
pub mod cli;
pub mod cors;
pub mod event;
pub mod management;
pub mod metrics;
pub mod openapi;
pub mod site;
pub mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::routing::get;
use axum::Router;
use goal_tracker::authorizer::{cache_ttl_from_env, Authorizer};
use goal_tracker::config::{Config, ConfigError};
use goal_tracker::error::ApiError;
use goal_tracker::handlers::{handle, App};
use goal_tracker::request::MAX_BODY_BYTES;
use goal_tracker::routes::{match_route, Endpoint, RouteMatch};
use tokio::net::TcpListener;

/// Where the gateway listens unless `LOCAL_ADDR` says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
/// The embedded default database: a SQLite file in the working folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://goal-tracker.db";
/// The owner of the dev key issued on a first start, unless `DEV_OWNER` says otherwise.
pub const DEFAULT_DEV_OWNER: &str = "dev";
/// A laptop serves many requests at once, unlike a Lambda environment.
const LOCAL_MAX_CONNECTIONS: u32 = 8;

/// The gateway's own settings, from `LOCAL_ADDR`, `DEV_OWNER`, `CORS_ALLOWED_ORIGINS`,
/// `AUTH_CACHE_TTL_SECONDS` and `SITE_DIR`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub dev_owner: String,
    pub options: Options,
}

/// How the gateway behaves, beside where it listens.
#[derive(Debug, Clone)]
pub struct Options {
    pub cors: cors::Cors,
    /// How long the authorizer trusts a checked key, as the `authorizer` function does.
    pub auth_cache_ttl: Duration,
    /// The built frontend served at `/`.
    pub site: site::Site,
}

impl Options {
    /// `CORS_ALLOWED_ORIGINS`, `AUTH_CACHE_TTL_SECONDS` and `SITE_DIR`, or their defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            cors: cors::Cors::from_env()?,
            auth_cache_ttl: cache_ttl_from_env()?,
            site: site::Site::from_env(),
        })
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let addr = std::env::var("LOCAL_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
        let addr = addr
            .parse()
            .with_context(|| format!("LOCAL_ADDR is invalid: expected host:port, got {addr:?}"))?;
        let dev_owner = std::env::var("DEV_OWNER").unwrap_or_else(|_| DEFAULT_DEV_OWNER.to_owned());
        anyhow::ensure!(
            !dev_owner.trim().is_empty(),
            "DEV_OWNER is invalid: it must not be empty"
        );
        Ok(Self {
            addr,
            dev_owner,
            options: Options::from_env()?,
        })
    }
}

/// The functions' configuration, with the SQLite file as the default database when neither
/// `DATABASE_URL` nor `DB_SECRET_ARN` is set.
pub fn config_from_env() -> Result<Config, ConfigError> {
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    let use_default = !set("DATABASE_URL") && !set("DB_SECRET_ARN");
    Config::from_lookup(|name| match name {
        "DATABASE_URL" if use_default => Some(DEFAULT_DATABASE_URL.to_owned()),
        _ => std::env::var(name).ok(),
    })
}

/// Builds the app, applies migrations, and serves until Ctrl-C.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let config = config_from_env()?;
    let app = App::from_config(&config, LOCAL_MAX_CONNECTIONS).await?;
    app.store
        .migrate()
        .await
        .with_context(|| format!("could not apply migrations to {}", config.database))?;
    let listener = TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("could not listen on {} (set LOCAL_ADDR)", settings.addr))?;
    if let Some(key) = auth::ensure_dev_key(app.store.as_ref(), &settings.dev_owner).await? {
        println!(
            "No API key existed, so one was issued for the owner {:?}; it is shown only now:\n\n    {}\n\nSend it as `Authorization: Bearer <key>` or `X-API-Key: <key>` (WebSocket: ws://…/ws?api_key=<key>).",
            settings.dev_owner,
            key.expose()
        );
    }
    let addr = listener.local_addr()?;
    println!(
        "goal-tracker local gateway on http://{addr} and ws://{addr}/ws (database {}); Ctrl-C stops it",
        config.database,
    );
    println!("{}", site::describe(&settings.options.site, addr));
    serve(listener, app, settings.options, shutdown_signal()).await?;
    Ok(())
}

/// Serves the API on `listener` until `shutdown` completes. The app's goal changes are pushed
/// through this gateway's own Management API.
pub async fn serve(
    listener: TcpListener,
    mut app: App,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    app.notifier = management::local_notifier(listener.local_addr()?).await;
    axum::serve(
        listener,
        router(app, options).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// What every request of the gateway shares.
pub struct Gateway {
    app: App,
    authorizer: Authorizer,
    connections: websocket::Connections,
}

/// `/ws`, the Management API and the site are the gateway's own; every other request goes to
/// [`dispatch`], where the shared route table does the routing, not axum.
pub fn router(app: App, options: Options) -> Router {
    metrics::install();
    let authorizer = Authorizer::new(app.store.clone(), options.auth_cache_ttl);
    Router::new()
        .route("/ws", get(websocket::upgrade))
        .merge(management::routes())
        .merge(options.site.routes())
        .fallback(dispatch)
        .with_state(Arc::new(Gateway {
            app,
            authorizer,
            connections: websocket::Connections::default(),
        }))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(options.cors),
            cors::layer,
        ))
}

/// The answer of one of the gateway's own paths, outside the route table and without a key:
/// a GET of `path` is a 200 of `content_type` with `body()`, another method a 405; `None` when
/// the request is for another path.
pub(crate) fn own_path(
    parts: &axum::http::request::Parts,
    path: &str,
    content_type: &'static str,
    body: impl FnOnce() -> String,
) -> Option<Result<lambda_http::Response<lambda_http::Body>, ApiError>> {
    if parts.uri.path() != path {
        return None;
    }
    if parts.method != axum::http::Method::GET {
        return Some(Err(ApiError::MethodNotAllowed {
            allowed: "GET".into(),
        }));
    }
    let mut response = lambda_http::Response::new(lambda_http::Body::Text(body()));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(content_type),
    );
    Some(Ok(response))
}

async fn dispatch(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let response = invoke(&gateway, peer, request)
        .await
        .unwrap_or_else(ApiError::into_response);
    let (parts, body) = response.into_parts();
    axum::response::Response::from_parts(
        parts,
        axum::body::Body::from(Bytes::copy_from_slice(body.as_ref())),
    )
}

/// What API Gateway and Lambda do together: route, build the event, invoke the handler.
async fn invoke(
    gateway: &Gateway,
    peer: SocketAddr,
    request: axum::extract::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, ApiError> {
    let (parts, body) = request.into_parts();
    if let Some(answer) = openapi::serve(&parts).or_else(|| metrics::serve(&parts)) {
        return answer;
    }
    let (route, path_parameters) = match match_route(&parts.method, parts.uri.path()) {
        RouteMatch::Found(route, parameters) => (route, parameters),
        RouteMatch::MethodNotAllowed(methods) => {
            let allowed = methods
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            tracing::info!(method = %parts.method, path = parts.uri.path(), "method not allowed");
            return Err(ApiError::MethodNotAllowed { allowed });
        }
        RouteMatch::NotFound => {
            tracing::info!(method = %parts.method, path = parts.uri.path(), "no such route");
            return Err(ApiError::NotFound("route"));
        }
    };
    let owner = match route.endpoint {
        Endpoint::Health => None,
        _ => Some(auth::owner_from_headers(&gateway.authorizer, &parts.headers).await?),
    };
    // The API's limit, enforced before the body is buffered: a declared length over it is
    // refused unread, and reading stops at the limit.
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large);
    }
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large)?;
    let event = event::api_gateway_v2(&event::HttpRequest {
        route,
        path_parameters: &path_parameters,
        parts: &parts,
        body: &body,
        peer,
        owner: owner.as_ref().map(|owner| owner.as_str()),
    });
    Ok(handle(&gateway.app, route.endpoint, event::into_request(event)).await)
}
