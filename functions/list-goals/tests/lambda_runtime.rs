//! The real `list-goals` binary under the Lambda Runtime API, as Lambda runs it: an emulated
//! runtime endpoint hands it events from `events/`, and its responses and logs are checked.
//! What holds here holds for every function: they all run `goal_tracker::lambda::serve`.

use serde_json::Value;
use testkit::lambda_runtime::invoke;

#[tokio::test]
async fn the_function_answers_events_and_tags_every_log_line_with_the_request_id() {
    let sqlite = testkit::migrated_sqlite_database().await;

    let invocations = [
        ("req-list-0001", "list-goals.json"),
        ("req-badlimit-0002", "list-goals-bad-limit.json"),
    ];
    let events: Vec<_> = invocations
        .iter()
        .map(|(id, file)| (*id, testkit::event_text(file)))
        .collect();
    let (responses, logs) = invoke(
        env!("CARGO_BIN_EXE_list-goals"),
        "list-goals",
        &[
            ("DATABASE_URL", &sqlite.url),
            ("RUST_LOG", "info"),
            ("STACK_NAME", "test-stack"),
        ],
        &events,
    )
    .await;

    let (path, ok) = (&responses[0].path, &responses[0].body);
    assert_eq!(path, "req-list-0001/response");
    assert_eq!(ok["statusCode"], 200, "{ok}");
    let body: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "goals": [], "next_cursor": null })
    );
    let (path, refused) = (&responses[1].path, &responses[1].body);
    assert_eq!(
        path, "req-badlimit-0002/response",
        "a client error is a response, not a function error"
    );
    assert_eq!(refused["statusCode"], 400, "{refused}");
    assert!(refused["body"]
        .as_str()
        .unwrap()
        .contains("validation_failed"));

    let lines: Vec<Value> = logs
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"))
        })
        .collect();
    let responded: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "responded")
        .collect();
    assert_eq!(responded.len(), 2, "one line per request:\n{logs}");
    for (line, (request_id, _)) in responded.iter().zip(invocations) {
        let spans = line["spans"].as_array().expect("the line lists its spans");
        assert!(
            spans.iter().any(|span| span["requestId"] == request_id),
            "the line lacks request id {request_id}: {line}"
        );
    }

    // Every line was JSON above; the metrics among them are valid EMF, one set per request.
    let metrics = testkit::emf::metrics_in(&logs);
    assert!(metrics.iter().all(|m| m.namespace == "GoalTracker"));
    for ((request_id, _), class) in invocations.iter().zip(["2xx", "4xx"]) {
        let dimensions = [
            ("Stack", "test-stack"),
            ("Function", "list-goals"),
            ("StatusClass", class),
        ];
        let one = |name, dimensions: &[(&str, &str)]| {
            testkit::emf::one(&metrics, request_id, name, dimensions)
        };
        let requests = one("Requests", &dimensions);
        assert_eq!(
            (requests.unit.as_deref(), &requests.values[..]),
            (Some("Count"), &[1.0][..])
        );
        let latency = one("Latency", &dimensions);
        assert_eq!(latency.unit.as_deref(), Some("Milliseconds"));
        assert!(
            matches!(latency.values[..], [ms] if (0.0..5000.0).contains(&ms)),
            "{latency:?}"
        );
        let by_status = one(
            "RequestsByStatus",
            &[("Stack", "test-stack"), ("StatusClass", class)],
        );
        assert_eq!(by_status.values, [1.0]);
    }
}

#[tokio::test]
async fn without_a_database_the_function_fails_at_init_naming_the_variables() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_list-goals"))
        .env_remove("DATABASE_URL")
        .env_remove("DB_SECRET_ARN")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .await
        .expect("run the list-goals binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("DB_SECRET_ARN"),
        "{stderr}"
    );
}
