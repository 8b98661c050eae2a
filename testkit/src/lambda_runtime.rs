//! An emulated Lambda Runtime API: runs a real function binary as Lambda runs it, hands it
//! events, and collects its answers and its log output.

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

/// What the function posted for one invocation.
#[derive(Debug)]
pub struct Answer {
    /// `{request id}/response` for an answer, `{request id}/error` for a function error.
    pub path: String,
    pub body: Value,
}

/// The runtime endpoint: a queue of invocations, and a channel of answers.
struct RuntimeApi {
    function: String,
    pending: Mutex<VecDeque<(String, String)>>,
    answers: mpsc::UnboundedSender<Answer>,
}

async fn next_invocation(State(api): State<Arc<RuntimeApi>>) -> (HeaderMap, String) {
    loop {
        let next = api.pending.lock().unwrap().pop_front();
        if let Some((request_id, event)) = next {
            let mut headers = HeaderMap::new();
            let arn = format!(
                "arn:aws:lambda:eu-west-1:123456789012:function:{}",
                api.function
            );
            headers.insert("lambda-runtime-aws-request-id", request_id.parse().unwrap());
            headers.insert(
                "lambda-runtime-deadline-ms",
                "4102444800000".parse().unwrap(),
            );
            headers.insert("lambda-runtime-invoked-function-arn", arn.parse().unwrap());
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
    let _ = api.answers.send(Answer {
        path: format!("{request_id}/{kind}"),
        body,
    });
}

/// Runs `binary` as the Lambda function `function` with the extra environment `env`, invokes
/// it once per `(request id, event JSON)`, and returns its answers in order and its stdout.
pub async fn invoke(
    binary: &str,
    function: &str,
    env: &[(&str, &str)],
    invocations: &[(&str, String)],
) -> (Vec<Answer>, String) {
    let (answers, mut answered) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        function: function.to_owned(),
        pending: Mutex::new(
            invocations
                .iter()
                .map(|(id, event)| (id.to_string(), event.clone()))
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
    let server = tokio::spawn(async move { axum::serve(listener, routes).await });

    let mut process = Command::new(binary);
    process
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut running = process
        .spawn()
        .unwrap_or_else(|e| panic!("start {binary}: {e}"));

    let mut responses = Vec::new();
    for _ in invocations {
        let answer = tokio::time::timeout(Duration::from_secs(20), answered.recv()).await;
        responses.push(answer.expect("the function answers within 20 s").unwrap());
    }
    running.kill().await.unwrap();
    server.abort();
    let mut logs = String::new();
    running
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    (responses, logs)
}
