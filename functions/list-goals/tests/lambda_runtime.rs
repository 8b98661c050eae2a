//! The real `list-goals` binary under the Lambda Runtime API, as Lambda runs it: an emulated
//! runtime endpoint hands it events from `events/`, and its responses and logs are checked.
//! What holds here holds for every function: they all run `goal_tracker::lambda::serve`.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::mpsc;

/// The emulated runtime endpoint: a queue of invocations, and a channel of answers.
struct RuntimeApi {
    pending: Mutex<VecDeque<(String, String)>>,
    answers: mpsc::UnboundedSender<(String, Value)>,
}

async fn next_invocation(State(api): State<Arc<RuntimeApi>>) -> (HeaderMap, String) {
    loop {
        let next = api.pending.lock().unwrap().pop_front();
        if let Some((request_id, event)) = next {
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", request_id.parse().unwrap());
            headers.insert(
                "lambda-runtime-deadline-ms",
                "4102444800000".parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:list-goals"
                    .parse()
                    .unwrap(),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000".parse().unwrap(),
            );
            return (headers, event);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn invocation_answer(
    State(api): State<Arc<RuntimeApi>>,
    Path((request_id, kind)): Path<(String, String)>,
    body: String,
) {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = api.answers.send((format!("{request_id}/{kind}"), body));
}

fn event(name: &str) -> String {
    let path = testkit::workspace_root().join("events").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[tokio::test]
async fn the_function_answers_events_and_tags_every_log_line_with_the_request_id() {
    let sqlite = testkit::sqlite_database();
    let config = goal_tracker::config::Config::from_lookup(|n| {
        (n == "DATABASE_URL").then(|| sqlite.url.clone())
    })
    .unwrap();
    let app = goal_tracker::handlers::App::from_config(&config, 1)
        .await
        .unwrap();
    app.store.migrate().await.unwrap();

    let (answers, mut answered) = mpsc::unbounded_channel();
    let invocations = [
        ("req-list-0001", "list-goals.json"),
        ("req-badlimit-0002", "list-goals-bad-limit.json"),
    ];
    let api = Arc::new(RuntimeApi {
        pending: Mutex::new(
            invocations
                .iter()
                .map(|(id, file)| (id.to_string(), event(file)))
                .collect(),
        ),
        answers,
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_api = listener.local_addr().unwrap().to_string();
    let routes = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{request_id}/{kind}",
            post(invocation_answer),
        )
        .with_state(api);
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let mut function = Command::new(env!("CARGO_BIN_EXE_list-goals"))
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "list-goals")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/list-goals")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("DATABASE_URL", &sqlite.url)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the list-goals binary");

    let mut responses = Vec::new();
    for _ in invocations {
        let answer = tokio::time::timeout(Duration::from_secs(20), answered.recv()).await;
        responses.push(answer.expect("the function answers within 20 s").unwrap());
    }
    function.kill().await.unwrap();
    let mut logs = String::new();
    function
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();

    let (path, ok) = &responses[0];
    assert_eq!(path, "req-list-0001/response");
    assert_eq!(ok["statusCode"], 200, "{ok}");
    let body: Value = serde_json::from_str(ok["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "goals": [], "next_cursor": null })
    );
    let (path, refused) = &responses[1];
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
}

#[tokio::test]
async fn without_a_database_the_function_fails_at_init_naming_the_variables() {
    let output = Command::new(env!("CARGO_BIN_EXE_list-goals"))
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
