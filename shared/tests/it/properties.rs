//! Property tests over request parsing and validation: arbitrary bytes, text, JSON, ids, query
//! strings and headers, in real API Gateway events, never panic and never answer a 5xx; every
//! refusal is the JSON error body with a documented code. Case counts are bounded (256 a
//! property, about a second in all) to keep the suite fast.

use std::sync::OnceLock;

use goal_tracker::authorizer::key_from_headers;
use goal_tracker::error::ApiError;
use goal_tracker::handlers::handle;
use goal_tracker::keys::KeyHash;
use goal_tracker::routes::Endpoint;
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue};
use lambda_http::{Body, Response};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    event_json, new_goal, owner, request, set_binary_body, set_goal_id, set_header, set_query,
    set_text_body, sqlite_store, TestStore,
};

/// One SQLite store with one goal of alice's, and the runtime its pool lives on, for every case.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    test: TestStore,
    goal_id: i64,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let test = runtime.block_on(sqlite_store());
        let goal_id = runtime
            .block_on(test.store().create(&owner("alice"), &new_goal("a goal")))
            .expect("a goal")
            .id
            .get();
        Fixture {
            runtime,
            test,
            goal_id,
        }
    })
}

/// The answer to an (edited) event, which must be a success or a documented 4xx error.
fn answer_is_never_a_server_error(endpoint: Endpoint, event: &Value) -> Result<(), TestCaseError> {
    let fixture = fixture();
    let response: Response<Body> =
        fixture
            .runtime
            .block_on(handle(&fixture.test.app, endpoint, request(event)));
    let status = response.status().as_u16();
    prop_assert!(status < 500, "{:?} answered {}", endpoint, status);
    if status >= 400 {
        let body: Value = serde_json::from_slice(response.body().as_ref())
            .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
        let code = body["error"]["code"].as_str().unwrap_or_default();
        prop_assert!(
            ApiError::CODES.contains(&code),
            "code {:?} in {}",
            code,
            body
        );
    }
    Ok(())
}

/// An event for `endpoint` from `events/`, pointed at alice's goal.
fn event_for(endpoint: Endpoint) -> Value {
    let file = match endpoint {
        Endpoint::Health => "health.json",
        Endpoint::ListGoals => "list-goals.json",
        Endpoint::CreateGoal => "create-goal.json",
        Endpoint::GetGoal => "get-goal.json",
        Endpoint::UpdateGoal => "update-goal.json",
        Endpoint::DeleteGoal => "delete-goal.json",
    };
    let mut event = event_json(file);
    if matches!(
        endpoint,
        Endpoint::GetGoal | Endpoint::UpdateGoal | Endpoint::DeleteGoal
    ) {
        set_goal_id(&mut event, &fixture().goal_id.to_string());
    }
    event
}

fn any_endpoint() -> impl Strategy<Value = Endpoint> {
    prop::sample::select(vec![
        Endpoint::Health,
        Endpoint::ListGoals,
        Endpoint::CreateGoal,
        Endpoint::GetGoal,
        Endpoint::UpdateGoal,
        Endpoint::DeleteGoal,
    ])
}

fn write_endpoint() -> impl Strategy<Value = Endpoint> {
    prop::sample::select(vec![Endpoint::CreateGoal, Endpoint::UpdateGoal])
}

fn goal_endpoint() -> impl Strategy<Value = Endpoint> {
    prop::sample::select(vec![
        Endpoint::GetGoal,
        Endpoint::UpdateGoal,
        Endpoint::DeleteGoal,
    ])
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(Some("application/json".to_owned())),
        Just(Some(
            "application/merge-patch+json; charset=utf-8".to_owned()
        )),
        Just(Some("text/plain".to_owned())),
        Just(None),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("goal_name".to_owned()),
                    Just("completed".to_owned()),
                    any::<String>()
                ],
                inner,
                0..4
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_a_body_never_give_a_server_error(
        endpoint in write_endpoint(),
        body in prop::collection::vec(any::<u8>(), 0..2048),
        content_type in content_type(),
    ) {
        let mut event = event_for(endpoint);
        set_binary_body(&mut event, &body);
        set_header(&mut event, "content-type", content_type.as_deref());
        answer_is_never_a_server_error(endpoint, &event)?;
    }

    #[test]
    fn arbitrary_text_and_json_bodies_never_give_a_server_error(
        endpoint in write_endpoint(),
        body in prop_oneof![any::<String>(), any_json().prop_map(|v| v.to_string())],
        content_type in content_type(),
    ) {
        let mut event = event_for(endpoint);
        set_text_body(&mut event, Some(&body));
        set_header(&mut event, "content-type", content_type.as_deref());
        answer_is_never_a_server_error(endpoint, &event)?;
    }

    #[test]
    fn arbitrary_ids_never_give_a_server_error(
        endpoint in goal_endpoint(),
        id in prop_oneof![any::<String>(), "[0-9+-. ]{0,25}", any::<i64>().prop_map(|n| n.to_string())],
    ) {
        let mut event = event_for(endpoint);
        set_goal_id(&mut event, &id);
        answer_is_never_a_server_error(endpoint, &event)?;
    }

    #[test]
    fn arbitrary_query_strings_never_give_a_server_error(
        limit in prop::option::of(prop_oneof![any::<String>(), "[0-9+-]{0,12}"]),
        cursor in prop::option::of(prop_oneof![any::<String>(), "[A-Za-z0-9_=-]{0,40}"]),
        extra in prop::collection::vec((any::<String>(), any::<String>()), 0..3),
    ) {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(limit) = &limit {
            params.push(("limit", limit));
        }
        if let Some(cursor) = &cursor {
            params.push(("cursor", cursor));
        }
        for (name, value) in &extra {
            params.push((name, value));
        }
        let mut event = event_for(Endpoint::ListGoals);
        set_query(&mut event, &params);
        answer_is_never_a_server_error(Endpoint::ListGoals, &event)?;
    }

    #[test]
    fn arbitrary_headers_never_give_a_server_error(
        endpoint in any_endpoint(),
        headers in prop::collection::vec(("[a-z][a-z0-9-]{0,20}", "[ -~]{0,100}"), 0..6),
    ) {
        let mut event = event_for(endpoint);
        for (name, value) in &headers {
            set_header(&mut event, name, Some(value));
        }
        answer_is_never_a_server_error(endpoint, &event)?;
    }

    #[test]
    fn any_presented_key_is_parsed_without_panicking(
        authorization in prop::option::of("[ -~]{0,80}"),
        api_key in prop::option::of("[ -~]{0,80}"),
        raw in any::<String>(),
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [("authorization", authorization), ("x-api-key", api_key)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        if let Some(key) = key_from_headers(&headers) {
            let _ = KeyHash::of_presented(key);
        }
        prop_assert!(KeyHash::of_presented(&raw).is_none() || raw.starts_with("gt_"));
    }
}
