//! The authorizer, fed with the `events/authorizer-*.json` events `cargo lambda invoke
//! authorizer` uses: the cold path (the key store answers) and the cached path (the cache
//! answers, until its TTL passes), for the HTTP API and the WebSocket `$connect`.

use std::sync::Arc;
use std::time::Duration;

use goal_tracker::authorizer::{Authorizer, Source};
use goal_tracker::handlers::App;
use goal_tracker::keys::{KeyHash, KeyId};
use goal_tracker::store::{KeyStore, Store};
use serde_json::{json, Value};

use crate::helpers::{event_json, on_both_engines, owner, sqlite_store};

on_both_engines!(
    an_http_event_with_a_bearer_key_is_authorized_as_its_owner,
    an_http_event_with_an_x_api_key_header_is_authorized_as_its_owner,
    http_events_without_a_valid_key_are_refused,
    the_cache_answers_a_known_key_until_its_ttl_passes,
    a_websocket_connect_with_a_valid_key_is_allowed_on_its_method_arn,
    a_websocket_connect_without_a_valid_key_is_denied,
);

/// The key in the sample events: well-formed, and valid wherever a test has issued it.
const EXAMPLE_KEY: &str = "gt_ExampleKeyForTheEventsFolderOnly00000000000";

/// Stores the sample events' key for alice, as `keys create` stores a key: by hash.
async fn issue_example_key(store: &dyn KeyStore) -> KeyId {
    let hash = KeyHash::of_presented(EXAMPLE_KEY).expect("a well-formed key");
    store
        .insert_key(&owner("alice"), &hash, &EXAMPLE_KEY[..9])
        .await
        .expect("the key is stored")
        .id
}

fn authorizer(app: &App, ttl: Duration) -> Authorizer {
    let store: Arc<dyn Store> = app.store.clone();
    Authorizer::new(store, ttl)
}

async fn answer(authorizer: &Authorizer, event: Value) -> Value {
    authorizer.handle_event(event).await.expect("an answer")
}

fn allowed_as_alice() -> Value {
    json!({ "isAuthorized": true, "context": { "owner": "alice" } })
}

fn refused() -> Value {
    json!({ "isAuthorized": false, "context": {} })
}

async fn an_http_event_with_a_bearer_key_is_authorized_as_its_owner(app: &App) {
    issue_example_key(app.store.as_ref()).await;
    let authorizer = authorizer(app, Duration::from_secs(30));
    let event = event_json("authorizer-http-bearer.json");
    assert_eq!(answer(&authorizer, event).await, allowed_as_alice());
}

async fn an_http_event_with_an_x_api_key_header_is_authorized_as_its_owner(app: &App) {
    issue_example_key(app.store.as_ref()).await;
    let authorizer = authorizer(app, Duration::from_secs(30));
    let event = event_json("authorizer-http-x-api-key.json");
    assert_eq!(answer(&authorizer, event).await, allowed_as_alice());
}

async fn http_events_without_a_valid_key_are_refused(app: &App) {
    let authorizer = authorizer(app, Duration::from_secs(30));
    // Before the key is issued, it is unknown.
    let unknown = event_json("authorizer-http-bearer.json");
    assert_eq!(answer(&authorizer, unknown).await, refused(), "unknown key");

    let id = issue_example_key(app.store.as_ref()).await;
    let no_key = event_json("authorizer-http-no-key.json");
    assert_eq!(answer(&authorizer, no_key).await, refused(), "no key");
    for (header, value) in [
        ("authorization", EXAMPLE_KEY.to_owned()),
        ("authorization", format!("Basic {EXAMPLE_KEY}")),
        (
            "authorization",
            format!("Bearer {}", EXAMPLE_KEY.replacen("gt_", "sk_", 1)),
        ),
        ("authorization", format!("Bearer {EXAMPLE_KEY}0")),
        ("x-api-key", "garbled".to_owned()),
    ] {
        let mut event = event_json("authorizer-http-no-key.json");
        event["headers"][header] = Value::from(value.clone());
        assert_eq!(
            answer(&authorizer, event).await,
            refused(),
            "{header}: {value}"
        );
    }

    app.store.revoke_key(id).await.unwrap();
    let revoked = event_json("authorizer-http-bearer.json");
    assert_eq!(answer(&authorizer, revoked).await, refused(), "revoked key");
}

async fn the_cache_answers_a_known_key_until_its_ttl_passes(app: &App) {
    let id = issue_example_key(app.store.as_ref()).await;
    let ttl = Duration::from_millis(400);
    let authorizer = authorizer(app, ttl);
    let decide = || authorizer.authorize_traced(Some(EXAMPLE_KEY));

    let (owner_found, source) = decide().await.unwrap().expect("allowed");
    assert_eq!(
        (owner_found.as_str(), source),
        ("alice", Source::Database),
        "cold"
    );
    let (_, source) = decide().await.unwrap().expect("allowed");
    assert_eq!(source, Source::Cache, "warm");

    // Revoked in the store: the cache still answers within its TTL, and no longer after it.
    app.store.revoke_key(id).await.unwrap();
    let cached = event_json("authorizer-http-bearer.json");
    assert_eq!(
        answer(&authorizer, cached).await,
        allowed_as_alice(),
        "cached"
    );
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let expired = event_json("authorizer-http-bearer.json");
    assert_eq!(
        answer(&authorizer, expired).await,
        refused(),
        "after the TTL"
    );

    // Without a cache, every check goes to the store.
    let uncached = self::authorizer(app, Duration::ZERO);
    let other = issue_other_key(app.store.as_ref()).await;
    for _ in 0..2 {
        let (_, source) = uncached
            .authorize_traced(Some(&other))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(source, Source::Database);
    }
}

async fn issue_other_key(store: &dyn KeyStore) -> String {
    let (key, _) = goal_tracker::keys::issue(store, &owner("bob"))
        .await
        .unwrap();
    key.expose().to_owned()
}

async fn a_websocket_connect_with_a_valid_key_is_allowed_on_its_method_arn(app: &App) {
    issue_example_key(app.store.as_ref()).await;
    let authorizer = authorizer(app, Duration::from_secs(30));
    let event = event_json("authorizer-websocket-connect.json");
    let method_arn = event["methodArn"].clone();
    assert_eq!(
        answer(&authorizer, event).await,
        json!({
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": ["execute-api:Invoke"],
                    "Effect": "Allow",
                    "Resource": [method_arn],
                }],
            },
            "context": { "owner": "alice" },
        })
    );
}

async fn a_websocket_connect_without_a_valid_key_is_denied(app: &App) {
    let authorizer = authorizer(app, Duration::from_secs(30));
    let assert_denied = |response: Value, case: &str| {
        assert_eq!(
            response["policyDocument"]["Statement"][0]["Effect"], "Deny",
            "{case}"
        );
        assert_eq!(response["principalId"], "anonymous", "{case}");
        assert_eq!(response["context"], json!({}), "{case}");
    };
    let unknown = event_json("authorizer-websocket-connect.json");
    assert_denied(answer(&authorizer, unknown).await, "unknown key");

    issue_example_key(app.store.as_ref()).await;
    let without_query = || {
        let mut event = event_json("authorizer-websocket-connect.json");
        event["queryStringParameters"] = json!({});
        event["multiValueQueryStringParameters"] = json!({});
        event
    };
    assert_denied(answer(&authorizer, without_query()).await, "no key");
    // Only the query parameter counts on a WebSocket: that is what a browser can send.
    let mut in_a_header = without_query();
    in_a_header["headers"]["X-API-Key"] = Value::from(EXAMPLE_KEY);
    assert_denied(answer(&authorizer, in_a_header).await, "a header");
}

#[tokio::test]
async fn the_unknown_key_of_the_websocket_event_is_denied_and_other_events_are_errors() {
    let test = sqlite_store().await;
    let authorizer = authorizer(&test.app, Duration::from_secs(30));
    let response = answer(&authorizer, event_json("authorizer-websocket-connect.json")).await;
    assert_eq!(response["policyDocument"]["Statement"][0]["Effect"], "Deny");
    for event in [
        json!({}),
        json!({ "version": "1.0" }),
        json!({ "version": "2.0" }),
    ] {
        assert!(
            authorizer.handle_event(event.clone()).await.is_err(),
            "{event}"
        );
    }
}
