//! The whole of a function binary's `main`: init tracing, build what it needs once, serve.
//! [`serve`] runs a REST endpoint, [`serve_websocket`] a WebSocket route; [`serve_authorizer`]
//! and [`serve_api_keys`] the two functions that take other events.
//!
//! This is where Lambda's metrics recorder is wired: installed at init, flushed as EMF lines on
//! stdout at the end of every invocation (see [`crate::metrics`]).

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::{service_fn, LambdaEvent, Request, RequestExt};
use serde_json::Value;

use crate::authorizer::{cache_ttl_from_env, Authorizer};
use crate::config::{Config, InitError};
use crate::handlers::{handle, App};
use crate::keys::{self, KeyCommand};
use crate::metrics;
use crate::routes::Endpoint;
use crate::telemetry;
use crate::websocket::{handle_ws, WsRequest, WsRoute};

pub use lambda_http::Error;

/// Connections one Lambda environment needs: it serves one request at a time.
const LAMBDA_MAX_CONNECTIONS: u32 = 1;

/// Runs `endpoint` of the HTTP API as a Lambda function. Configuration problems fail the init,
/// with a message that names the variable; everything after that is answered, never thrown.
pub async fn serve(endpoint: Endpoint) -> Result<(), Error> {
    let app = &init(format_args!("{endpoint:?}")).await?;
    lambda_http::run(service_fn(move |req: Request| async move {
        let request_id = req
            .lambda_context_ref()
            .map(|context| context.request_id.clone())
            .unwrap_or_default();
        let response = handle(app, endpoint, req).await;
        metrics::flush_emf(&request_id);
        Ok::<_, Infallible>(response)
    }))
    .await
}

/// Runs the Lambda REQUEST authorizer of the HTTP API and of the WebSocket API's `$connect`.
/// Cache TTL: `AUTH_CACHE_TTL_SECONDS` (default 30).
pub async fn serve_authorizer() -> Result<(), Error> {
    let app = init(format_args!("authorizer")).await?;
    let ttl = cache_ttl_from_env().map_err(|e| init_failed(e.into()))?;
    let authorizer = Arc::new(Authorizer::new(app.store, ttl));
    let authorizer = &authorizer;
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let decided = authorizer.handle_event(event.payload).await;
        metrics::flush_emf(&event.context.request_id);
        decided.map_err(|e| {
            tracing::error!(error = %e, "authorizer failed");
            Error::from(e.to_string())
        })
    }))
    .await
}

/// Runs the `api-keys` admin function: a [`KeyCommand`] in (`{"action":"create","owner":…}`,
/// `{"action":"list"}`, `{"action":"revoke","id":…}`), its JSON outcome out. It has no API
/// route; only IAM principals allowed `lambda:InvokeFunction` reach it.
pub async fn serve_api_keys() -> Result<(), Error> {
    let app = init(format_args!("api-keys")).await?;
    let app = &app;
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let command: KeyCommand = serde_json::from_value(event.payload).map_err(|e| {
            Error::from(format!(
                "expected {{\"action\":\"create\",\"owner\":…}}, {{\"action\":\"list\"}} or {{\"action\":\"revoke\",\"id\":…}}: {e}"
            ))
        })?;
        let outcome = keys::execute(app.store.as_ref(), command)
            .await
            .map_err(|e| Error::from(e.to_string()))?;
        Ok::<_, Error>(outcome.to_json())
    }))
    .await
}

/// Runs `route` of the WebSocket API as a Lambda function, as [`serve`] does a REST endpoint.
pub async fn serve_websocket(route: WsRoute) -> Result<(), Error> {
    let app = &init(format_args!("{route:?}")).await?;
    lambda_http::lambda_runtime::run(service_fn(
        move |event: LambdaEvent<WsRequest>| async move {
            let response = handle_ws(app, route, event.payload).await;
            metrics::flush_emf(&event.context.request_id);
            Ok::<_, Infallible>(response)
        },
    ))
    .await
}

/// Installs tracing and the metrics recorder and builds the app, once per execution environment.
async fn init(serving: std::fmt::Arguments<'_>) -> Result<App, Error> {
    telemetry::init();
    metrics::install_emf();
    let built = async {
        let config = Config::from_env()?;
        let app = App::from_config(&config, LAMBDA_MAX_CONNECTIONS).await?;
        tracing::info!(database = %config.database, %serving, "initialised");
        Ok::<_, InitError>(app)
    };
    built.await.map_err(init_failed)
}

/// Logs an init failure and makes it the error the runtime reports.
fn init_failed(error: InitError) -> Error {
    tracing::error!(error = %error, "init failed");
    // The runtime prints the error with `Debug`: make that the readable message.
    Error::from(error.to_string())
}
