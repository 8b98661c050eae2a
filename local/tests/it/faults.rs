//! The database away and back, through the local gateway over real HTTP and WebSocket, on a
//! PostgreSQL server of the test's own ([`testkit::PrivatePostgres`]) so that it can be
//! restarted without disturbing anyone else's tests.
//!
//! - While the database is away, every route (REST, WebSocket, the authorizer's key check)
//!   answers 503 `service_unavailable` with `Retry-After`, within the acquire timeout; once it
//!   is back, the next request succeeds.
//! - Writers that retry on 503 (and 409) with the same `Idempotency-Key`, while PostgreSQL
//!   restarts (directly, and behind PgBouncer in transaction mode) or PgBouncer is killed and
//!   restarted: every acknowledged write exists exactly once, no status but 201/409/503, every
//!   503 has `Retry-After`, and the first success comes within 5 s of the database (or proxy)
//!   accepting connections again. Each prints its recovery time (`bench/recovery.sh` runs them).

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use goal_tracker::store::ACQUIRE_TIMEOUT;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use testkit::{PgBouncer, PrivatePostgres, ProxyAuth, TestPostgres};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

use crate::helpers::{
    app_on, client_for, options, send_json, spawn_gateway, start_gateway, TestGateway,
};

/// Concurrent writers, as many clients retrying at once.
const WRITERS: usize = 8;
/// Load before the fault, and after the database is back.
const LOAD_BEFORE: Duration = Duration::from_millis(800);
const LOAD_AFTER: Duration = Duration::from_millis(1500);
/// How long the database (or proxy) stays away: longer than the acquire timeout, so requests
/// waiting for a connection give up with a 503 and are retried.
const OUTAGE: Duration = Duration::from_millis(ACQUIRE_TIMEOUT.as_millis() as u64 + 500);
/// The longest the first success may take once the database accepts connections again.
const RECOVERY_BOUND: Duration = Duration::from_secs(5);
/// The longest a write is retried before the writer gives up on it (it then counts as not
/// acknowledged, and the test fails on the statuses or the recovery bound anyway).
const GIVE_UP_AFTER: Duration = Duration::from_secs(20);
/// A 503 must come quickly: the acquire timeout, and a little for the rest.
const ANSWER_BOUND: Duration = Duration::from_secs(ACQUIRE_TIMEOUT.as_secs() + 2);

/// A private server with a fresh database on it, or `None` (a reported skip).
async fn private_database(test: &str) -> Option<(PrivatePostgres, TestPostgres)> {
    let server = PrivatePostgres::start(test)?;
    let database = testkit::postgres_database_on(test, &server.admin_url()).await?;
    Some((server, database))
}

/// Waits until PostgreSQL (or PgBouncer) at `url` lets a client log in; that moment.
async fn accepting(url: &str) -> Instant {
    // Without `extra_float_digits`, which PgBouncer refuses at login.
    let options = PgConnectOptions::from_str(url)
        .expect("a PostgreSQL URL")
        .extra_float_digits(None);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(connection) = PgConnection::connect_with(&options).await {
            let _ = connection.close().await;
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "{url} did not come back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Restarts the private server as an administrator would: stopped, away for [`OUTAGE`],
/// started. When it went down and when it accepted connections again.
async fn restart_postgres(server: &PrivatePostgres, url: &str) -> (Instant, Instant) {
    tokio::task::block_in_place(|| server.stop());
    let down = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    tokio::task::block_in_place(|| server.spawn_start());
    (down, accepting(url).await)
}

/// `Retry-After` of a response, in whole seconds.
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// What the writers saw.
#[derive(Default)]
struct Load {
    /// Every status, with whether it carried `Retry-After`, and when it came.
    answers: Vec<(u16, bool, Instant)>,
    /// Every acknowledged write: goal name → the id the answer gave.
    acknowledged: BTreeMap<String, i64>,
    /// Writes given up on.
    abandoned: Vec<String>,
}

/// One client: creates goals one after another, each with its own key, retrying a write on
/// 503 and 409 with the same key after `Retry-After`, until `stop` is set.
async fn writer(client: Client, base: String, number: usize, stop: Arc<AtomicBool>) -> Load {
    let mut load = Load::default();
    for write in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let name = format!("writer {number} write {write}");
        let started = Instant::now();
        loop {
            let sent = client
                .post(format!("{base}/goals"))
                .header("idempotency-key", format!("w{number}-{write}"))
                .json(&json!({ "name": name }))
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => panic!("writer {number}: the gateway dropped a request: {error}"),
            };
            let status = response.status().as_u16();
            let wait = retry_after(&response);
            load.answers.push((status, wait.is_some(), Instant::now()));
            if status == 201 {
                let goal: Value = response.json().await.expect("a goal");
                load.acknowledged
                    .insert(name, goal["id"].as_i64().expect("an id"));
                break;
            }
            if !matches!(status, 409 | 503) || started.elapsed() > GIVE_UP_AFTER {
                load.abandoned.push(name);
                break;
            }
            tokio::time::sleep(Duration::from_secs(wait.unwrap_or(1))).await;
        }
    }
    load
}

/// Runs [`WRITERS`] writers against `gateway` through `fault`, which returns when the database
/// went away and when it accepted connections again, then checks every guarantee against the
/// database at `database_url`. Prints and returns the recovery time.
async fn writers_through<F>(
    scenario: &str,
    gateway: &TestGateway,
    database_url: &str,
    fault: F,
) -> Duration
where
    F: Future<Output = (Instant, Instant)>,
{
    let key = gateway.issue_key("writer").await;
    let client = client_for(&key);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|number| {
            tokio::spawn(writer(
                client.clone(),
                gateway.base.clone(),
                number,
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(LOAD_BEFORE).await;
    let (down, back) = fault.await;
    tokio::time::sleep(LOAD_AFTER).await;
    stop.store(true, Ordering::Relaxed);
    let mut load = Load::default();
    for writer in writers {
        let done = writer.await.expect("a writer finished");
        load.answers.extend(done.answers);
        load.acknowledged.extend(done.acknowledged);
        load.abandoned.extend(done.abandoned);
    }

    let mut statuses = BTreeMap::new();
    for (status, _, _) in &load.answers {
        *statuses.entry(*status).or_insert(0) += 1;
    }
    let first_success = load
        .answers
        .iter()
        .filter(|(status, _, at)| *status == 201 && *at > down)
        .map(|(_, _, at)| *at)
        .min()
        .expect("a write succeeded after the fault");
    let recovery = first_success.saturating_duration_since(back);
    println!(
        "recovery ({scenario}): first success {} ms after the database accepted connections again; \
         statuses {statuses:?}; {} writes acknowledged",
        recovery.as_millis(),
        load.acknowledged.len()
    );

    assert!(
        statuses
            .keys()
            .all(|status| matches!(status, 201 | 409 | 503)),
        "{scenario}: only 201, 409 and 503: {statuses:?}"
    );
    assert!(
        statuses.get(&503).is_some_and(|n| *n > 0),
        "{scenario}: the fault reached the writers as 503s: {statuses:?}"
    );
    assert!(
        load.answers
            .iter()
            .all(|(status, retry_after, _)| *status != 503 || *retry_after),
        "{scenario}: every 503 has Retry-After"
    );
    assert!(
        load.abandoned.is_empty(),
        "{scenario}: writes given up: {:?}",
        load.abandoned
    );
    assert!(
        recovery <= RECOVERY_BOUND,
        "{scenario}: the first success came {recovery:?} after the database was back"
    );

    // Every acknowledged write exists exactly once, with the id its answer gave; nothing else
    // (no doubled write) is there.
    let mut database = PgConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, id FROM goals ORDER BY id")
        .fetch_all(&mut database)
        .await
        .unwrap();
    let mut stored: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (name, id) in rows {
        stored.entry(name).or_default().push(id);
    }
    let doubled: Vec<_> = stored.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        doubled.is_empty(),
        "{scenario}: writes stored twice: {doubled:?}"
    );
    for (name, id) in &load.acknowledged {
        assert_eq!(
            stored.get(name),
            Some(&vec![*id]),
            "{scenario}: the acknowledged write {name:?} is stored once, as goal {id}"
        );
    }
    assert_eq!(
        stored.len(),
        load.acknowledged.len(),
        "{scenario}: nothing but the acknowledged writes is stored"
    );
    recovery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_retrying_with_their_keys_lose_and_double_nothing_across_a_postgres_restart() {
    let test = "faults::writers_retrying_with_their_keys_lose_and_double_nothing_across_a_postgres_restart";
    let Some((server, database)) = private_database(test).await else {
        return;
    };
    let gateway = start_gateway(&database.url).await;
    writers_through(
        "PostgreSQL restarted",
        &gateway,
        &database.url,
        restart_postgres(&server, &database.url),
    )
    .await;
}

/// The database migrated directly, and a gateway on PgBouncer in front of it.
async fn gateway_behind_pgbouncer(
    test: &str,
    database: &TestPostgres,
) -> Option<(PgBouncer, TestGateway)> {
    app_on(&database.url).await.store.migrate().await.unwrap();
    let proxy = PgBouncer::start(test, database, 4)?;
    let gateway = spawn_gateway(app_on(&proxy.url).await, options(Duration::from_secs(30))).await;
    Some((proxy, gateway))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_behind_pgbouncer_lose_and_double_nothing_across_a_postgres_restart() {
    let test = "faults::writers_behind_pgbouncer_lose_and_double_nothing_across_a_postgres_restart";
    let Some((server, database)) = private_database(test).await else {
        return;
    };
    let Some((_proxy, gateway)) = gateway_behind_pgbouncer(test, &database).await else {
        return;
    };
    writers_through(
        "PostgreSQL restarted behind PgBouncer",
        &gateway,
        &database.url,
        restart_postgres(&server, &database.url),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_lose_and_double_nothing_when_pgbouncer_is_killed_and_restarted() {
    let test = "faults::writers_lose_and_double_nothing_when_pgbouncer_is_killed_and_restarted";
    let Some((_server, database)) = private_database(test).await else {
        return;
    };
    let Some((proxy, gateway)) = gateway_behind_pgbouncer(test, &database).await else {
        return;
    };
    let port = proxy.port;
    let proxy_url = proxy.url.clone();
    let mut restarted = None;
    let fault = async {
        drop(proxy); // SIGKILL: no goodbye to its clients.
        let down = Instant::now();
        tokio::time::sleep(OUTAGE).await;
        restarted = tokio::task::block_in_place(|| {
            PgBouncer::start_with(test, &database, 4, ProxyAuth::Trust, Some(port))
        });
        (down, accepting(&proxy_url).await)
    };
    writers_through(
        "PgBouncer killed and restarted",
        &gateway,
        &database.url,
        fault,
    )
    .await;
}

// --- every route ------------------------------------------------------------------------------

/// The outcome of a WebSocket upgrade: its status and `Retry-After`.
async fn ws_upgrade(base: &str, key: &str) -> (u16, Option<String>) {
    let url = format!("{}/ws?api_key={key}", base.replacen("http://", "ws://", 1));
    match tokio_tungstenite::connect_async(url).await {
        Ok((_, response)) => (response.status().as_u16(), None),
        Err(tungstenite::Error::Http(response)) => (
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ),
        Err(error) => panic!("the upgrade failed without an answer: {error}"),
    }
}

/// Sends `{"action":"sync"}` and returns its answer, passing over pushed goal changes.
async fn sync_answer(socket: &mut Socket) -> Value {
    socket
        .send(Message::text(r#"{"action":"sync"}"#))
        .await
        .unwrap();
    loop {
        if let Message::Text(text) = socket.next().await.expect("a frame").expect("readable") {
            let frame: Value = serde_json::from_str(&text).unwrap();
            if !frame["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("goal."))
            {
                return frame;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_503_with_retry_after_while_postgres_is_away_and_works_once_it_is_back()
{
    let test = "faults::every_route_answers_503_with_retry_after_while_postgres_is_away_and_works_once_it_is_back";
    let Some((server, database)) = private_database(test).await else {
        return;
    };
    let gateway = start_gateway(&database.url).await;
    let base = gateway.base.clone();
    // One key the authorizer has checked (and caches), one it has never seen.
    let known = gateway.issue_key("alice").await;
    let unseen = gateway.issue_key("alice").await;
    let alice = client_for(&known);
    let created: Value = send_json(
        alice
            .post(format!("{base}/goals"))
            .json(&json!({ "name": "before the outage" })),
    )
    .await;
    let goal = format!("{base}/goals/{}", created["id"]);
    let ws = format!(
        "{}/ws?api_key={known}",
        base.replacen("http://", "ws://", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();

    tokio::task::block_in_place(|| server.stop());
    let anonymous = Client::new();
    let requests = vec![
        ("GET /health", anonymous.get(format!("{base}/health"))),
        ("GET /goals", alice.get(format!("{base}/goals"))),
        (
            "POST /goals",
            alice
                .post(format!("{base}/goals"))
                .json(&json!({ "name": "x" })),
        ),
        (
            "POST /goals with a key",
            alice
                .post(format!("{base}/goals"))
                .header("idempotency-key", "away")
                .json(&json!({ "name": "x" })),
        ),
        ("GET /goals/{id}", alice.get(&goal)),
        (
            "PATCH /goals/{id}",
            alice.patch(&goal).json(&json!({ "completed": true })),
        ),
        ("DELETE /goals/{id}", alice.delete(&goal)),
        (
            "GET /goals with a key the authorizer must look up",
            client_for(&unseen).get(format!("{base}/goals")),
        ),
    ];
    let started = Instant::now();
    let rest =
        futures_util::future::join_all(requests.into_iter().map(|(route, request)| async move {
            let response = request
                .send()
                .await
                .expect("an answer, not a dropped connection");
            let status = response.status();
            let retry = retry_after(&response);
            let body: Value = response.json().await.expect("a JSON error");
            (
                route,
                status,
                retry,
                body["error"]["code"].clone(),
                started.elapsed(),
            )
        }));
    let upgrades =
        futures_util::future::join(ws_upgrade(&base, &known), ws_upgrade(&base, &unseen));
    let (rest, (ws_known, ws_unseen), frame) =
        tokio::join!(rest, upgrades, sync_answer(&mut socket));
    for (route, status, retry, code, took) in rest {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{route}");
        assert_eq!(code, "service_unavailable", "{route}");
        assert!(retry.is_some(), "{route}: Retry-After");
        assert!(took < ANSWER_BOUND, "{route}: answered after {took:?}");
    }
    for (what, (status, retry)) in [("cached key", ws_known), ("unseen key", ws_unseen)] {
        assert_eq!(status, 503, "WebSocket upgrade with the {what}");
        assert!(
            retry.is_some(),
            "WebSocket upgrade with the {what}: Retry-After"
        );
    }
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["error"]["code"], "service_unavailable", "{frame}");

    tokio::task::block_in_place(|| server.start_again());
    // The next request of each kind succeeds: no restart of the gateway.
    let health = anonymous
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let unseen_list = client_for(&unseen)
        .get(format!("{base}/goals"))
        .send()
        .await
        .unwrap();
    assert_eq!(unseen_list.status(), 200);
    let patched = alice
        .patch(&goal)
        .json(&json!({ "completed": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(ws_upgrade(&base, &unseen).await.0, 101);
    let frame = sync_answer(&mut socket).await;
    assert_eq!(frame["type"], "sync", "{frame}");
}
