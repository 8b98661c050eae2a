//! Only the owner gets in: keys on every route but `/health` and on the WebSocket upgrade,
//! each owner isolated from the others, CORS for the configured origins only, the OpenAPI document, the body limit, the
//! dev key and the `keys` subcommand, and no key material in the log.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures_util::{SinkExt, StreamExt};
use goal_tracker::domain::{ConnectionId, Owner};
use goal_tracker::routes::{Endpoint, ROUTES};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::helpers::{
    client_for, keys_command, options, printed_keys, send_json, start_gateway, start_gateway_with,
    GatewayProcess, TestGateway, ALLOWED_ORIGIN,
};

/// A request to `route` with its `{id}` set and, for writes, a valid body: with the right key
/// it would succeed, so the key is the only thing a test varies.
fn request_for(
    client: &Client,
    base: &str,
    method: &Method,
    path: &str,
    id: i64,
) -> RequestBuilder {
    let url = format!("{base}{}", path.replace("{id}", &id.to_string()));
    let request = client.request(method.clone(), url);
    match *method {
        Method::POST | Method::PATCH => request.json(&json!({ "name": "a goal" })),
        _ => request,
    }
}

async fn assert_unauthorized(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{case}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{case}: {body}");
}

async fn create_goal(client: &Client, base: &str, name: &str) -> Value {
    let response = client
        .post(format!("{base}/goals"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_route_but_health_refuses_a_missing_garbled_foreign_or_revoked_key() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let base = &gateway.base;
    let valid = gateway.issue_key("alice").await;
    let goal = create_goal(&client_for(&valid), base, "exists").await;
    let id = goal["id"].as_i64().unwrap();
    let (revoked, revoked_id) = gateway.issue_key_with_id("alice").await;
    gateway.revoke(revoked_id).await;
    let foreign_prefix = valid.replacen("gt_", "sk_", 1);
    let truncated = valid[..valid.len() - 1].to_owned();

    let keys: [(&str, Option<&str>); 6] = [
        ("no key", None),
        ("a garbled key", Some("garbled")),
        ("another prefix", Some(&foreign_prefix)),
        ("a truncated key", Some(&truncated)),
        (
            "a well-formed unknown key",
            Some("gt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        ("a revoked key", Some(&revoked)),
    ];
    let client = Client::new();
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.endpoint != Endpoint::Health) {
        for (what, key) in &keys {
            let forms: Vec<(&str, Option<String>)> = match key {
                None => vec![("no header", None)],
                Some(key) => vec![
                    ("Authorization: Bearer", Some(format!("Bearer {key}"))),
                    ("X-API-Key", Some((*key).to_owned())),
                ],
            };
            for (form, value) in forms {
                let mut request = request_for(&client, base, &route.method, route.path, id);
                match (form, value) {
                    ("X-API-Key", Some(value)) => request = request.header("x-api-key", value),
                    (_, Some(value)) => request = request.header("authorization", value),
                    _ => {}
                }
                let case = format!("{} with {what} in {form}", route.key());
                assert_unauthorized(request.send().await.unwrap(), &case).await;
                checked += 1;
            }
        }
        let basic = request_for(&client, base, &route.method, route.path, id)
            .header("authorization", format!("Basic {valid}"));
        assert_unauthorized(basic.send().await.unwrap(), "a key in another scheme").await;
    }
    assert_eq!(checked, 5 * 11);

    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "/health needs no key");
    let still_there = client_for(&valid)
        .get(format!("{base}/goals/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(still_there.status(), StatusCode::OK, "nothing changed");
}

#[tokio::test]
async fn both_header_forms_carry_a_valid_key() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let key = gateway.issue_key("alice").await;
    let client = Client::new();
    for request in [
        client
            .get(format!("{}/goals", gateway.base))
            .header("authorization", format!("Bearer {key}")),
        client
            .get(format!("{}/goals", gateway.base))
            .header("authorization", format!("bearer {key}")),
        client
            .get(format!("{}/goals", gateway.base))
            .header("x-api-key", &key),
    ] {
        assert_eq!(request.send().await.unwrap().status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_key_revoked_after_use_stops_working_once_the_cache_ttl_has_passed() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway_with(&sqlite.url, options(Duration::ZERO)).await;
    let (key, id) = gateway.issue_key_with_id("alice").await;
    let client = client_for(&key);
    let url = format!("{}/goals", gateway.base);
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    gateway.revoke(id).await;
    assert_unauthorized(client.get(&url).send().await.unwrap(), "revoked, no cache").await;
}

/// Owner B, with a valid key of their own, against each of owner A's resources, route by route.
async fn isolation_matrix(gateway: &TestGateway) {
    let base = &gateway.base;
    let alice = client_for(&gateway.issue_key("alice").await);
    let bob = client_for(&gateway.issue_key("bob").await);
    let goal = create_goal(&alice, base, "alice's secret plan").await;
    let id = goal["id"].as_i64().unwrap();
    let missing_id = id + 1_000;

    for route in ROUTES {
        let case = format!("bob: {}", route.key());
        let response = request_for(&bob, base, &route.method, route.path, id)
            .send()
            .await
            .unwrap();
        match route.endpoint {
            Endpoint::Health => assert_eq!(response.status(), StatusCode::OK, "{case}"),
            Endpoint::ListGoals => {
                assert_eq!(response.status(), StatusCode::OK, "{case}");
                let page: Value = response.json().await.unwrap();
                assert_eq!(page["goals"], json!([]), "{case}: bob listed alice's goals");
            }
            Endpoint::CreateGoal => {
                assert_eq!(response.status(), StatusCode::CREATED, "{case}");
                let created: Value = response.json().await.unwrap();
                let alices: Value = send_json(alice.get(format!("{base}/goals"))).await;
                assert_eq!(
                    alices["goals"],
                    json!([goal.clone()]),
                    "{case}: bob's goal {created} reached alice"
                );
            }
            Endpoint::GetGoal | Endpoint::UpdateGoal | Endpoint::DeleteGoal => {
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{case}: not 403");
                let body: Value = response.json().await.unwrap();
                // Exactly what a goal that does not exist gets: existence is not leaked.
                let missing: Value = request_for(&bob, base, &route.method, route.path, missing_id)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(body, missing, "{case}");
            }
        }
    }

    let unchanged: Value = send_json(alice.get(format!("{base}/goals/{id}"))).await;
    assert_eq!(unchanged, goal, "bob changed alice's goal");
}

#[tokio::test]
async fn an_owner_can_never_reach_another_owners_goals_on_sqlite() {
    let sqlite = testkit::sqlite_database();
    isolation_matrix(&start_gateway(&sqlite.url).await).await;
}

#[tokio::test]
async fn an_owner_can_never_reach_another_owners_goals_on_postgres() {
    let Some(postgres) = testkit::postgres_database(
        "auth::an_owner_can_never_reach_another_owners_goals_on_postgres",
    )
    .await
    else {
        return;
    };
    let gateway = start_gateway(&postgres.url).await;
    isolation_matrix(&gateway).await;
    drop(gateway);
    postgres.drop_database().await;
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let key = gateway.issue_key("alice").await;
    let client = Client::new();
    let url = format!("{}/goals", gateway.base);

    let preflight = |origin: &str| {
        client
            .request(Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
    };
    let allowed = preflight(ALLOWED_ORIGIN).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT, "no key needed");
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], ALLOWED_ORIGIN);
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let allowed_headers = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("x-api-key"));
    assert!(
        allowed_headers.contains("idempotency-key"),
        "{allowed_headers}"
    );

    let foreign = preflight("https://evil.example").send().await.unwrap();
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let get = |origin: &'static str| {
        client
            .get(&url)
            .header("origin", origin)
            .header("x-api-key", &key)
    };
    let response = get(ALLOWED_ORIGIN).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    assert_eq!(
        response.headers()["access-control-expose-headers"],
        "idempotent-replayed, location, retry-after"
    );
    let response = get("https://evil.example").send().await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let unauthorized = client
        .get(&url)
        .header("origin", ALLOWED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unauthorized.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN,
        "a browser can read the 401"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_key() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let response = reqwest::get(format!("{}/openapi.json", gateway.base))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(testkit::workspace_root().join("openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed);
    let post = Client::new()
        .post(format!("{}/openapi.json", gateway.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read_whole() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let key = gateway.issue_key("alice").await;
    let url = format!("{}/goals", gateway.base);
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(4 * 1024 * 1024));

    let anonymous = Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_unauthorized(anonymous, "no key: refused before the body").await;

    let response = client_for(&key)
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn a_first_start_issues_a_dev_key_once_and_it_works() {
    let sqlite = testkit::sqlite_database();
    let env = [
        ("DATABASE_URL", sqlite.url.as_str()),
        ("DEV_OWNER", "newcomer"),
    ];
    let mut first = GatewayProcess::start(&env);
    first.wait_until_listening().await;
    let key = first.dev_key().await;
    let client = client_for(&key);
    let goal = create_goal(&client, &first.base, "first goal").await;
    assert_eq!(goal["name"], "first goal");
    let output = first.stop().await;
    assert_eq!(printed_keys(&output), vec![key.clone()], "{output}");

    let mut second = GatewayProcess::start(&env);
    second.wait_until_listening().await;
    let listed = client
        .get(format!("{}/goals", second.base))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK, "the dev key still works");
    let output = second.stop().await;
    assert!(
        printed_keys(&output).is_empty(),
        "a second key was printed:\n{output}"
    );

    let (ok, listing) = keys_command(&sqlite.url, &["list"]).await;
    assert!(ok, "{listing}");
    assert!(listing.contains("newcomer"), "{listing}");
    assert_eq!(listing.lines().count(), 2, "one key:\n{listing}");
}

#[tokio::test]
async fn the_keys_subcommand_creates_lists_and_revokes() {
    let sqlite = testkit::sqlite_database();
    let (ok, created) = keys_command(&sqlite.url, &["create", "alice"]).await;
    assert!(ok, "{created}");
    let key = printed_keys(&created).pop().expect("the new key");
    let (_, bob_created) = keys_command(&sqlite.url, &["create", "bob"]).await;
    assert_eq!(printed_keys(&bob_created).len(), 1);

    let (ok, listing) = keys_command(&sqlite.url, &["list", "alice"]).await;
    assert!(ok, "{listing}");
    assert!(
        listing.contains("alice") && !listing.contains("bob"),
        "{listing}"
    );
    assert!(
        listing.contains(&key[..9]),
        "the prefix is listed: {listing}"
    );
    assert!(!listing.contains(&key), "the key is never listed again");
    let (_, everyone) = keys_command(&sqlite.url, &["list"]).await;
    assert!(
        everyone.contains("alice") && everyone.contains("bob"),
        "{everyone}"
    );

    let gateway = start_gateway(&sqlite.url).await;
    let client = client_for(&key);
    let url = format!("{}/goals", gateway.base);
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );

    let id = listing
        .lines()
        .nth(1)
        .and_then(|row| row.split_whitespace().next())
        .expect("a key id")
        .to_owned();
    let (ok, revoked) = keys_command(&sqlite.url, &["revoke", &id]).await;
    assert!(ok && revoked.contains("revoked"), "{revoked}");
    let (_, listing) = keys_command(&sqlite.url, &["list", "alice"]).await;
    assert!(
        !listing.trim_end().ends_with('-'),
        "revoked_at is set: {listing}"
    );
    let fresh = start_gateway(&sqlite.url).await;
    let response = client
        .get(format!("{}/goals", fresh.base))
        .send()
        .await
        .unwrap();
    assert_unauthorized(response, "a revoked key").await;

    for (args, expected) in [
        (vec!["revoke", "999"], "no API key has id 999"),
        (vec!["create", " "], "owner must be"),
        (vec!["drop", "all"], "usage"),
    ] {
        let (ok, output) = keys_command(&sqlite.url, &args).await;
        assert!(!ok && output.contains(expected), "{args:?}: {output}");
    }
}

/// Every substring of 12 characters of the keys' random parts: none may reach the log.
fn key_fragments(keys: &[String]) -> Vec<String> {
    keys.iter()
        .flat_map(|key| {
            let random = key.trim_start_matches("gt_").to_owned();
            (0..=random.len() - 12)
                .map(move |i| random[i..i + 12].to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn no_key_material_reaches_the_log_even_at_trace_level() {
    let sqlite = testkit::sqlite_database();
    let mut keys = Vec::new();
    for owner in ["alice", "bob", "carol"] {
        let (ok, output) = keys_command(&sqlite.url, &["create", owner]).await;
        assert!(ok, "{output}");
        keys.extend(printed_keys(&output));
    }
    let (ok, output) = keys_command(&sqlite.url, &["revoke", "3"]).await;
    assert!(ok, "{output}");
    let (alice, bob, carol) = (&keys[0], &keys[1], &keys[2]);

    let mut gateway = GatewayProcess::start(&[("DATABASE_URL", &sqlite.url)]);
    gateway.wait_until_listening().await;
    let base = &gateway.base;
    let client = Client::new();
    let created: Value = client
        .post(format!("{base}/goals"))
        .header("authorization", format!("Bearer {alice}"))
        .header("origin", ALLOWED_ORIGIN)
        .json(&json!({ "name": "a goal" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let goal = format!("{base}/goals/{}", created["id"]);
    let scenario = [
        client
            .get(format!("{base}/goals?limit=5&api_key={alice}"))
            .header("x-api-key", alice),
        client.get(&goal).header("x-api-key", alice),
        client
            .patch(&goal)
            .header("x-api-key", alice)
            .json(&json!({ "completed": true })),
        client
            .get(&goal)
            .header("authorization", format!("Bearer {bob}")),
        client
            .delete(&goal)
            .header("authorization", format!("Bearer {bob}")),
        client
            .get(&goal)
            .header("authorization", format!("Bearer {carol}")),
        client
            .get(&goal)
            .header("authorization", format!("Bearer {}x", &alice[..20])),
        client
            .get(&goal)
            .header("x-api-key", alice.replacen("gt_", "sk_", 1)),
        client.delete(&goal).header("x-api-key", alice),
        client.get(format!("{base}/nowhere?api_key={alice}")),
    ];
    for request in scenario {
        let status = request.send().await.unwrap().status();
        assert!(status.as_u16() < 500, "{status}");
    }

    // The WebSocket side: the key in the query string of the upgrade, refused and accepted.
    let ws = format!("{}/ws", base.replacen("http://", "ws://", 1));
    assert_eq!(
        upgrade_status(&format!("{ws}?api_key={carol}"), &[]).await,
        401
    );
    assert_eq!(
        upgrade_status(
            &format!("{ws}?api_key={}", alice.replacen("gt_", "sk_", 1)),
            &[]
        )
        .await,
        401
    );
    let (mut bobs, _) = tokio_tungstenite::connect_async(format!("{ws}?api_key={bob}"))
        .await
        .expect("bob connects");
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{ws}?api_key={alice}"))
        .await
        .expect("alice connects");
    for frame in [r#"{"action":"ping"}"#, r#"{"action":"sync"}"#] {
        socket.send(Message::text(frame)).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(2), socket.next())
            .await
            .expect("a reply")
            .expect("open")
            .expect("a frame");
        assert!(matches!(reply, Message::Text(_)), "{reply:?}");
    }
    let pushed = client
        .post(format!("{base}/goals"))
        .header("x-api-key", alice)
        .json(&json!({ "name": "pushed to alice only" }))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::CREATED);
    let push = tokio::time::timeout(Duration::from_secs(2), socket.next())
        .await
        .expect("a push")
        .expect("open")
        .expect("a frame");
    assert!(push.to_text().unwrap().contains("goal.created"), "{push:?}");
    bobs.send(Message::text(r#"{"action":"ping"}"#))
        .await
        .unwrap();
    let bobs_next = tokio::time::timeout(Duration::from_secs(2), bobs.next())
        .await
        .expect("a reply")
        .expect("open")
        .expect("a frame");
    assert_eq!(
        bobs_next.to_text().unwrap(),
        r#"{"type":"pong"}"#,
        "bob got alice's push"
    );
    socket.close(None).await.unwrap();
    bobs.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let output = gateway.stop().await;

    assert!(
        output.contains("\"allowed\""),
        "decisions are logged:\n{output}"
    );
    assert!(
        output.contains("\"denied\""),
        "refusals are logged:\n{output}"
    );
    assert!(
        !output.contains("Bearer"),
        "an Authorization header reached the log"
    );
    assert!(
        !output.contains("api_key="),
        "a query string reached the log:\n{output}"
    );
    for fragment in key_fragments(&keys) {
        assert!(
            !output.contains(&fragment),
            "key material {fragment:?} reached the log:\n{output}"
        );
    }
}

/// A refused upgrade: what is wrong, the URL, the headers of the upgrade request.
type UpgradeCase<'a> = (&'a str, String, Vec<(&'static str, &'a str)>);

/// The status of a WebSocket upgrade to `url`, with `headers` on the upgrade request.
/// Alice's recorded WebSocket connections.
async fn alice_connections(gateway: &TestGateway) -> Vec<ConnectionId> {
    gateway
        .app
        .store
        .connections_of(
            &Owner::new("alice").unwrap(),
            Utc::now() - TimeDelta::hours(1),
        )
        .await
        .unwrap()
}

async fn upgrade_status(url: &str, headers: &[(&'static str, &str)]) -> u16 {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            let body: Value = serde_json::from_slice(&body).unwrap_or_default();
            assert_eq!(body["error"]["code"], "unauthorized", "{body}");
            response.status().as_u16()
        }
        Err(other) => panic!("the upgrade failed: {other}"),
    }
}

#[tokio::test]
async fn a_websocket_upgrade_needs_a_valid_key_in_the_api_key_parameter() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let (valid, _) = gateway.issue_key_with_id("alice").await;
    let (revoked, revoked_id) = gateway.issue_key_with_id("alice").await;
    gateway.revoke(revoked_id).await;
    let ws = format!("{}/ws", gateway.base.replacen("http://", "ws://", 1));
    let foreign = valid.replacen("gt_", "sk_", 1);

    let refused: [UpgradeCase; 6] = [
        ("no key", ws.clone(), vec![]),
        ("an empty key", format!("{ws}?api_key="), vec![]),
        ("a garbled key", format!("{ws}?api_key=garbled"), vec![]),
        ("another prefix", format!("{ws}?api_key={foreign}"), vec![]),
        ("a revoked key", format!("{ws}?api_key={revoked}"), vec![]),
        (
            "a key in a header, not the query",
            ws.clone(),
            vec![("x-api-key", valid.as_str())],
        ),
    ];
    for (case, url, headers) in refused {
        assert_eq!(upgrade_status(&url, &headers).await, 401, "{case}");
    }
    let none = alice_connections(&gateway).await;
    assert!(
        none.is_empty(),
        "a refused upgrade left a connection: {none:?}"
    );

    let (_socket, response) = tokio_tungstenite::connect_async(format!("{ws}?api_key={valid}"))
        .await
        .expect("a valid key upgrades");
    assert_eq!(response.status(), 101);
    // `connect_async` returns after `$connect` recorded the connection, under the key's owner.
    let rows = alice_connections(&gateway).await;
    assert_eq!(rows.len(), 1, "alice's connection: {rows:?}");
}
