//! The real `authorizer` binary under the Lambda Runtime API, as Lambda runs it, fed the
//! `events/authorizer-*.json` events at `RUST_LOG=trace`: the answers API Gateway expects, and
//! not a trace of the key in the log, although the runtime itself logs raw events at TRACE;
//! and each decision counted in Embedded Metric Format.

use goal_tracker::domain::Owner;
use goal_tracker::keys::KeyHash;
use serde_json::{json, Value};
use testkit::lambda_runtime::invoke;

/// The key in the sample events.
const EXAMPLE_KEY: &str = "gt_ExampleKeyForTheEventsFolderOnly00000000000";

#[tokio::test]
async fn the_function_answers_both_apis_and_never_logs_the_key() {
    let sqlite = testkit::migrated_sqlite_database().await;
    let config = goal_tracker::config::Config::from_lookup(|n| {
        (n == "DATABASE_URL").then(|| sqlite.url.clone())
    })
    .unwrap();
    let app = goal_tracker::handlers::App::from_config(&config, 1)
        .await
        .unwrap();
    let hash = KeyHash::of_presented(EXAMPLE_KEY).unwrap();
    app.store
        .insert_key(&Owner::new("alice").unwrap(), &hash, &EXAMPLE_KEY[..9])
        .await
        .unwrap();

    let events = [
        (
            "req-bearer",
            testkit::event_text("authorizer-http-bearer.json"),
        ),
        (
            "req-x-api-key",
            testkit::event_text("authorizer-http-x-api-key.json"),
        ),
        (
            "req-no-key",
            testkit::event_text("authorizer-http-no-key.json"),
        ),
        (
            "req-websocket",
            testkit::event_text("authorizer-websocket-connect.json"),
        ),
        ("req-unknown", r#"{"hello":"world"}"#.to_owned()),
    ];
    let (answers, logs) = invoke(
        env!("CARGO_BIN_EXE_authorizer"),
        "authorizer",
        &[("DATABASE_URL", &sqlite.url), ("RUST_LOG", "trace")],
        &events,
    )
    .await;
    let body = |id: &str| -> &Value {
        &answers
            .iter()
            .find(|answer| answer.path.starts_with(id))
            .unwrap_or_else(|| panic!("no answer to {id}: {answers:?}"))
            .body
    };
    let allowed = json!({ "isAuthorized": true, "context": { "owner": "alice" } });
    assert_eq!(body("req-bearer"), &allowed);
    assert_eq!(body("req-x-api-key"), &allowed);
    assert_eq!(
        body("req-no-key"),
        &json!({ "isAuthorized": false, "context": {} })
    );
    let policy = body("req-websocket");
    assert_eq!(policy["principalId"], "alice", "{policy}");
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{policy}"
    );
    assert_eq!(policy["context"]["owner"], "alice", "{policy}");
    assert!(
        answers
            .iter()
            .any(|answer| answer.path == "req-unknown/error"),
        "an unknown event is a function error: {answers:?}"
    );

    assert!(logs.contains("req-bearer"), "the log was captured:\n{logs}");
    assert!(
        logs.contains("\"allowed\""),
        "decisions are logged:\n{logs}"
    );
    assert!(
        !logs.contains("ExampleKeyForTheEventsFolder"),
        "the key reached the log:\n{logs}"
    );
    assert!(
        !logs.contains("Bearer"),
        "an Authorization header reached the log:\n{logs}"
    );

    // Allowed is 2xx, denied 4xx; an event that is no question is no decision.
    let metrics = testkit::emf::metrics_in(&logs);
    testkit::emf::assert_requests_counted(
        &metrics,
        "goal-tracker",
        "authorizer",
        &[
            ("req-bearer", "2xx"),
            ("req-x-api-key", "2xx"),
            ("req-no-key", "4xx"),
            ("req-websocket", "2xx"),
        ],
    );
    assert!(
        metrics.iter().all(|m| m.root["RequestId"] != "req-unknown"),
        "{metrics:#?}"
    );
}
