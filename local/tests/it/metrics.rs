//! `GET /metrics` over real HTTP: Prometheus text, without a key, that moves with the requests
//! the gateway serves: REST routes, WebSocket routes, the authorizer, pushes, idempotent
//! replays, and requests answered 503 while the database is away.
//!
//! Every gateway of this test process shares one recorder, and other tests run at the same
//! time, so each check is on how much a figure grew, at least.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use goal_tracker::config::Config;
use goal_tracker::handlers::App;
use prometheus_parse::{LineInfo, Scrape, Value};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;

use crate::helpers::{client_for, options, start_gateway};

/// The gateway's figures: (metric, sorted labels) → value (a histogram's sample count).
type Figures = HashMap<(String, Vec<(String, String)>), f64>;
/// Labels as they are written in a check.
type Labels<'a> = &'a [(&'a str, &'a str)];

/// Reads `/metrics` without a key; every line must be Prometheus text.
async fn scrape(base: &str) -> Figures {
    let response = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        response.headers()
    );
    let text = response.text().await.unwrap();
    for line in text.lines() {
        assert_ne!(
            LineInfo::parse(line),
            LineInfo::Ignored,
            "not Prometheus text: {line:?}"
        );
    }
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    scrape
        .samples
        .into_iter()
        .map(|sample| {
            let mut labels: Vec<(String, String)> = sample
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            labels.sort();
            let value = match sample.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                Value::Histogram(buckets) => buckets
                    .iter()
                    .find(|b| b.less_than == f64::INFINITY)
                    .map_or(0.0, |b| b.count),
                Value::Summary(_) => panic!("{}: a summary, expected a histogram", sample.metric),
            };
            ((sample.metric, labels), value)
        })
        .collect()
}

/// How much `metric` with exactly `labels` grew from `before` to `after`.
fn grew(before: &Figures, after: &Figures, metric: &str, labels: Labels) -> f64 {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    labels.sort();
    let key = (metric.to_owned(), labels);
    after.get(&key).copied().unwrap_or(0.0) - before.get(&key).copied().unwrap_or(0.0)
}

fn request(function: &'static str, class: &'static str) -> [(&'static str, &'static str); 2] {
    [("Function", function), ("StatusClass", class)]
}

#[tokio::test]
async fn metrics_count_every_route_the_authorizer_and_pushes_and_move_with_requests() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let key = gateway.issue_key("metrics-owner").await;
    let http = client_for(&key);
    let before = scrape(&gateway.base).await;

    let ws = format!(
        "{}/ws?api_key={key}",
        gateway.base.replacen("http://", "ws://", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    for n in 0..3 {
        let created = http
            .post(format!("{}/goals", gateway.base))
            .json(&json!({ "name": format!("counted {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let frame = tokio::time::timeout(Duration::from_secs(2), socket.next())
            .await
            .expect("the push arrives")
            .unwrap()
            .unwrap();
        assert!(
            frame.to_text().unwrap().contains("goal.created"),
            "{frame:?}"
        );
    }
    let missing = http
        .get(format!("{}/goals/999999", gateway.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The same key twice: the second is a replay, which pushes nothing.
    for replay in [false, true] {
        let created = http
            .post(format!("{}/goals", gateway.base))
            .header("idempotency-key", "metrics-replay")
            .json(&json!({ "name": "counted once" }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(
            created.headers().contains_key("idempotent-replayed"),
            replay
        );
        if !replay {
            tokio::time::timeout(Duration::from_secs(2), socket.next())
                .await
                .expect("the push arrives");
        }
    }
    let anonymous = reqwest::get(format!("{}/goals", gateway.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    drop(socket);

    let after = scrape(&gateway.base).await;
    let cases: [(&str, Labels, f64); 10] = [
        ("Requests", &request("create-goal", "2xx"), 5.0),
        ("Latency", &request("create-goal", "2xx"), 5.0),
        ("IdempotentReplays", &[], 1.0),
        ("Requests", &request("get-goal", "4xx"), 1.0),
        ("Requests", &request("ws-connect", "2xx"), 1.0),
        // Six keyed requests and the WebSocket connect allowed, the anonymous one denied.
        ("Requests", &request("authorizer", "2xx"), 7.0),
        ("Requests", &request("authorizer", "4xx"), 1.0),
        (
            "RequestsByStatus",
            &[("StatusClass", "2xx")],
            5.0 + 1.0 + 7.0,
        ),
        ("RequestsByStatus", &[("StatusClass", "4xx")], 2.0),
        ("Pushes", &[("Outcome", "delivered")], 4.0),
    ];
    for (metric, labels, at_least) in cases {
        let grown = grew(&before, &after, metric, labels);
        assert!(
            grown >= at_least,
            "{metric} {labels:?} grew by {grown}, expected at least {at_least}"
        );
    }

    let post = reqwest::Client::new()
        .post(format!("{}/metrics", gateway.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_request_answered_503_while_the_database_is_away_is_counted() {
    // A PostgreSQL nobody listens on: connections are refused at once.
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/absent",
        testkit::free_port()
    );
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone())).unwrap();
    let app = App::from_config(&config, 1).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(local::serve(
        listener,
        app,
        options(Duration::from_secs(30)),
        std::future::pending(),
    ));
    let before = scrape(&base).await;

    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);

    let after = scrape(&base).await;
    assert!(grew(&before, &after, "DatabaseUnavailable", &[]) >= 1.0);
    assert!(grew(&before, &after, "Requests", &request("health", "5xx")) >= 1.0);
    assert!(
        grew(
            &before,
            &after,
            "RequestsByStatus",
            &[("StatusClass", "5xx")]
        ) >= 1.0
    );
}
