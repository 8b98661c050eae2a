//! API Gateway HTTP API events (payload format 2.0), built from a local HTTP request the way
//! API Gateway builds them: lower-case headers with repeats joined by commas, cookies apart,
//! query parameters decoded, path parameters from the route, and a body that is base64 when
//! it is not UTF-8 text. The authorizer context carries the dev owner.

use std::net::SocketAddr;

use axum::http::{header, request::Parts};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::Utc;
use goal_tracker::routes::Route;
use serde_json::{json, Map, Value};

/// One local HTTP request, routed.
pub struct HttpRequest<'a> {
    pub route: &'a Route,
    pub path_parameters: &'a [(&'static str, String)],
    pub parts: &'a Parts,
    pub body: &'a [u8],
    pub peer: SocketAddr,
    pub owner: &'a str,
}

/// The event API Gateway would send the route's function.
pub fn api_gateway_v2(request: &HttpRequest<'_>) -> Value {
    let parts = request.parts;
    let path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or_default();
    let (headers, cookies) = headers_and_cookies(parts);
    let header = |name: header::HeaderName| {
        headers
            .get(name.as_str())
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let domain_name = match header(header::HOST) {
        "" => "localhost",
        host => host,
    };
    let now = Utc::now();

    let mut event = json!({
        "version": "2.0",
        "routeKey": request.route.key(),
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": { "lambda": { "owner": request.owner } },
            "domainName": domain_name,
            "domainPrefix": domain_name.split('.').next().unwrap_or(domain_name),
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": format!("{:?}", parts.version),
                "sourceIp": request.peer.ip().to_string(),
                "userAgent": header(header::USER_AGENT),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": request.route.key(),
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    let fields = event.as_object_mut().expect("the event is an object");
    if !cookies.is_empty() {
        fields.insert("cookies".into(), json!(cookies));
    }
    let query = query_parameters(raw_query);
    if !query.is_empty() {
        fields.insert("queryStringParameters".into(), Value::Object(query));
    }
    if !request.path_parameters.is_empty() {
        let parameters: Map<String, Value> = request
            .path_parameters
            .iter()
            .map(|(name, value)| ((*name).to_owned(), json!(value)))
            .collect();
        fields.insert("pathParameters".into(), Value::Object(parameters));
    }
    if !request.body.is_empty() {
        let (body, is_base64) = match std::str::from_utf8(request.body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (BASE64.encode(request.body), true),
        };
        fields.insert("body".into(), json!(body));
        fields.insert("isBase64Encoded".into(), json!(is_base64));
    }
    event
}

fn headers_and_cookies(parts: &Parts) -> (Map<String, Value>, Vec<String>) {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
        } else {
            join_repeated(&mut headers, name.as_str(), value);
        }
    }
    (headers, cookies)
}

fn query_parameters(raw_query: &str) -> Map<String, Value> {
    let mut parameters = Map::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        join_repeated(&mut parameters, &name, value.into_owned());
    }
    parameters
}

/// API Gateway joins a repeated header or query parameter into one comma-separated value.
fn join_repeated(map: &mut Map<String, Value>, name: &str, value: String) {
    match map.get_mut(name) {
        Some(Value::String(existing)) => {
            existing.push(',');
            existing.push_str(&value);
        }
        _ => {
            map.insert(name.to_owned(), Value::String(value));
        }
    }
}
