//! The WebSocket API on the local gateway, over real WebSockets, on SQLite and PostgreSQL:
//! pushes of goal changes, pruning of dead connections, the `$default` answers, and the
//! Management API.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures_util::{SinkExt, StreamExt};
use goal_tracker::domain::{Connection, ConnectionId, Owner};
use goal_tracker::handlers::App;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{client_for, start_gateway};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a pushed change may take to arrive.
const DELIVERY: Duration = Duration::from_secs(1);

/// A gateway on `url` and a key issued for `owner`: its base URL, its app, the key.
async fn start(url: &str, owner: &str) -> (String, App, String) {
    let gateway = start_gateway(url).await;
    let key = gateway.issue_key(owner).await;
    (gateway.base, gateway.app, key)
}

/// The gateway's `/ws` URL with `key` where browsers send it, in the `api_key` parameter.
fn ws_url(base: &str, key: &str) -> String {
    format!("{}/ws?api_key={key}", base.replacen("http://", "ws://", 1))
}

async fn connect(base: &str, key: &str) -> Socket {
    let url = ws_url(base, key);
    let (socket, response) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the WebSocket upgrade succeeds");
    assert_eq!(response.status(), 101);
    socket
}

/// The next text frame within [`DELIVERY`], as JSON.
async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(DELIVERY, socket.next())
            .await
            .expect("a frame within 1 s")
            .expect("the connection is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("a JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Sends `text` and returns the answer.
async fn ask(socket: &mut Socket, text: &str) -> Value {
    socket.send(Message::text(text)).await.expect("sent");
    next_frame(socket).await
}

/// The connection is open, and nothing was queued for it before the pong.
async fn assert_open_and_idle(socket: &mut Socket, case: &str) {
    assert_eq!(
        ask(socket, r#"{"action":"ping"}"#).await,
        json!({ "type": "pong" }),
        "{case}"
    );
}

fn owner(name: &str) -> Owner {
    Owner::new(name).unwrap()
}

async fn connections_of(app: &App, name: &str) -> Vec<ConnectionId> {
    app.store
        .connections_of(&owner(name), Utc::now() - TimeDelta::hours(2))
        .await
        .unwrap()
}

/// Waits (up to [`DELIVERY`]) until `name` has `count` connection rows.
async fn await_connections(app: &App, name: &str, count: usize) -> Vec<ConnectionId> {
    let deadline = tokio::time::Instant::now() + DELIVERY;
    loop {
        let rows = connections_of(app, name).await;
        if rows.len() == count || tokio::time::Instant::now() > deadline {
            assert_eq!(rows.len(), count, "{name}'s connection rows: {rows:?}");
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Runs a case on a fresh SQLite file and on a fresh PostgreSQL database.
macro_rules! on_both_engines {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let sqlite = testkit::sqlite_database();
                    super::$case(&sqlite.url).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let test = concat!(module_path!(), "::", stringify!($case));
                    let Some(postgres) = testkit::postgres_database(test).await else {
                        return;
                    };
                    super::$case(&postgres.url).await;
                    postgres.drop_database().await;
                }
            )*
        }
    };
}

on_both_engines!(
    changes_reach_every_connection_of_the_owner_in_order_and_no_one_elses,
    a_dead_connection_is_pruned_on_push_and_a_disconnect_removes_its_row,
    default_answers_ping_sync_and_errors_and_stays_open,
    the_management_api_describes_closes_and_refuses,
);

/// Alice's two clients on one gateway, Bob's on another gateway on the same database: as in
/// AWS, every connection row is in the one table, and only the owner scopes the push.
async fn changes_reach_every_connection_of_the_owner_in_order_and_no_one_elses(url: &str) {
    let (alice_base, app, alice_key) = start(url, "alice").await;
    let (bob_base, _, bob_key) = start(url, "bob").await;
    let mut alice_1 = connect(&alice_base, &alice_key).await;
    let mut alice_2 = connect(&alice_base, &alice_key).await;
    let mut bob = connect(&bob_base, &bob_key).await;
    await_connections(&app, "alice", 2).await;
    await_connections(&app, "bob", 1).await;

    let client = client_for(&alice_key);
    let created = client
        .post(format!("{alice_base}/goals"))
        .json(&json!({ "name": "run a marathon" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = json_of(created).await;
    let goal_url = format!("{alice_base}/goals/{}", created["id"]);
    // Bob, with his own valid key, tries alice's goal: a 404, and no event for anyone.
    let bob_client = client_for(&bob_key);
    let bobs_goal_url = format!("{bob_base}/goals/{}", created["id"]);
    let bobs_patch = bob_client
        .patch(&bobs_goal_url)
        .json(&json!({ "name": "hijacked" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bobs_patch.status(), StatusCode::NOT_FOUND);
    let bobs_delete = bob_client.delete(&bobs_goal_url).send().await.unwrap();
    assert_eq!(bobs_delete.status(), StatusCode::NOT_FOUND);
    let updated = json_of(
        client
            .patch(&goal_url)
            .json(&json!({ "completed": true }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let deleted = client.delete(&goal_url).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    for (n, socket) in [&mut alice_1, &mut alice_2].into_iter().enumerate() {
        let case = format!("alice's client {n}");
        assert_eq!(
            next_frame(socket).await,
            json!({ "type": "goal.created", "goal": created }),
            "{case}"
        );
        assert_eq!(
            next_frame(socket).await,
            json!({ "type": "goal.updated", "goal": updated }),
            "{case}"
        );
        assert_eq!(
            next_frame(socket).await,
            json!({ "type": "goal.deleted", "goal": updated }),
            "{case}: the deleted goal as it was"
        );
        assert_open_and_idle(socket, &case).await;
    }
    assert_open_and_idle(&mut bob, "bob received none of alice's changes").await;
    assert_eq!(
        connections_of(&app, "bob").await.len(),
        1,
        "bob's connection was never pushed to, so never pruned"
    );
}

async fn a_dead_connection_is_pruned_on_push_and_a_disconnect_removes_its_row(url: &str) {
    let (base, app, key) = start(url, "alice").await;

    // A clean close: `$disconnect` removes the row.
    let mut closing = connect(&base, &key).await;
    await_connections(&app, "alice", 1).await;
    closing.close(None).await.unwrap();
    await_connections(&app, "alice", 0).await;

    // Gone without a close frame: the gateway notices the TCP close and disconnects it too.
    let dropped = connect(&base, &key).await;
    await_connections(&app, "alice", 1).await;
    drop(dropped);
    await_connections(&app, "alice", 0).await;

    // A row whose `$disconnect` never came (API Gateway's is best-effort): the next push gets
    // 410 Gone for it and removes it, and the write still succeeds.
    let mut live = connect(&base, &key).await;
    await_connections(&app, "alice", 1).await;
    let lost = ConnectionId::new("bG9zdGxvc3Q=").unwrap();
    app.store
        .add_connection(&Connection {
            id: lost.clone(),
            owner: owner("alice"),
            connected_at: Utc::now(),
        })
        .await
        .unwrap();
    assert_eq!(connections_of(&app, "alice").await.len(), 2);
    let created = client_for(&key)
        .post(format!("{base}/goals"))
        .json(&json!({ "name": "prune" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let rows = connections_of(&app, "alice").await;
    assert!(
        !rows.contains(&lost),
        "the gone connection was pruned by the push: {rows:?}"
    );
    assert_eq!(rows.len(), 1, "the live one stays");
    assert_eq!(next_frame(&mut live).await["type"], "goal.created");
}

async fn default_answers_ping_sync_and_errors_and_stays_open(url: &str) {
    let (base, _app, key) = start(url, "alice").await;
    let client = client_for(&key);
    let goal = json_of(
        client
            .post(format!("{base}/goals"))
            .json(&json!({ "name": "before connecting" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut socket = connect(&base, &key).await;
    assert_eq!(
        ask(&mut socket, r#"{"action":"ping"}"#).await,
        json!({ "type": "pong" })
    );
    assert_eq!(
        ask(&mut socket, r#"{"action":"sync"}"#).await,
        json!({ "type": "sync", "goals": [goal], "next_cursor": null })
    );
    let oversized = format!(r#"{{"action":"ping","pad":"{}"}}"#, "x".repeat(40 * 1024));
    for (frame, code) in [
        (r#"{"action":"subscribe"}"#, "unknown_action"),
        ("not json", "malformed_json"),
        (r#"{"no":"action"}"#, "validation_failed"),
        (oversized.as_str(), "payload_too_large"),
    ] {
        let reply = ask(&mut socket, frame).await;
        assert_eq!(reply["type"], "error", "{code}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{reply}");
        assert_open_and_idle(&mut socket, code).await;
    }
    socket
        .send(Message::binary(br#"{"action":"ping"}"#.to_vec()))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut socket).await, json!({ "type": "pong" }));
}

async fn the_management_api_describes_closes_and_refuses(url: &str) {
    let (base, app, key) = start(url, "alice").await;
    let addr = base.trim_start_matches("http://").parse().unwrap();
    let management = local::management::local_client(addr).await;
    let mut socket = connect(&base, &key).await;
    let id = await_connections(&app, "alice", 1).await.remove(0);

    let described = management
        .get_connection()
        .connection_id(id.as_str())
        .send()
        .await
        .expect("GET /@connections/{id}");
    assert!(described.connected_at().is_some());
    assert_eq!(
        described
            .identity()
            .and_then(|identity| identity.source_ip()),
        Some("127.0.0.1")
    );

    management
        .post_to_connection()
        .connection_id(id.as_str())
        .data(br#"{"hello":"there"}"#.to_vec().into())
        .send()
        .await
        .expect("POST /@connections/{id}");
    assert_eq!(next_frame(&mut socket).await, json!({ "hello": "there" }));

    management
        .delete_connection()
        .connection_id(id.as_str())
        .send()
        .await
        .expect("DELETE /@connections/{id}");
    let closed = tokio::time::timeout(DELIVERY, socket.next()).await.unwrap();
    assert!(
        matches!(closed, Some(Ok(Message::Close(_))) | None),
        "the client is closed: {closed:?}"
    );
    await_connections(&app, "alice", 0).await;

    let gone = management
        .post_to_connection()
        .connection_id(id.as_str())
        .data(b"late".to_vec().into())
        .send()
        .await
        .expect_err("a closed connection is gone");
    assert!(
        gone.as_service_error()
            .is_some_and(|e| e.is_gone_exception()),
        "{gone:?}"
    );

    let unsigned = Client::new()
        .post(format!("{base}/@connections/{}", id.as_str()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
}
