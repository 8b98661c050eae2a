//! Handler tests fed with `events/*.json`: the same API Gateway HTTP API (payload 2.0) events
//! `cargo lambda invoke <function> --data-file events/<file>.json` sends, parsed as the Lambda
//! runtime parses them, each answered by the handler of its function on a fresh SQLite store.

use base64::Engine;
use chrono::{DateTime, Utc};
use goal_tracker::domain::PageLimit;
use goal_tracker::handlers::{handle, App};
use goal_tracker::routes::{match_route, Endpoint, RouteMatch, OTHER_FUNCTIONS, ROUTES};
use goal_tracker::store::list_page;
use serde_json::Value;

use crate::helpers::{
    assert_error, assert_json_content_type, event, event_json, event_text, events_dir, json_of,
    new_goal, owner, request, set_authorizer, set_query, sqlite_store, TestStore,
};

/// Asserts the JSON of a goal: exactly id, name, completed, created_at, updated_at, with
/// RFC 3339 UTC timestamps, and returns the timestamps.
fn assert_goal_shape(goal: &Value, context: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let fields = goal
        .as_object()
        .unwrap_or_else(|| panic!("{context}: a goal is an object: {goal}"));
    let mut keys: Vec<_> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["completed", "created_at", "id", "name", "updated_at"],
        "{context}: goal fields"
    );
    assert!(
        goal["id"].as_i64().is_some_and(|id| id > 0),
        "{context}: id is a positive integer: {goal}"
    );
    assert!(goal["name"].is_string(), "{context}: name: {goal}");
    assert!(
        goal["completed"].is_boolean(),
        "{context}: completed: {goal}"
    );
    let timestamp = |field: &str| {
        let raw = goal[field]
            .as_str()
            .unwrap_or_else(|| panic!("{context}: {field} is a string: {goal}"));
        let parsed = DateTime::parse_from_rfc3339(raw)
            .unwrap_or_else(|e| panic!("{context}: {field} {raw:?} is not RFC 3339: {e}"));
        assert_eq!(
            parsed.offset().local_minus_utc(),
            0,
            "{context}: {field} {raw:?} is in UTC"
        );
        parsed.with_timezone(&Utc)
    };
    (timestamp("created_at"), timestamp("updated_at"))
}

/// Creates goal 1 through `create-goal.json`, as a client would, and returns its JSON.
async fn create_goal_one(app: &App) -> Value {
    let response = handle(app, Endpoint::CreateGoal, event("create-goal.json")).await;
    assert_eq!(response.status(), 201, "create-goal.json creates a goal");
    let goal = json_of(&response);
    assert_eq!(
        goal["id"], 1,
        "the first goal of a fresh database is goal 1"
    );
    goal
}

async fn goals_of(test: &TestStore, name: &str) -> Vec<goal_tracker::domain::Goal> {
    list_page(
        test.store(),
        &owner(name),
        None,
        PageLimit::parse("100").unwrap(),
    )
    .await
    .expect("list goals")
    .goals
}

/// The names of the goals of a page, in order.
fn names_in(page: &Value) -> Vec<Value> {
    page["goals"]
        .as_array()
        .expect("goals is an array")
        .iter()
        .map(|goal| goal["name"].clone())
        .collect()
}

// --- health ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_health_event_answers_200_ok() {
    let test = sqlite_store().await;
    let response = handle(&test.app, Endpoint::Health, event("health.json")).await;
    assert_eq!(response.status(), 200);
    assert_json_content_type(&response, "health");
    assert_eq!(json_of(&response), serde_json::json!({ "status": "ok" }));
}

// --- list-goals -----------------------------------------------------------------------------

#[tokio::test]
async fn a_list_event_on_an_empty_store_answers_no_goals_and_no_cursor() {
    let test = sqlite_store().await;
    let response = handle(&test.app, Endpoint::ListGoals, event("list-goals.json")).await;
    assert_eq!(response.status(), 200);
    assert_json_content_type(&response, "list");
    assert_eq!(
        json_of(&response),
        serde_json::json!({ "goals": [], "next_cursor": null })
    );
}

#[tokio::test]
async fn a_list_event_answers_only_the_owners_goals_in_creation_order() {
    let test = sqlite_store().await;
    let store = test.store();
    let first = store
        .create(&owner("alice"), &new_goal("first"))
        .await
        .unwrap();
    store
        .create(&owner("bob"), &new_goal("bob's"))
        .await
        .unwrap();
    let second = store
        .create(&owner("alice"), &new_goal("second"))
        .await
        .unwrap();

    let response = handle(&test.app, Endpoint::ListGoals, event("list-goals.json")).await;
    assert_eq!(response.status(), 200);
    let page = json_of(&response);
    let goals = page["goals"].as_array().expect("goals is an array");
    assert_eq!(goals.len(), 2, "alice sees her two goals only: {page}");
    for goal in goals {
        assert_goal_shape(goal, "listed goal");
    }
    assert_eq!(goals[0], serde_json::to_value(&first).unwrap());
    assert_eq!(goals[1], serde_json::to_value(&second).unwrap());
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_page_event_answers_two_goals_and_a_cursor_to_the_rest() {
    let test = sqlite_store().await;
    for name in ["one", "two", "three"] {
        test.store()
            .create(&owner("alice"), &new_goal(name))
            .await
            .unwrap();
    }

    let response = handle(
        &test.app,
        Endpoint::ListGoals,
        event("list-goals-page.json"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let page = json_of(&response);
    assert_eq!(names_in(&page), ["one", "two"], "limit=2 answers two goals");
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next cursor when more goals follow");

    let mut next = event_json("list-goals-page.json");
    set_query(&mut next, &[("limit", "2"), ("cursor", cursor)]);
    let response = handle(&test.app, Endpoint::ListGoals, request(&next)).await;
    assert_eq!(response.status(), 200);
    let page = json_of(&response);
    assert_eq!(
        names_in(&page),
        ["three"],
        "the cursor continues after goal two"
    );
    assert_eq!(
        page["next_cursor"],
        Value::Null,
        "the last page has no cursor"
    );
}

// --- create-goal ----------------------------------------------------------------------------

#[tokio::test]
async fn a_create_event_answers_201_with_a_location() {
    let test = sqlite_store().await;
    let response = handle(&test.app, Endpoint::CreateGoal, event("create-goal.json")).await;
    assert_eq!(response.status(), 201);
    assert_json_content_type(&response, "create");
    let goal = json_of(&response);
    let (created_at, updated_at) = assert_goal_shape(&goal, "created goal");
    let id = goal["id"].as_i64().unwrap();
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("/goals/{id}").as_str())
    );
    assert_eq!(goal["name"], "Run a half marathon");
    assert_eq!(goal["completed"], false);
    assert_eq!(created_at, updated_at, "a new goal was never updated");

    let stored = goals_of(&test, "alice").await;
    assert_eq!(
        vec![goal],
        stored
            .iter()
            .map(|g| serde_json::to_value(g).unwrap())
            .collect::<Vec<_>>(),
        "the goal answered is the goal stored"
    );
}

/// The other forms a create may take: the legacy `goal_name` field, and a body API Gateway
/// passes base64-encoded, which is decoded before it is parsed.
#[tokio::test]
async fn create_events_with_the_legacy_field_or_a_base64_body_create_the_named_goal() {
    for (file, name, case) in [
        (
            "create-goal-legacy-goal-name.json",
            "Read twelve books",
            "legacy create",
        ),
        ("create-goal-base64.json", "Visit Kyōto 🏯", "base64 create"),
    ] {
        let test = sqlite_store().await;
        let response = handle(&test.app, Endpoint::CreateGoal, event(file)).await;
        assert_eq!(response.status(), 201, "{case}: status");
        let goal = json_of(&response);
        assert_goal_shape(&goal, case);
        assert_eq!(goal["name"], name, "{case}: name");
    }
}

// --- get-goal -------------------------------------------------------------------------------

#[tokio::test]
async fn a_get_event_answers_the_goal_as_it_was_created() {
    let test = sqlite_store().await;
    let created = create_goal_one(&test.app).await;
    let response = handle(&test.app, Endpoint::GetGoal, event("get-goal.json")).await;
    assert_eq!(response.status(), 200);
    assert_json_content_type(&response, "get");
    let goal = json_of(&response);
    assert_goal_shape(&goal, "got goal");
    assert_eq!(goal, created);
}

#[tokio::test]
async fn a_get_event_for_another_owners_goal_answers_404_not_found() {
    let test = sqlite_store().await;
    let bobs = test
        .store()
        .create(&owner("bob"), &new_goal("bob's goal"))
        .await
        .unwrap();
    assert_eq!(bobs.id.get(), 1, "bob's goal is goal 1");
    let response = handle(&test.app, Endpoint::GetGoal, event("get-goal.json")).await;
    assert_error(&response, 404, "not_found", "bob's goal asked by alice");
}

// --- update-goal ----------------------------------------------------------------------------

#[tokio::test]
async fn an_update_event_completes_the_goal_and_keeps_its_name() {
    let test = sqlite_store().await;
    let created = create_goal_one(&test.app).await;
    let response = handle(&test.app, Endpoint::UpdateGoal, event("update-goal.json")).await;
    assert_eq!(response.status(), 200);
    assert_json_content_type(&response, "update");
    let goal = json_of(&response);
    let (created_at, updated_at) = assert_goal_shape(&goal, "updated goal");
    assert_eq!(goal["id"], created["id"]);
    assert_eq!(goal["name"], created["name"]);
    assert_eq!(goal["completed"], true);
    assert_eq!(goal["created_at"], created["created_at"]);
    assert!(updated_at >= created_at, "updated_at moves forward");

    let got = handle(&test.app, Endpoint::GetGoal, event("get-goal.json")).await;
    assert_eq!(json_of(&got), goal, "the update is stored");
}

#[tokio::test]
async fn a_rename_event_changes_only_the_name() {
    let test = sqlite_store().await;
    let created = create_goal_one(&test.app).await;
    let response = handle(
        &test.app,
        Endpoint::UpdateGoal,
        event("update-goal-rename.json"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let goal = json_of(&response);
    assert_goal_shape(&goal, "renamed goal");
    assert_eq!(goal["name"], "Run a full marathon");
    assert_eq!(goal["completed"], created["completed"]);
    assert_eq!(goal["created_at"], created["created_at"]);
}

// --- delete-goal ----------------------------------------------------------------------------

#[tokio::test]
async fn a_delete_event_answers_204_with_an_empty_body_and_the_goal_is_gone() {
    let test = sqlite_store().await;
    create_goal_one(&test.app).await;
    let response = handle(&test.app, Endpoint::DeleteGoal, event("delete-goal.json")).await;
    assert_eq!(response.status(), 204);
    assert!(
        response.body().as_ref().is_empty(),
        "a 204 has no body: {:?}",
        response.body()
    );

    let got = handle(&test.app, Endpoint::GetGoal, event("get-goal.json")).await;
    assert_error(&got, 404, "not_found", "get after delete");
    let again = handle(&test.app, Endpoint::DeleteGoal, event("delete-goal.json")).await;
    assert_error(&again, 404, "not_found", "second delete");
}

// --- error events --------------------------------------------------------------------------------

/// An event in `events/` that its handler must refuse, and the answer it must get:
/// (event file, endpoint, status, code, the case in a failure message).
type ErrorEvent = (&'static str, Endpoint, u16, &'static str, &'static str);

/// Error events on an empty store, each on a fresh one: refused with their status and code,
/// and no goal appears.
#[tokio::test]
async fn error_events_on_an_empty_store_answer_their_error_and_create_no_goal() {
    let rows: [ErrorEvent; 10] = [
        (
            "list-goals-bad-limit.json",
            Endpoint::ListGoals,
            400,
            "validation_failed",
            "a list event with limit 0",
        ),
        (
            "list-goals-garbled-cursor.json",
            Endpoint::ListGoals,
            400,
            "validation_failed",
            "a list event with a garbled cursor",
        ),
        (
            "create-goal-malformed-json.json",
            Endpoint::CreateGoal,
            400,
            "malformed_json",
            "a create event with malformed JSON",
        ),
        (
            "create-goal-wrong-type.json",
            Endpoint::CreateGoal,
            400,
            "validation_failed",
            "a create event with a number for a name",
        ),
        (
            "create-goal-missing-body.json",
            Endpoint::CreateGoal,
            400,
            "malformed_json",
            "a create event without a body",
        ),
        (
            "create-goal-empty-name.json",
            Endpoint::CreateGoal,
            400,
            "validation_failed",
            "a create event with a blank name",
        ),
        (
            "create-goal-text-plain.json",
            Endpoint::CreateGoal,
            415,
            "unsupported_media_type",
            "a create event sent as text/plain",
        ),
        (
            "create-goal-invalid-utf8.json",
            Endpoint::CreateGoal,
            400,
            "malformed_json",
            "a create event with invalid UTF-8",
        ),
        (
            "create-goal-no-owner.json",
            Endpoint::CreateGoal,
            401,
            "unauthorized",
            "a create event without an owner",
        ),
        (
            "update-goal.json",
            Endpoint::UpdateGoal,
            404,
            "not_found",
            "an update event for a missing goal",
        ),
    ];
    for (file, endpoint, status, code, case) in rows {
        let case = format!("{case} ({file})");
        let test = sqlite_store().await;
        let response = handle(&test.app, endpoint, event(file)).await;
        assert_error(&response, status, code, &case);
        assert!(
            goals_of(&test, "alice").await.is_empty(),
            "{case}: no goal was created"
        );
    }
}

/// Error events about goal 1 once it exists, each on a fresh store: refused with their status
/// and code, and goal 1 stays exactly as created.
#[tokio::test]
async fn error_events_about_an_existing_goal_answer_their_error_and_leave_it_unchanged() {
    let rows: [ErrorEvent; 4] = [
        (
            "get-goal-bad-id.json",
            Endpoint::GetGoal,
            400,
            "validation_failed",
            "a get event with a non-numeric id",
        ),
        (
            "get-goal-missing.json",
            Endpoint::GetGoal,
            404,
            "not_found",
            "a get event for a missing goal",
        ),
        (
            "update-goal-empty-patch.json",
            Endpoint::UpdateGoal,
            400,
            "validation_failed",
            "an empty patch event",
        ),
        (
            "delete-goal-bad-id.json",
            Endpoint::DeleteGoal,
            400,
            "validation_failed",
            "a delete event with a negative id",
        ),
    ];
    for (file, endpoint, status, code, case) in rows {
        let case = format!("{case} ({file})");
        let test = sqlite_store().await;
        let created = create_goal_one(&test.app).await;
        let response = handle(&test.app, endpoint, event(file)).await;
        assert_error(&response, status, code, &case);
        let got = handle(&test.app, Endpoint::GetGoal, event("get-goal.json")).await;
        assert_eq!(json_of(&got), created, "{case}: goal 1 is unchanged");
        assert_eq!(
            goals_of(&test, "alice").await.len(),
            1,
            "{case}: nothing deleted"
        );
    }
}

// --- every event ----------------------------------------------------------------------------

/// Every HTTP API event file in `events/` for a REST route's function, by name, sorted (`ws-*`
/// ones are the WebSocket API's, checked in `websocket.rs`; `authorizer-*` ones the
/// authorizer's, checked in `authorizer.rs`; `migrate.json` is no API Gateway event).
fn event_files() -> Vec<String> {
    let dir = events_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.into_string().expect("a UTF-8 file name"))
        .filter(|name| !name.starts_with("ws-"))
        .filter(|name| {
            !OTHER_FUNCTIONS.iter().any(|function| {
                name.strip_prefix(function)
                    .is_some_and(|rest| rest == ".json" || rest.starts_with('-'))
            })
        })
        .collect();
    names.sort_unstable();
    names
}

/// The route whose function the file name starts with: `<function>[-<case>].json`.
fn route_of_file(file: &str) -> &'static goal_tracker::routes::Route {
    let stem = file
        .strip_suffix(".json")
        .unwrap_or_else(|| panic!("{file}: event files end in .json"));
    let mut matches = ROUTES.iter().filter(|route| {
        stem == route.function
            || stem
                .strip_prefix(route.function)
                .is_some_and(|case| case.starts_with('-'))
    });
    let route = matches
        .next()
        .unwrap_or_else(|| panic!("{file}: the name starts with no function of ROUTES"));
    assert!(matches.next().is_none(), "{file}: names two functions");
    route
}

#[test]
fn every_event_file_parses_and_its_route_key_belongs_to_the_function_it_is_named_for() {
    let files = event_files();
    assert!(!files.is_empty(), "events/ holds events");
    for file in &files {
        let json: Value = event_json(file);
        let parsed = lambda_http::request::from_str(&event_text(file))
            .unwrap_or_else(|e| panic!("{file}: the Lambda runtime cannot parse it: {e}"));

        let route_key = json["routeKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: a routeKey"));
        let (method, path) = route_key
            .split_once(' ')
            .unwrap_or_else(|| panic!("{file}: routeKey {route_key:?} is `METHOD /path`"));
        let by_key = ROUTES
            .iter()
            .find(|route| route.method.as_str() == method && route.path == path)
            .unwrap_or_else(|| panic!("{file}: routeKey {route_key:?} is no route of ROUTES"));
        assert_eq!(by_key.key(), route_key, "{file}: routeKey");
        let by_name = route_of_file(file);
        assert_eq!(
            by_key.function, by_name.function,
            "{file}: routeKey {route_key:?} is served by {}, not by the function the file is named for",
            by_key.function
        );

        // What the runtime hands the handler agrees with the route.
        assert_eq!(
            parsed.method().as_str(),
            method,
            "{file}: requestContext.http.method"
        );
        let raw_path = json["rawPath"].as_str().expect("a rawPath");
        let RouteMatch::Found(matched, params) = match_route(parsed.method(), raw_path) else {
            panic!("{file}: {method} {raw_path} matches no route");
        };
        assert_eq!(matched.function, by_key.function, "{file}: rawPath");
        let expected_params: serde_json::Map<String, Value> = params
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::from(value)))
            .collect();
        let actual_params = json
            .get("pathParameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        assert_eq!(actual_params, expected_params, "{file}: pathParameters");
    }

    for route in ROUTES {
        assert!(
            files
                .iter()
                .any(|file| route_of_file(file).function == route.function),
            "no event for the {} function",
            route.function
        );
    }
}

#[test]
fn every_event_file_is_a_complete_http_api_payload_2_0_event() {
    for file in event_files() {
        let json: Value = event_json(&file);
        let context = &json["requestContext"];
        assert_eq!(json["version"], "2.0", "{file}: version");
        assert_eq!(context["routeKey"], json["routeKey"], "{file}: routeKey");
        assert_eq!(context["stage"], "$default", "{file}: stage");
        assert_eq!(
            context["http"]["path"], json["rawPath"],
            "{file}: http.path"
        );
        assert!(json["rawPath"].is_string(), "{file}: rawPath");
        assert!(json["rawQueryString"].is_string(), "{file}: rawQueryString");
        for field in [
            "accountId",
            "apiId",
            "domainName",
            "domainPrefix",
            "requestId",
            "time",
        ] {
            assert!(
                context[field].as_str().is_some_and(|v| !v.is_empty()),
                "{file}: requestContext.{field}"
            );
        }
        assert!(context["timeEpoch"].is_i64(), "{file}: timeEpoch");
        for field in ["method", "path", "protocol", "sourceIp", "userAgent"] {
            assert!(
                context["http"][field]
                    .as_str()
                    .is_some_and(|v| !v.is_empty()),
                "{file}: requestContext.http.{field}"
            );
        }
        let headers = json["headers"]
            .as_object()
            .unwrap_or_else(|| panic!("{file}: headers"));
        for name in headers.keys() {
            assert_eq!(
                name,
                &name.to_ascii_lowercase(),
                "{file}: HTTP API sends header names in lower case"
            );
        }
        assert_eq!(
            headers.get("host"),
            context.get("domainName"),
            "{file}: host"
        );

        let raw_query = json["rawQueryString"].as_str().unwrap();
        assert_eq!(
            json.get("queryStringParameters").is_some(),
            !raw_query.is_empty(),
            "{file}: queryStringParameters is there exactly when there is a query"
        );

        let base64 = json["isBase64Encoded"]
            .as_bool()
            .unwrap_or_else(|| panic!("{file}: isBase64Encoded"));
        let body_len = match json.get("body").and_then(Value::as_str) {
            None => 0,
            Some(body) if base64 => base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap_or_else(|e| panic!("{file}: base64 body: {e}"))
                .len(),
            Some(body) => body.len(),
        };
        if let Some(length) = headers.get("content-length") {
            assert_eq!(
                length.as_str(),
                Some(body_len.to_string().as_str()),
                "{file}: content-length is the length of the body"
            );
        }

        let owner = &context["authorizer"]["lambda"]["owner"];
        if file == "health.json" || file.ends_with("-no-owner.json") {
            assert!(
                context.get("authorizer").is_none(),
                "{file}: no authorizer on this route or case"
            );
        } else {
            assert_eq!(owner, "alice", "{file}: authorizer.lambda.owner");
        }
    }
}

#[tokio::test]
async fn every_goals_event_without_an_authorizer_answers_401_unauthorized() {
    let test = sqlite_store().await;
    create_goal_one(&test.app).await;
    let before = goals_of(&test, "alice").await;
    for file in event_files() {
        let route = route_of_file(&file);
        if route.endpoint == Endpoint::Health {
            continue;
        }
        let mut json = event_json(&file);
        set_authorizer(&mut json, None);
        let response = handle(&test.app, route.endpoint, request(&json)).await;
        assert_error(&response, 401, "unauthorized", &file);
    }
    assert_eq!(goals_of(&test, "alice").await, before, "nothing changed");
}
