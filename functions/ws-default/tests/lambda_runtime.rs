//! The real `ws-default` binary under the Lambda Runtime API, as Lambda runs it, fed the
//! WebSocket events in `events/`: what holds here holds for every WebSocket function, since
//! they all run `goal_tracker::lambda::serve_websocket`. Each message is counted in Embedded
//! Metric Format, an error frame with the status its error has in the REST API.

use serde_json::{json, Value};
use testkit::lambda_runtime::invoke;

#[tokio::test]
async fn the_function_answers_websocket_messages_with_frames() {
    let sqlite = testkit::migrated_sqlite_database().await;

    let cases = [
        (
            "req-ping",
            "ws-default-ping.json",
            json!({ "type": "pong" }),
        ),
        (
            "req-sync",
            "ws-default-sync.json",
            json!({ "type": "sync", "goals": [], "next_cursor": null }),
        ),
        (
            "req-unknown",
            "ws-default-unknown-action.json",
            json!({ "type": "error", "error": { "code": "unknown_action", "message": "unknown action \"subscribe\"; the actions are \"ping\" and \"sync\"" } }),
        ),
    ];
    let events: Vec<_> = cases
        .iter()
        .map(|(id, file, _)| (*id, testkit::event_text(file)))
        .collect();
    let (answers, logs) = invoke(
        env!("CARGO_BIN_EXE_ws-default"),
        "ws-default",
        &[("DATABASE_URL", &sqlite.url), ("RUST_LOG", "info")],
        &events,
    )
    .await;
    for ((request_id, file, frame), answer) in cases.iter().zip(&answers) {
        assert_eq!(answer.path, format!("{request_id}/response"), "{file}");
        assert_eq!(answer.body["statusCode"], 200, "{file}: {}", answer.body);
        let body: Value = serde_json::from_str(answer.body["body"].as_str().unwrap()).unwrap();
        assert_eq!(&body, frame, "{file}");
    }
    assert!(
        logs.lines().any(|line| line.contains("req-ping")),
        "log lines carry the request id:\n{logs}"
    );

    let metrics = testkit::emf::metrics_in(&logs);
    testkit::emf::assert_requests_counted(
        &metrics,
        "goal-tracker",
        "ws-default",
        &[
            ("req-ping", "2xx"),
            ("req-sync", "2xx"),
            ("req-unknown", "4xx"),
        ],
    );
}
