//! Logs: JSON lines through `tracing`. In Lambda each line carries the request id, from the
//! runtime's `Lambda runtime invoke` span (`span.requestId`).

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once; later calls do nothing. The level comes from `RUST_LOG`,
/// else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
