//! API Gateway events built from local traffic the way API Gateway builds them.
//!
//! HTTP API events (payload format 2.0): lower-case headers with repeats joined by commas,
//! cookies apart, query parameters decoded, path parameters from the route, and a body that is
//! base64 when it is not UTF-8 text. The authorizer context
//! carries the owner the authorizer found.
//!
//! WebSocket API events: `$connect` with the upgrade request's headers and query, `$default`
//! with the frame as its body, `$disconnect` with the close code; every one with the connection
//! id and the authorizer context of `$connect`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Utc};
use goal_tracker::routes::Route;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::LambdaRequest;
use serde_json::{json, Map, Value};

/// API Gateway's request time (`12/Mar/2020:19:03:58 +0000`), parsed once: parsing the format
/// string on every request showed in the gateway's profile.
static REQUEST_TIME_FORMAT: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%d/%b/%Y:%H:%M:%S %z")
        .parse_to_owned()
        .expect("a valid time format")
});

/// `time` as API Gateway writes it in `requestTime` (WebSocket) and `time` (HTTP).
fn request_time(time: DateTime<Utc>) -> String {
    time.format_with_items(REQUEST_TIME_FORMAT.iter())
        .to_string()
}

/// One local HTTP request, routed.
pub struct HttpRequest<'a> {
    pub route: &'a Route,
    pub path_parameters: &'a [(&'static str, String)],
    pub parts: &'a Parts,
    pub body: &'a [u8],
    pub peer: SocketAddr,
    /// What the authorizer found; `None` on a route without an authorizer (`/health`).
    pub owner: Option<&'a str>,
}

/// A WebSocket connection as API Gateway describes it in every event of that connection.
pub struct WsConnection<'a> {
    pub id: &'a str,
    pub connected_at: DateTime<Utc>,
    pub peer: SocketAddr,
    pub user_agent: &'a str,
    pub host: &'a str,
    pub owner: &'a str,
}

/// What happened on a WebSocket connection.
pub enum WsEvent<'a> {
    /// The upgrade request: its headers and query string.
    Connect { parts: &'a Parts },
    /// A frame from the client: text, or binary (sent on base64-encoded).
    Message { frame: &'a [u8], binary: bool },
    /// The connection closed, with the close code (1006 when it dropped without one).
    Disconnect { code: u16, reason: &'a str },
}

/// The event API Gateway would send the function of a WebSocket route.
pub fn api_gateway_websocket(connection: &WsConnection<'_>, what: &WsEvent<'_>) -> Value {
    let now = Utc::now();
    let (route_key, event_type) = match what {
        WsEvent::Connect { .. } => ("$connect", "CONNECT"),
        WsEvent::Message { .. } => ("$default", "MESSAGE"),
        WsEvent::Disconnect { .. } => ("$disconnect", "DISCONNECT"),
    };
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let mut context = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": "local",
        "connectedAt": connection.connected_at.timestamp_millis(),
        "requestTimeEpoch": now.timestamp_millis(),
        "identity": {
            "sourceIp": connection.peer.ip().to_string(),
            "userAgent": connection.user_agent,
        },
        "requestId": request_id,
        "domainName": connection.host,
        "connectionId": connection.id,
        "apiId": "local",
        "authorizer": { "principalId": connection.owner, "owner": connection.owner },
    });
    let mut event = json!({ "isBase64Encoded": false });
    let fields = event.as_object_mut().expect("the event is an object");
    match what {
        WsEvent::Connect { parts } => {
            let (headers, _) = headers_and_cookies(parts);
            // Each value is UTF-8 text (see `headers_and_cookies`).
            let text = |value: &HeaderValue| String::from_utf8_lossy(value.as_bytes()).into_owned();
            let single: Map<String, Value> = headers
                .iter()
                .map(|(name, value)| (name.to_string(), json!(text(value))))
                .collect();
            let multi: Map<String, Value> = headers
                .iter()
                .map(|(name, value)| (name.to_string(), json!([text(value)])))
                .collect();
            fields.insert("headers".into(), Value::Object(single));
            fields.insert("multiValueHeaders".into(), Value::Object(multi));
            let query: Map<String, Value> = query_parameters(parts.uri.query().unwrap_or_default())
                .into_iter()
                .map(|(name, values)| (name, json!(values.join(","))))
                .collect();
            if !query.is_empty() {
                fields.insert("queryStringParameters".into(), Value::Object(query));
            }
        }
        WsEvent::Message { frame, binary } => {
            context["messageId"] = json!(uuid::Uuid::new_v4().simple().to_string());
            let body = if *binary {
                fields.insert("isBase64Encoded".into(), json!(true));
                BASE64.encode(frame)
            } else {
                String::from_utf8_lossy(frame).into_owned()
            };
            fields.insert("body".into(), json!(body));
        }
        WsEvent::Disconnect { code, reason } => {
            let headers = json!({
                "Host": connection.host,
                "X-Forwarded-For": connection.peer.ip().to_string(),
            });
            fields.insert(
                "multiValueHeaders".into(),
                json!({
                    "Host": [connection.host],
                    "X-Forwarded-For": [connection.peer.ip().to_string()],
                }),
            );
            fields.insert("headers".into(), headers);
            context["disconnectStatusCode"] = json!(code);
            context["disconnectReason"] = json!(reason);
        }
    }
    fields.insert("requestContext".into(), context);
    event
}

/// The event API Gateway would send the route's function, built as the typed value the Lambda
/// runtime deserializes it into (building JSON only to deserialize it cost the gateway a seventh
/// of a read's instructions); [`into_request`] makes of it what `lambda_http` makes in Lambda.
pub fn api_gateway_v2(request: &HttpRequest<'_>) -> ApiGatewayV2httpRequest {
    let parts = request.parts;
    let path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or_default();
    let (headers, cookies) = headers_and_cookies(parts);
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let domain_name = match header(header::HOST) {
        host if host.is_empty() => "localhost".to_owned(),
        host => host,
    };
    let now = Utc::now();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(path.to_owned());
    http.protocol = Some(format!("{:?}", parts.version));
    http.source_ip = Some(request.peer.ip().to_string());
    http.user_agent = Some(header(header::USER_AGENT));

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(request.route.key().to_owned());
    context.account_id = Some("000000000000".to_owned());
    context.stage = Some("$default".to_owned());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.apiid = Some("local".to_owned());
    context.domain_prefix = domain_name.split('.').next().map(str::to_owned);
    context.domain_name = Some(domain_name);
    context.time = Some(request_time(now));
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    context.authorizer = request.owner.map(|owner| {
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = HashMap::from([("owner".to_owned(), Value::from(owner))]);
        authorizer
    });

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(request.route.key().to_owned());
    event.raw_path = Some(path.to_owned());
    event.raw_query_string = Some(raw_query.to_owned());
    event.headers = headers;
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.query_string_parameters = query_parameters(raw_query).into();
    event.path_parameters = request
        .path_parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    event.request_context = context;
    if !request.body.is_empty() {
        let (body, is_base64) = match std::str::from_utf8(request.body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (BASE64.encode(request.body), true),
        };
        event.body = Some(body);
        event.is_base64_encoded = is_base64;
    }
    event
}

/// The request the function's handler receives for an HTTP API `event`: what `lambda_http`
/// makes of it in Lambda.
pub fn into_request(event: ApiGatewayV2httpRequest) -> lambda_http::Request {
    LambdaRequest::ApiGatewayV2(event).into()
}

/// The headers as API Gateway passes them on: each name once, repeats joined by commas, text
/// that is not UTF-8 replaced; and the cookies apart.
fn headers_and_cookies(parts: &Parts) -> (HeaderMap, Vec<String>) {
    let mut headers = HeaderMap::with_capacity(parts.headers.keys_len());
    let mut cookies = Vec::new();
    for name in parts.headers.keys() {
        let values = parts.headers.get_all(name);
        if name == header::COOKIE {
            for value in values {
                let value = String::from_utf8_lossy(value.as_bytes());
                let split = value.split(';').map(str::trim).filter(|c| !c.is_empty());
                cookies.extend(split.map(str::to_owned));
            }
            continue;
        }
        let mut each = values.iter();
        let value = match (each.next(), each.next()) {
            // The common case: one value, already what API Gateway would pass on.
            (Some(only), None) if std::str::from_utf8(only.as_bytes()).is_ok() => only.clone(),
            _ => {
                let joined = values
                    .iter()
                    .map(|value| String::from_utf8_lossy(value.as_bytes()))
                    .collect::<Vec<_>>()
                    .join(",");
                // Every byte came from a valid header value, or is a replacement character
                // or a comma, so this cannot fail.
                let Ok(value) = HeaderValue::from_str(&joined) else {
                    continue;
                };
                value
            }
        };
        headers.insert(name.clone(), value);
    }
    (headers, cookies)
}

/// The query string's parameters, decoded, each with its values in order.
fn query_parameters(raw_query: &str) -> HashMap<String, Vec<String>> {
    let mut parameters: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        parameters
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    parameters
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::{Method, Request};
    use goal_tracker::routes::{match_route, RouteMatch};
    use lambda_http::RequestExt;

    use super::*;

    /// Every field path of a JSON value with a value, not descending into the free-form maps.
    fn field_paths(value: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
        if let Value::Object(fields) = value {
            for (name, inner) in fields.iter().filter(|(_, inner)| !inner.is_null()) {
                let path = format!("{prefix}/{name}");
                paths.insert(path.clone());
                if !matches!(
                    name.as_str(),
                    "headers"
                        | "queryStringParameters"
                        | "pathParameters"
                        | "lambda"
                        | "multiValueHeaders"
                ) {
                    field_paths(inner, &path, paths);
                }
            }
        }
    }

    fn local_event(method: Method, uri: &str, body: &[u8], headers: &[(&str, &str)]) -> Value {
        let mut request = Request::builder().method(method.clone()).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        let RouteMatch::Found(route, path_parameters) = match_route(&method, parts.uri.path())
        else {
            panic!("{uri} has no route");
        };
        let event = api_gateway_v2(&HttpRequest {
            route,
            path_parameters: &path_parameters,
            parts: &parts,
            body,
            peer: "127.0.0.1:50000".parse().unwrap(),
            owner: Some("alice"),
        });
        serde_json::to_value(event).expect("the event serializes")
    }

    #[test]
    fn the_event_has_every_field_of_a_real_api_gateway_event() {
        let sample: Value = serde_json::from_str(include_str!("../../events/update-goal.json"))
            .expect("a sample event");
        let local = local_event(
            Method::PATCH,
            "/goals/1",
            br#"{"completed":true}"#,
            &[
                ("host", "127.0.0.1:3000"),
                ("content-type", "application/json"),
                ("user-agent", "curl/8"),
            ],
        );
        let (mut expected, mut actual) = (BTreeSet::new(), BTreeSet::new());
        field_paths(&sample, "", &mut expected);
        field_paths(&local, "", &mut actual);
        let missing: Vec<_> = expected.difference(&actual).collect();
        assert!(missing.is_empty(), "the local event lacks {missing:?}");
        assert_eq!(local["routeKey"], "PATCH /goals/{id}");
        assert_eq!(local["pathParameters"]["id"], "1");
        assert_eq!(
            local["requestContext"]["authorizer"]["lambda"]["owner"],
            "alice"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Whatever a client sends that HTTP itself allows, the event parses as the Lambda
        /// runtime parses it (a failure would be a 500 from the gateway), and the gateway's
        /// direct reading of it gives the same request.
        #[test]
        fn any_request_http_allows_makes_an_event_lambda_http_parses(
            id in "[A-Za-z0-9%._~!$&'()*+,;=:@-]{1,30}",
            query in "[A-Za-z0-9%._~!$&'()*+,;=:@/?-]{0,60}",
            // Visible ASCII, and the bytes HTTP allows beyond it (UTF-8 or not).
            headers in proptest::collection::vec(
                (
                    "[a-z][a-z0-9-]{0,15}",
                    proptest::collection::vec(proptest::prop_oneof![0x20u8..0x7f, 0x80u8..=0xff], 0..60),
                ),
                0..5,
            ),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let mut request = Request::builder()
                .method(Method::PATCH)
                .uri(format!("/goals/{id}?{query}"));
            for (name, value) in &headers {
                request = request.header(name.as_str(), value.as_slice());
            }
            let Ok(request) = request.body(()) else {
                return Ok(());
            };
            let (parts, ()) = request.into_parts();
            let RouteMatch::Found(route, path_parameters) = match_route(&parts.method, parts.uri.path())
            else {
                return Ok(());
            };
            let event = api_gateway_v2(&HttpRequest {
                route,
                path_parameters: &path_parameters,
                parts: &parts,
                body: &body,
                peer: "127.0.0.1:50000".parse().unwrap(),
                owner: Some("alice"),
            });
            let text = serde_json::to_string(&event).expect("the event serializes");
            let parsed = lambda_http::request::from_str(&text);
            proptest::prop_assert!(parsed.is_ok(), "{}", text);
            // What the gateway hands the handler is what the runtime would have parsed.
            let (parsed, direct) = (parsed.unwrap(), into_request(event));
            proptest::prop_assert_eq!(parsed.method(), direct.method());
            proptest::prop_assert_eq!(parsed.uri(), direct.uri());
            proptest::prop_assert_eq!(parsed.headers(), direct.headers());
            proptest::prop_assert_eq!(parsed.body().as_ref(), direct.body().as_ref());
            let id = |request: &lambda_http::Request| {
                request.path_parameters_ref().and_then(|p| p.first("id")).map(str::to_owned)
            };
            proptest::prop_assert_eq!(id(&parsed), id(&direct));
            let context = |request: &lambda_http::Request| {
                serde_json::to_value(request.request_context_ref()).expect("the context serializes")
            };
            proptest::prop_assert_eq!(context(&parsed), context(&direct));
        }
    }

    #[test]
    fn repeats_are_joined_cookies_set_apart_and_binary_bodies_base64_encoded() {
        let local = local_event(
            Method::POST,
            "/goals?tag=a&tag=b&q=caf%C3%A9+au+lait",
            &[0xff, 0x00, 0xfe],
            &[("x-trace", "1"), ("x-trace", "2"), ("cookie", "a=1; b=2")],
        );
        assert_eq!(
            local["queryStringParameters"],
            json!({ "tag": "a,b", "q": "café au lait" })
        );
        assert_eq!(local["rawQueryString"], "tag=a&tag=b&q=caf%C3%A9+au+lait");
        assert_eq!(local["headers"]["x-trace"], "1,2");
        assert_eq!(local["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(local["headers"].get("cookie"), None);
        assert_eq!(local["isBase64Encoded"], true);
        assert_eq!(local["body"], BASE64.encode([0xff, 0x00, 0xfe]));
    }

    #[test]
    fn websocket_events_have_every_field_of_real_ones() {
        let (parts, ()) = Request::builder()
            .uri("/ws?api=1")
            .header("host", "127.0.0.1:3000")
            .header("user-agent", "websocat")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .body(())
            .unwrap()
            .into_parts();
        let connection = WsConnection {
            id: "L0SM9cOFvHcCIhw=",
            connected_at: Utc::now(),
            peer: "127.0.0.1:50000".parse().unwrap(),
            user_agent: "websocat",
            host: "127.0.0.1:3000",
            owner: "alice",
        };
        let cases = [
            ("ws-connect.json", WsEvent::Connect { parts: &parts }),
            (
                "ws-default-ping.json",
                WsEvent::Message {
                    frame: br#"{"action":"ping"}"#,
                    binary: false,
                },
            ),
            (
                "ws-disconnect.json",
                WsEvent::Disconnect {
                    code: 1001,
                    reason: "going away",
                },
            ),
        ];
        for (file, what) in cases {
            let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
            let sample: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let local = api_gateway_websocket(&connection, &what);
            let (mut expected, mut actual) = (BTreeSet::new(), BTreeSet::new());
            field_paths(&sample, "", &mut expected);
            field_paths(&local, "", &mut actual);
            // Headers API Gateway adds itself, and its own latency figure, have no local source.
            expected.retain(|path| {
                !path.starts_with("/multiValueHeaders/")
                    && path != "/requestContext/authorizer/integrationLatency"
            });
            let missing: Vec<_> = expected.difference(&actual).collect();
            assert!(
                missing.is_empty(),
                "{file}: the local event lacks {missing:?}"
            );
            assert_eq!(
                local["requestContext"]["routeKey"],
                sample["requestContext"]["routeKey"]
            );
            assert_eq!(local["requestContext"]["authorizer"]["owner"], "alice");
        }
    }
}
