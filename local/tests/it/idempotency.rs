//! `Idempotency-Key` over real HTTP and WebSocket, on PostgreSQL: eight clients sending the
//! same create at once make one goal, get the same answer (or a 409), and the owner's WebSocket
//! hears of the goal once.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{client_for, send_json, start_gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_creates_with_one_key_make_one_goal_and_one_push() {
    let test = "idempotency::eight_concurrent_creates_with_one_key_make_one_goal_and_one_push";
    let Some(postgres) = testkit::postgres_database(test).await else {
        return;
    };
    let gateway = start_gateway(&postgres.url).await;
    let key = gateway.issue_key("alice").await;
    let base = gateway.base.clone();
    let ws = format!("{}/ws?api_key={key}", base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    let alice = client_for(&key);

    let sends = (0..8).map(|_| {
        let request = alice
            .post(format!("{base}/goals"))
            .header("idempotency-key", "one-and-only")
            .json(&json!({ "name": "only once" }));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let location = response.headers().get("location").cloned();
            (status, replayed, location, response.text().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let created: Vec<_> = answers.iter().filter(|a| a.0 == 201).collect();
    let first: Vec<_> = created.iter().filter(|a| !a.1).collect();
    assert_eq!(first.len(), 1, "one answer created the goal: {answers:?}");
    for answer in &answers {
        match answer.0 {
            201 => assert_eq!(
                (&answer.2, &answer.3),
                (&first[0].2, &first[0].3),
                "a replay is the first answer"
            ),
            409 => assert!(answer.3.contains("idempotency_in_progress"), "{answer:?}"),
            _ => panic!("only 201 or 409: {answers:?}"),
        }
    }
    let goals: Value = send_json(alice.get(format!("{base}/goals"))).await;
    assert_eq!(goals["goals"].as_array().unwrap().len(), 1, "{goals}");

    // One push, then nothing but the pong.
    socket
        .send(Message::text(r#"{"action":"ping"}"#))
        .await
        .unwrap();
    let mut frames = Vec::new();
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(1), socket.next()).await
    {
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).unwrap();
            let pong = frame["type"] == "pong";
            frames.push(frame["type"].clone());
            if pong {
                break;
            }
        }
    }
    assert_eq!(frames, ["goal.created", "pong"], "one push for one goal");
    drop(gateway);
    postgres.drop_database().await;
}
