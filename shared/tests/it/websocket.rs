//! WebSocket handler tests fed with `events/ws-*.json`, the events `cargo lambda invoke
//! ws-connect|ws-disconnect|ws-default --data-file …` sends, on a fresh SQLite store.

use base64::Engine;
use chrono::{TimeDelta, Utc};
use goal_tracker::domain::ConnectionId;
use goal_tracker::handlers::App;
use goal_tracker::websocket::{
    handle_ws, WsRequest, WsResponse, WsRoute, MAX_FRAME_BYTES, WS_ROUTES,
};
use serde_json::{json, Value};

use crate::helpers::{event_json, events_dir, new_goal, owner, sqlite_store};

const CONNECTION: &str = "L0SM9cOFvHcCIhw=";

fn ws_event(json: &Value) -> WsRequest {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("parse event: {e}\n{json:#}"))
}

async fn invoke(app: &App, route: WsRoute, json: &Value) -> WsResponse {
    handle_ws(app, route, ws_event(json)).await
}

/// The frame `$default` answered with.
async fn reply_to(app: &App, body: &str) -> Value {
    let mut event = event_json("ws-default-ping.json");
    event["body"] = json!(body);
    frame_of(&invoke(app, WsRoute::Default, &event).await)
}

fn frame_of(response: &WsResponse) -> Value {
    assert_eq!(response.status_code, 200, "a frame is a 200");
    let body = response.body.as_ref().expect("a frame");
    serde_json::from_slice(body.as_ref()).expect("the frame is JSON")
}

fn assert_error_frame(frame: &Value, code: &str, case: &str) {
    assert_eq!(frame["type"], "error", "{case}: {frame}");
    assert_eq!(frame["error"]["code"], code, "{case}: {frame}");
    assert!(
        frame["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{case}: a message: {frame}"
    );
}

async fn alice_connections(app: &App) -> Vec<ConnectionId> {
    app.store
        .connections_of(&owner("alice"), Utc::now() - TimeDelta::hours(2))
        .await
        .unwrap()
}

#[tokio::test]
async fn connect_records_the_connection_and_disconnect_forgets_it() {
    let test = sqlite_store().await;
    let connected = invoke(&test.app, WsRoute::Connect, &event_json("ws-connect.json")).await;
    assert_eq!(connected.status_code, 200);
    assert_eq!(
        alice_connections(&test.app).await,
        vec![ConnectionId::new(CONNECTION).unwrap()]
    );

    let gone = invoke(
        &test.app,
        WsRoute::Disconnect,
        &event_json("ws-disconnect.json"),
    )
    .await;
    assert_eq!(gone.status_code, 200);
    assert!(alice_connections(&test.app).await.is_empty());
    let again = invoke(
        &test.app,
        WsRoute::Disconnect,
        &event_json("ws-disconnect.json"),
    )
    .await;
    assert_eq!(again.status_code, 200, "a repeated $disconnect is harmless");
}

#[tokio::test]
async fn connect_without_an_owner_is_refused_and_records_nothing() {
    let test = sqlite_store().await;
    let refused = invoke(
        &test.app,
        WsRoute::Connect,
        &event_json("ws-connect-no-owner.json"),
    )
    .await;
    assert_eq!(refused.status_code, 401);
    let body: Value = serde_json::from_slice(refused.body.as_ref().unwrap().as_ref()).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(alice_connections(&test.app).await.is_empty());
}

#[tokio::test]
async fn connect_sweeps_connections_past_api_gateways_two_hours() {
    let test = sqlite_store().await;
    let stale = goal_tracker::domain::Connection {
        id: ConnectionId::new("c3RhbGU=").unwrap(),
        owner: owner("bob"),
        connected_at: Utc::now() - TimeDelta::minutes(121),
    };
    test.app.store.add_connection(&stale).await.unwrap();
    invoke(&test.app, WsRoute::Connect, &event_json("ws-connect.json")).await;
    assert!(
        !test.app.store.remove_connection(&stale.id).await.unwrap(),
        "the stale row was swept"
    );
}

#[tokio::test]
async fn ping_gets_pong() {
    let test = sqlite_store().await;
    let response = invoke(
        &test.app,
        WsRoute::Default,
        &event_json("ws-default-ping.json"),
    )
    .await;
    assert_eq!(frame_of(&response), json!({ "type": "pong" }));
}

#[tokio::test]
async fn sync_sends_the_owners_goals_only_in_pages() {
    let test = sqlite_store().await;
    let store = test.app.store.as_ref();
    store
        .create(&owner("bob"), &new_goal("bob's"))
        .await
        .unwrap();
    let mut created = Vec::new();
    for n in 0..101 {
        created.push(
            store
                .create(&owner("alice"), &new_goal(&format!("goal {n}")))
                .await
                .unwrap(),
        );
    }
    let response = invoke(
        &test.app,
        WsRoute::Default,
        &event_json("ws-default-sync.json"),
    )
    .await;
    let first = frame_of(&response);
    assert_eq!(first["type"], "sync");
    let goals = first["goals"].as_array().expect("goals");
    assert_eq!(goals.len(), 100, "a page of the largest size");
    assert_eq!(goals[0], serde_json::to_value(&created[0]).unwrap());
    let cursor = first["next_cursor"].as_str().expect("a next cursor");

    let rest = reply_to(
        &test.app,
        &json!({ "action": "sync", "cursor": cursor }).to_string(),
    )
    .await;
    assert_eq!(rest["goals"], json!([created[100]]));
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn an_unknown_action_gets_an_error_frame() {
    let test = sqlite_store().await;
    let response = invoke(
        &test.app,
        WsRoute::Default,
        &event_json("ws-default-unknown-action.json"),
    )
    .await;
    assert_error_frame(&frame_of(&response), "unknown_action", "subscribe");
}

#[tokio::test]
async fn a_frame_that_is_not_json_gets_an_error_frame() {
    let test = sqlite_store().await;
    let response = invoke(
        &test.app,
        WsRoute::Default,
        &event_json("ws-default-not-json.json"),
    )
    .await;
    assert_error_frame(&frame_of(&response), "malformed_json", "not JSON");
}

#[tokio::test]
async fn messages_without_a_string_action_get_validation_errors() {
    let test = sqlite_store().await;
    for body in [
        "[]",
        "\"ping\"",
        "{}",
        r#"{"action":1}"#,
        r#"{"action":null}"#,
        r#"{"action":"sync","cursor":7}"#,
        r#"{"action":"sync","cursor":"not-a-cursor"}"#,
    ] {
        assert_error_frame(&reply_to(&test.app, body).await, "validation_failed", body);
    }
    assert_error_frame(&reply_to(&test.app, "").await, "malformed_json", "empty");
}

#[tokio::test]
async fn frames_over_32_kb_are_refused_and_32_kb_is_not() {
    let test = sqlite_store().await;
    let frame_of_size = |size: usize| {
        let head = r#"{"action":"ping","pad":""#;
        let tail = r#""}"#;
        format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
    };
    let largest = frame_of_size(MAX_FRAME_BYTES);
    assert_eq!(
        reply_to(&test.app, &largest).await,
        json!({ "type": "pong" })
    );
    let oversized = frame_of_size(MAX_FRAME_BYTES + 1);
    assert_error_frame(
        &reply_to(&test.app, &oversized).await,
        "payload_too_large",
        "32 KB + 1",
    );
}

#[tokio::test]
async fn a_binary_frame_is_read_from_base64() {
    let test = sqlite_store().await;
    let mut event = event_json("ws-default-ping.json");
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(r#"{"action":"ping"}"#));
    event["isBase64Encoded"] = json!(true);
    let response = invoke(&test.app, WsRoute::Default, &event).await;
    assert_eq!(frame_of(&response), json!({ "type": "pong" }));
}

#[test]
fn every_websocket_event_file_parses_and_belongs_to_the_route_it_is_named_for() {
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .expect("events/")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("ws-"))
        .collect();
    files.sort_unstable();
    for route in WS_ROUTES {
        let of_route: Vec<_> = files
            .iter()
            .filter(|file| {
                let stem = file.trim_end_matches(".json");
                stem == route.function
                    || stem
                        .strip_prefix(route.function)
                        .is_some_and(|case| case.starts_with('-'))
            })
            .collect();
        assert!(!of_route.is_empty(), "no event for {}", route.function);
        for file in of_route {
            let json = event_json(file);
            let event = ws_event(&json);
            let context = &event.request_context;
            assert_eq!(
                context.route_key.as_deref(),
                Some(route.key),
                "{file}: routeKey"
            );
            assert_eq!(
                context.connection_id.as_deref(),
                Some(CONNECTION),
                "{file}: connectionId"
            );
            for field in [
                "apiId",
                "domainName",
                "stage",
                "requestId",
                "eventType",
                "messageDirection",
            ] {
                assert!(
                    json["requestContext"][field]
                        .as_str()
                        .is_some_and(|v| !v.is_empty()),
                    "{file}: requestContext.{field}"
                );
            }
        }
    }
}
