//! The whole of a function binary's `main`: init tracing, build the app once, serve one route.

use std::convert::Infallible;

use lambda_http::{service_fn, LambdaEvent, Request};

use crate::config::{Config, InitError};
use crate::handlers::{handle, App};
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
        Ok::<_, Infallible>(handle(app, endpoint, req).await)
    }))
    .await
}

/// Runs `route` of the WebSocket API as a Lambda function, as [`serve`] does a REST endpoint.
pub async fn serve_websocket(route: WsRoute) -> Result<(), Error> {
    let app = &init(format_args!("{route:?}")).await?;
    lambda_http::lambda_runtime::run(service_fn(
        move |event: LambdaEvent<WsRequest>| async move {
            Ok::<_, Infallible>(handle_ws(app, route, event.payload).await)
        },
    ))
    .await
}

/// Installs tracing and builds the app, once per execution environment.
async fn init(serving: std::fmt::Arguments<'_>) -> Result<App, Error> {
    telemetry::init();
    let built = async {
        let config = Config::from_env()?;
        let app = App::from_config(&config, LAMBDA_MAX_CONNECTIONS).await?;
        tracing::info!(database = %config.database, %serving, "initialised");
        Ok::<_, InitError>(app)
    };
    built.await.map_err(|error| {
        tracing::error!(error = %error, "init failed");
        // The runtime prints the error with `Debug`: make that the readable message.
        Error::from(error.to_string())
    })
}
