//! The whole of a function binary's `main`: init tracing, build the app once, serve one endpoint.

use std::convert::Infallible;

use lambda_http::{service_fn, Request};

use crate::config::{Config, InitError};
use crate::handlers::{handle, App};
use crate::routes::Endpoint;
use crate::telemetry;

pub use lambda_http::Error;

/// Connections one Lambda environment needs: it serves one request at a time.
const LAMBDA_MAX_CONNECTIONS: u32 = 1;

/// Runs `endpoint` as a Lambda function. Configuration problems fail the init, with a message
/// that names the variable; everything after that is answered, never thrown.
pub async fn serve(endpoint: Endpoint) -> Result<(), Error> {
    telemetry::init();
    let app = init(endpoint).await.map_err(|error| {
        tracing::error!(error = %error, "init failed");
        // The runtime prints the error with `Debug`: make that the readable message.
        Error::from(error.to_string())
    })?;
    let app = &app;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(handle(app, endpoint, req).await)
    }))
    .await
}

async fn init(endpoint: Endpoint) -> Result<App, InitError> {
    let config = Config::from_env()?;
    let app = App::from_config(&config, LAMBDA_MAX_CONNECTIONS).await?;
    tracing::info!(database = %config.database, ?endpoint, "initialised");
    Ok(app)
}
