//! Stores on real engines, built through the same configuration path the functions use,
//! and API Gateway events loaded from `events/`.

/// Declares each case, an `async fn(&App)` of the calling module, as `sqlite::<case>` and
/// `postgres::<case>`, each on a fresh migrated database, so one suite covers both engines.
/// The PostgreSQL variant skips (as [`postgres_store`] reports) when no server is reachable.
macro_rules! on_both_engines {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let test = crate::helpers::sqlite_store().await;
                    super::$case(&test.app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(test) = crate::helpers::postgres_store(
                        concat!(module_path!(), "::", stringify!($case)),
                    )
                    .await else {
                        return;
                    };
                    super::$case(&test.app).await;
                    test.finish().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_engines;

use std::path::PathBuf;

use goal_tracker::config::Config;
use goal_tracker::domain::{GoalName, NewGoal, Owner};
use goal_tracker::handlers::App;
use goal_tracker::store::GoalStore;
use lambda_http::Request;
use lambda_http::{Body, Response};
use serde_json::{Map, Value};
use testkit::{TestPostgres, TestSqlite};

/// A migrated store on a fresh database, and what keeps that database alive.
pub struct TestStore {
    pub app: App,
    postgres: Option<TestPostgres>,
    _sqlite: Option<TestSqlite>,
}

impl TestStore {
    pub fn store(&self) -> &dyn GoalStore {
        self.app.store.as_ref()
    }

    /// The PostgreSQL database's URL (panics on SQLite).
    pub fn database_url(&self) -> &str {
        &self.postgres.as_ref().expect("a PostgreSQL store").url
    }

    /// Drops the PostgreSQL database, if any. Call it at the end of a test.
    pub async fn finish(self) {
        if let Some(postgres) = self.postgres {
            drop(self.app);
            postgres.drop_database().await;
        }
    }
}

/// An app configured from `DATABASE_URL = url`, through the functions' own config path.
pub async fn unmigrated_app(url: &str, max_connections: u32) -> App {
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.to_owned()))
        .expect("a valid test configuration");
    App::from_config(&config, max_connections)
        .await
        .expect("the app builds")
}

/// [`unmigrated_app`], with the migrations applied.
pub async fn app_for(url: &str, max_connections: u32) -> App {
    let app = unmigrated_app(url, max_connections).await;
    app.store.migrate().await.expect("migrations apply");
    app
}

/// An owner as the authorizer names one; the tests use "alice" and "bob".
pub fn owner(name: &str) -> Owner {
    Owner::new(name).expect("a valid owner")
}

/// A create of a goal with a name known to be valid.
pub fn new_goal(name: &str) -> NewGoal {
    NewGoal {
        name: GoalName::parse(name).expect("a valid name"),
    }
}

pub async fn sqlite_store() -> TestStore {
    let sqlite = testkit::sqlite_database();
    TestStore {
        app: app_for(&sqlite.url, 4).await,
        postgres: None,
        _sqlite: Some(sqlite),
    }
}

/// `None` (and a reported skip) when PostgreSQL is not reachable outside CI.
pub async fn postgres_store(test: &str) -> Option<TestStore> {
    let postgres = testkit::postgres_database(test).await?;
    Some(TestStore {
        app: app_for(&postgres.url, 4).await,
        postgres: Some(postgres),
        _sqlite: None,
    })
}

/// The folder of the sample events.
pub fn events_dir() -> PathBuf {
    testkit::workspace_root().join("events")
}

/// The text of an event in `events/`, as `cargo lambda invoke --data-file` sends it.
pub fn event_text(name: &str) -> String {
    let path = events_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// An API Gateway event from `events/`, parsed exactly as the Lambda runtime parses it.
pub fn event(name: &str) -> Request {
    lambda_http::request::from_str(&event_text(name))
        .unwrap_or_else(|e| panic!("parse events/{name}: {e}"))
}

/// The JSON of an event in `events/`, to edit before building a request with [`request`].
pub fn event_json(name: &str) -> Value {
    serde_json::from_str(&event_text(name)).unwrap_or_else(|e| panic!("parse events/{name}: {e}"))
}

/// A request from (edited) event JSON, parsed exactly as the Lambda runtime parses it.
pub fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string())
        .unwrap_or_else(|e| panic!("parse edited event: {e}\n{event:#}"))
}

/// Replaces the body with text, as API Gateway passes a text body; `None` removes the body as
/// API Gateway does for an empty one. `content-length` follows.
pub fn set_text_body(event: &mut Value, body: Option<&str>) {
    let len = body.map_or(0, str::len);
    match body {
        Some(text) => event["body"] = Value::from(text),
        None => {
            object(event).remove("body");
        }
    }
    event["isBase64Encoded"] = Value::from(false);
    set_header(event, "content-length", Some(&len.to_string()));
}

/// Replaces the body with bytes, base64-encoded with `isBase64Encoded: true`, as API Gateway
/// passes a body it does not take for text. `content-length` is that of the bytes.
pub fn set_binary_body(event: &mut Value, body: &[u8]) {
    use base64::Engine;
    event["body"] = Value::from(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = Value::from(true);
    set_header(event, "content-length", Some(&body.len().to_string()));
}

/// Sets a header (names are lower case in HTTP API events) or, with `None`, removes it.
pub fn set_header(event: &mut Value, name: &str, value: Option<&str>) {
    let headers = object(&mut event["headers"]);
    match value {
        Some(value) => {
            headers.insert(name.to_ascii_lowercase(), Value::from(value));
        }
        None => {
            headers.remove(&name.to_ascii_lowercase());
        }
    }
}

/// Points a `/goals/{id}` event at another id, written as given: the path, the request
/// context's path and the path parameter move together, as API Gateway fills them.
pub fn set_goal_id(event: &mut Value, raw_id: &str) {
    let path = format!("/goals/{raw_id}");
    event["rawPath"] = Value::from(path.as_str());
    event["requestContext"]["http"]["path"] = Value::from(path);
    event["pathParameters"] = serde_json::json!({ "id": raw_id });
}

/// Replaces the query string: `rawQueryString` percent-encoded, `queryStringParameters`
/// decoded, and absent when there are no parameters, as API Gateway sends them.
pub fn set_query(event: &mut Value, params: &[(&str, &str)]) {
    let raw = params
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    event["rawQueryString"] = Value::from(raw);
    if params.is_empty() {
        object(event).remove("queryStringParameters");
    } else {
        let decoded: Map<String, Value> = params
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
            .collect();
        event["queryStringParameters"] = Value::Object(decoded);
    }
}

/// Sets what the Lambda authorizer said (`requestContext.authorizer`), or with `None` removes
/// the authorizer, as on a route that has none.
pub fn set_authorizer(event: &mut Value, authorizer: Option<Value>) {
    let context = object(&mut event["requestContext"]);
    match authorizer {
        Some(authorizer) => {
            context.insert("authorizer".to_owned(), authorizer);
        }
        None => {
            context.remove("authorizer");
        }
    }
}

/// Every byte but the URL-unreserved ones as `%XX`.
pub fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn object(value: &mut Value) -> &mut Map<String, Value> {
    value.as_object_mut().expect("a JSON object in the event")
}

/// Asserts `Content-Type: application/json`, which every answer with a body carries.
pub fn assert_json_content_type(response: &Response<Body>, case: &str) {
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{case}: content type"
    );
}

/// A response body as JSON.
pub fn json_of(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or_else(|e| {
        panic!(
            "response body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(response.body().as_ref())
        )
    })
}

/// Asserts an error response: the status, `Content-Type: application/json`, and exactly
/// `{"error":{"code","message"}}` with the stable code and a message. `case` names the case.
pub fn assert_error(response: &Response<Body>, status: u16, code: &str, case: &str) {
    let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert_eq!(
        response.status().as_u16(),
        status,
        "{case}: status (body {body})"
    );
    assert_json_content_type(response, case);
    let json = json_of(response);
    let error = json
        .as_object()
        .filter(|top| top.len() == 1)
        .and_then(|top| top.get("error"))
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{case}: not an error body: {body}"));
    let mut keys: Vec<_> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "{case}: error fields in {body}");
    assert_eq!(error["code"], code, "{case}: code (body {body})");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}: a message (body {body})"
    );
}
