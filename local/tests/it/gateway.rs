//! The gateway in-process on a loopback port, driven with a real HTTP client.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{client_for, start_gateway};

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// `GET url`, answered with JSON.
async fn get_json(client: &Client, url: String) -> Value {
    json_of(client.get(url).send().await.unwrap()).await
}

/// The README's curl round trip: create, list, rename, complete, delete.
async fn round_trip(base: &str, client: &Client) {
    let health = Client::new()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(json_of(health).await, json!({ "status": "ok" }));

    let created = client
        .post(format!("{base}/goals"))
        .json(&json!({ "name": "  learn to juggle " }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let goal = json_of(created).await;
    assert_eq!(goal["name"], "learn to juggle");
    assert_eq!(goal["completed"], false);
    assert_eq!(location, format!("/goals/{}", goal["id"]));

    let listed = get_json(client, format!("{base}/goals")).await;
    assert_eq!(
        listed,
        json!({ "goals": [goal.clone()], "next_cursor": null })
    );

    let renamed = client
        .patch(format!("{base}{location}"))
        .json(&json!({ "name": "juggle five balls" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(json_of(renamed).await["name"], "juggle five balls");

    let completed = client
        .patch(format!("{base}{location}"))
        .json(&json!({ "completed": true }))
        .send()
        .await
        .unwrap();
    let completed = json_of(completed).await;
    assert_eq!(
        (completed["name"].as_str(), completed["completed"].as_bool()),
        (Some("juggle five balls"), Some(true))
    );

    let fetched = get_json(client, format!("{base}{location}")).await;
    assert_eq!(fetched, completed);

    let deleted = client
        .delete(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.bytes().await.unwrap().is_empty());

    let gone = client
        .get(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_of(gone).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_round_trip_on_sqlite_behaves_as_the_contract_says() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let alice = client_for(&gateway.issue_key("alice").await);
    round_trip(&gateway.base, &alice).await;
}

#[tokio::test]
async fn a_round_trip_on_postgres_behaves_as_the_contract_says() {
    let Some(postgres) = testkit::postgres_database(
        "gateway::a_round_trip_on_postgres_behaves_as_the_contract_says",
    )
    .await
    else {
        return;
    };
    let gateway = start_gateway(&postgres.url).await;
    let alice = client_for(&gateway.issue_key("alice").await);
    round_trip(&gateway.base, &alice).await;
    drop(gateway);
    postgres.drop_database().await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_in_json() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let base = &gateway.base;
    let client = Client::new();

    // `/` is the site's (see site.rs).
    for path in ["/goal", "/goals/", "/goals/1/notes", "/nothing"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(
            json_of(response).await["error"]["code"],
            "not_found",
            "GET {path}"
        );
    }
    let cases = [
        ("PUT", "/goals", "GET, POST"),
        ("POST", "/goals/1", "GET, PATCH, DELETE"),
        ("DELETE", "/health", "GET"),
    ];
    for (method, path, allowed) in cases {
        let response = client
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allowed, "{method} {path}");
        assert_eq!(
            json_of(response).await["error"]["code"],
            "method_not_allowed",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn the_event_carries_query_parameters_and_binary_bodies_as_api_gateway_does() {
    let sqlite = testkit::sqlite_database();
    let gateway = start_gateway(&sqlite.url).await;
    let base = &gateway.base;
    let client = &client_for(&gateway.issue_key("alice").await);
    for name in ["a", "b", "c"] {
        client
            .post(format!("{base}/goals"))
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
    }

    let page = get_json(client, format!("{base}/goals?limit=2")).await;
    assert_eq!(page["goals"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = client
        .get(format!("{base}/goals"))
        .query(&[("limit", "2"), ("cursor", cursor.as_str())])
        .send()
        .await
        .unwrap();
    let rest = json_of(rest).await;
    assert_eq!(rest["goals"][0]["name"], "c");
    assert_eq!(rest["next_cursor"], Value::Null);

    let not_utf8 = client
        .post(format!("{base}/goals"))
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(not_utf8.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_of(not_utf8).await["error"]["code"], "malformed_json");

    let too_large = client
        .post(format!("{base}/goals"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"name":"{}"}}"#, "x".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        json_of(too_large).await["error"]["code"],
        "payload_too_large"
    );

    let listed = get_json(client, format!("{base}/goals")).await;
    assert_eq!(
        listed["goals"].as_array().unwrap().len(),
        3,
        "bad requests changed nothing"
    );
}
