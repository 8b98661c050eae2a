//! `GET /metrics`: the figures of [`goal_tracker::metrics`] in Prometheus text format, served
//! without a key, like `/health`. This is where the gateway's recorder is wired: installed once
//! per process by [`crate::router`], so every request the gateway serves (REST, WebSocket,
//! authorizer, pushes) counts here as it counts in CloudWatch for the functions.
//!
//! Like `/openapi.json`, the path is the gateway's own: API Gateway has no such route, so it is
//! not in the route table, `template.yaml` or the OpenAPI document.

use std::sync::OnceLock;
use std::time::Duration;

use axum::http::request::Parts;
use goal_tracker::error::ApiError;
use goal_tracker::metrics::{describe, LATENCY};
use lambda_http::{Body, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Where the gateway serves the metrics.
pub const PATH: &str = "/metrics";
/// Upper bounds of the latency histogram's buckets, in milliseconds.
const LATENCY_BUCKETS_MS: &[f64] = &[
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
];
/// How often the recorder's histograms are drained into their buckets, scraped or not: until
/// then every sample is kept, so without it a gateway nobody scrapes would grow.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// The content type of the Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder, once per process, with a thread that keeps it drained
/// (a thread, not a task: it outlives whichever runtime installed it); later calls return
/// the same handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), LATENCY_BUCKETS_MS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            // Only another recorder installed first could do this; /metrics then stays empty.
            tracing::warn!(error = %error, "another metrics recorder is installed");
        }
        describe();
        let upkept = handle.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(UPKEEP_INTERVAL);
            upkept.run_upkeep();
        });
        handle
    })
}

/// The answer for [`PATH`], or `None` for any other path.
pub fn serve(parts: &Parts) -> Option<Result<Response<Body>, ApiError>> {
    crate::own_path(parts, PATH, CONTENT_TYPE, || {
        let handle = install();
        // The latest samples too, not only those of the last upkeep.
        handle.run_upkeep();
        handle.render()
    })
}
