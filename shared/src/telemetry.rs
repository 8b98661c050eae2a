//! Logs: JSON lines through `tracing`. In Lambda each line of a request carries its request id:
//! the runtime opens a `Lambda runtime invoke` span with `requestId` around every invocation,
//! and each line lists its spans (`"spans":[{"name":"Lambda runtime invoke","requestId":…},…]`).

use tracing_subscriber::filter::Directive;
use tracing_subscriber::EnvFilter;

/// The Lambda runtime logs each raw event at TRACE under this target, headers and all: that
/// would put API keys (and `Authorization` headers) in the log. It is capped at DEBUG always.
const RAW_EVENT_TARGET_CAP: &str = "lambda_runtime::layers::api_response=debug";

/// Installs the JSON subscriber once; later calls do nothing. The level comes from `RUST_LOG`,
/// else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`; whatever it says, raw events are not logged.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(
            RAW_EVENT_TARGET_CAP
                .parse::<Directive>()
                .expect("a valid directive"),
        );
    let _already_installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .try_init();
}
