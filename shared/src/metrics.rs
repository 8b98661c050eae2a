//! Metrics: what an operator watches, recorded through the `metrics` facade. In Lambda they are
//! written as CloudWatch Embedded Metric Format (EMF) lines on stdout after each invocation
//! ([`install_emf`], [`flush_emf`]); the local gateway installs a Prometheus recorder instead
//! and serves the same figures at `/metrics`. Without a recorder (the handler tests) every
//! call here does nothing.
//!
//! | metric | unit | dimensions | recorded |
//! |---|---|---|---|
//! | `Requests` | Count | `Function`, `StatusClass` | per request of every REST and WebSocket route, and per authorizer decision |
//! | `Latency` | Milliseconds | `Function`, `StatusClass` | the same requests, handler time |
//! | `RequestsByStatus` | Count | `StatusClass` | the same requests, every function together: the 5xx-rate alarm's input |
//! | `Pushes` | Count | `Outcome` (`delivered`, `pruned`, `failed`) | per connection a goal change was pushed to |
//! | `IdempotentReplays` | Count | | per `POST /goals` answered by replaying a stored answer |
//! | `DatabaseUnavailable` | Count | | per request answered `service_unavailable` because the store could not be reached |
//!
//! Dimensions stay few and bounded: a function name, a status class, an outcome; never an
//! owner, a goal or a connection id. In AWS every metric also carries `Stack` (the stack name,
//! from `STACK_NAME`), so that two stacks in one account keep their figures apart.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use metrics_cloudwatch_embedded::Collector;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "GoalTracker";
/// Requests by function and status class.
pub const REQUESTS: &str = "Requests";
/// Handler time of those requests, in milliseconds.
pub const LATENCY: &str = "Latency";
/// Requests by status class only, every function together.
pub const REQUESTS_BY_STATUS: &str = "RequestsByStatus";
/// Pushes of goal changes to connections, by outcome.
pub const PUSHES: &str = "Pushes";
/// `POST /goals` answered by replaying the answer stored under its `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYS: &str = "IdempotentReplays";
/// Requests answered `service_unavailable` because the database could not be reached.
pub const DATABASE_UNAVAILABLE: &str = "DatabaseUnavailable";
/// The authorizer's `Function` dimension.
pub const AUTHORIZER: &str = "authorizer";

/// What became of one push of a goal change to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered,
    /// 410 Gone: the connection had closed; its row was removed.
    Pruned,
    /// Any other failure, or no answer within the push deadline.
    Failed,
}

impl PushOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Pruned => "pruned",
            Self::Failed => "failed",
        }
    }
}

/// `2xx`, `4xx`, `5xx`…: the status class dimension, a handful of values whatever the status.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// One request served by `function` (its name in `functions/`, or [`AUTHORIZER`]).
pub fn request(function: &'static str, status: u16, latency: Duration) {
    let class = status_class(status);
    counter!(REQUESTS, "Function" => function, "StatusClass" => class).increment(1);
    histogram!(LATENCY, "Function" => function, "StatusClass" => class)
        .record(latency.as_secs_f64() * 1000.0);
    counter!(REQUESTS_BY_STATUS, "StatusClass" => class).increment(1);
}

/// `count` pushes of one goal change that ended as `outcome`.
pub fn pushes(outcome: PushOutcome, count: u64) {
    if count > 0 {
        counter!(PUSHES, "Outcome" => outcome.as_str()).increment(count);
    }
}

/// A `POST /goals` answered by replaying the first answer to its `Idempotency-Key`: call it
/// where the replay is decided, once per replayed request.
pub fn idempotent_replay() {
    counter!(IDEMPOTENT_REPLAYS).increment(1);
}

/// A request answered `service_unavailable` because the store could not be reached. Called by
/// [`crate::error::ApiError`], where that answer is made.
pub fn database_unavailable() {
    counter!(DATABASE_UNAVAILABLE).increment(1);
}

/// Gives each metric its unit (EMF's `Unit`; Prometheus ignores it). Once per recorder.
pub fn describe() {
    describe_counter!(
        REQUESTS,
        Unit::Count,
        "requests by function and status class"
    );
    describe_histogram!(LATENCY, Unit::Milliseconds, "handler time of a request");
    describe_counter!(REQUESTS_BY_STATUS, Unit::Count, "requests by status class");
    describe_counter!(PUSHES, Unit::Count, "pushes of goal changes by outcome");
    describe_counter!(
        IDEMPOTENT_REPLAYS,
        Unit::Count,
        "replayed POST /goals answers"
    );
    describe_counter!(
        DATABASE_UNAVAILABLE,
        Unit::Count,
        "requests answered 503 while the database was unreachable"
    );
}

static EMF: OnceLock<&'static Collector> = OnceLock::new();

/// Installs the EMF recorder, once per process (later calls do nothing): a few allocations,
/// no I/O, so it adds nothing measurable to a function's init.
pub fn install_emf() {
    EMF.get_or_init(|| {
        let stack = std::env::var("STACK_NAME").unwrap_or_else(|_| "goal-tracker".to_owned());
        let collector = metrics_cloudwatch_embedded::Builder::new()
            .cloudwatch_namespace(NAMESPACE)
            .with_dimension("Stack", stack)
            .init()
            .expect("the first recorder of the process installs");
        describe();
        collector
    });
}

/// Writes what was recorded since the last flush as EMF lines on stdout, tagged with the Lambda
/// request id (a property, not a dimension). Each line is one JSON object written at once, so
/// it never interleaves with a log line. Does nothing before [`install_emf`].
pub fn flush_emf(request_id: &str) {
    let Some(collector) = EMF.get() else {
        return;
    };
    let mut lines = Vec::new();
    let flushed = collector
        .set_property("RequestId", request_id)
        .flush(&mut lines);
    let written = flushed.and_then(|()| std::io::stdout().lock().write_all(&lines));
    if let Err(error) = written {
        tracing::warn!(error = %error, "could not write the metrics");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_falls_in_one_of_five_classes() {
        let cases = [
            (101, "1xx"),
            (200, "2xx"),
            (204, "2xx"),
            (304, "3xx"),
            (400, "4xx"),
            (499, "4xx"),
            (500, "5xx"),
            (503, "5xx"),
            (0, "5xx"),
            (999, "5xx"),
        ];
        for (status, class) in cases {
            assert_eq!(status_class(status), class, "status {status}");
        }
    }
}
