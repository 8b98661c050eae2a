//! Logs: JSON lines through `tracing`. In Lambda each line of a request carries its request id:
//! the runtime opens a `Lambda runtime invoke` span with `requestId` around every invocation,
//! and each line lists its spans (`"spans":[{"name":"Lambda runtime invoke","requestId":…},…]`).

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
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .try_init();
}
