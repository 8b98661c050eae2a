//! The WebSocket API's routes: `$connect` records the connection with its owner, `$disconnect`
//! forgets it, and `$default` answers the client's messages by `action`.
//!
//! `$default` answers with one frame, sent back to the client as the route response:
//! - `{"action":"ping"}` → `{"type":"pong"}`
//! - `{"action":"sync"}` (optionally with `"cursor"`) → `{"type":"sync","goals":[…],"next_cursor":…}`,
//!   the owner's current goals, a page of the largest size, so a reconnecting client can catch up
//! - anything else → `{"type":"error","error":{"code":"…","message":"…"}}`, and the connection
//!   stays open.

use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest,
};
use lambda_http::Body;
use serde::Serialize;
use serde_json::Value;

use crate::domain::{Connection, ConnectionId, Cursor, GoalPage, Owner, PageLimit};
use crate::error::ApiError;
use crate::handlers::App;
use crate::metrics;
use crate::push::CONNECTION_LIFETIME;
use crate::store;

/// The event a WebSocket route's function receives.
pub type WsRequest = ApiGatewayWebsocketProxyRequest;
/// What it answers: its `body`, if any, is the frame the client receives.
pub type WsResponse = ApiGatewayProxyResponse;

/// The largest frame `$default` accepts: API Gateway's WebSocket frame size.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;

/// One route of the WebSocket API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsRoute {
    Connect,
    Disconnect,
    Default,
}

impl WsRoute {
    /// The route's definition in [`WS_ROUTES`].
    pub fn def(self) -> &'static WsRouteDef {
        WS_ROUTES
            .iter()
            .find(|def| def.route == self)
            .expect("every WebSocket route is in WS_ROUTES")
    }
}

/// A WebSocket route, its route key and the Lambda function (and `functions/` folder) serving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsRouteDef {
    pub route: WsRoute,
    pub key: &'static str,
    pub function: &'static str,
}

/// Every WebSocket route. Route selection is on `$request.body.action`; every action is served
/// by `$default`.
pub const WS_ROUTES: &[WsRouteDef] = &[
    WsRouteDef {
        route: WsRoute::Connect,
        key: "$connect",
        function: "ws-connect",
    },
    WsRouteDef {
        route: WsRoute::Disconnect,
        key: "$disconnect",
        function: "ws-disconnect",
    },
    WsRouteDef {
        route: WsRoute::Default,
        key: "$default",
        function: "ws-default",
    },
];

/// A frame `$default` sends back.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    Pong,
    Sync(GoalPage),
    Error { error: ErrorFrame },
}

#[derive(Debug, Serialize)]
struct ErrorFrame {
    code: &'static str,
    message: String,
}

/// Why a message got an error frame: the REST errors, plus an action nobody serves.
#[derive(Debug)]
enum MessageError {
    Api(ApiError),
    UnknownAction(String),
}

impl From<ApiError> for MessageError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<store::StoreError> for MessageError {
    fn from(error: store::StoreError) -> Self {
        Self::Api(error.into())
    }
}

impl MessageError {
    /// The status the error frame stands for, as the REST API would answer it.
    fn status(&self) -> u16 {
        match self {
            Self::Api(error) => error.status_code().as_u16(),
            Self::UnknownAction(_) => 400,
        }
    }

    fn into_reply(self) -> Reply {
        let (code, message) = match self {
            Self::Api(error) => {
                error.log_cause();
                (error.code(), error.to_string())
            }
            Self::UnknownAction(action) => (
                "unknown_action",
                format!("unknown action {action:?}; the actions are \"ping\" and \"sync\""),
            ),
        };
        Reply::Error {
            error: ErrorFrame { code, message },
        }
    }
}

/// Serves one event of `route`. Never fails: every error becomes its response or frame.
/// Each event is counted and timed under its function's name (see [`metrics`]); a `$default`
/// error frame counts with the status its error has in the REST API.
#[tracing::instrument(
    name = "ws",
    skip_all,
    fields(route = ?route, connection = event.request_context.connection_id.as_deref().unwrap_or(""))
)]
pub async fn handle_ws(app: &App, route: WsRoute, event: WsRequest) -> WsResponse {
    let started = Instant::now();
    let (response, status) = match route {
        WsRoute::Connect => answered(connect(app, &event).await),
        WsRoute::Disconnect => answered(disconnect(app, &event).await),
        WsRoute::Default => default(app, &event).await,
    };
    metrics::request(route.def().function, status, started.elapsed());
    tracing::info!(status = response.status_code, "responded");
    response
}

/// A `$connect` or `$disconnect` outcome as its response, and its status.
fn answered(result: Result<WsResponse, ApiError>) -> (WsResponse, u16) {
    match result {
        Ok(response) => {
            let status = u16::try_from(response.status_code).unwrap_or(500);
            (response, status)
        }
        Err(error) => {
            // The REST answer, headers (`Retry-After` on a 503) and all.
            let response = error.into_response();
            let status = response.status().as_u16();
            let (parts, body) = response.into_parts();
            let mut response = ws_response(status, Some(body));
            response.headers = parts.headers;
            (response, status)
        }
    }
}

/// `$connect`: refused without an owner; otherwise recorded, and expired rows swept.
async fn connect(app: &App, event: &WsRequest) -> Result<WsResponse, ApiError> {
    let owner = ws_owner(event).ok_or(ApiError::Unauthorized)?;
    let id = connection_id(event)?;
    // The gateway's `connectedAt` is this moment too; the function's own clock is the one
    // the expiry sweep compares with.
    app.store
        .add_connection(&Connection {
            id,
            owner,
            connected_at: Utc::now(),
        })
        .await?;
    // `$disconnect` may never come: sweeping here keeps the table to live connections.
    match app
        .store
        .remove_connections_before(Utc::now() - CONNECTION_LIFETIME)
        .await
    {
        Ok(0) => {}
        Ok(expired) => tracing::info!(expired, "expired connections removed"),
        Err(error) => tracing::warn!(error = ?error, "could not sweep expired connections"),
    }
    Ok(ws_response(200, None))
}

/// `$disconnect`: forgets the connection, if it is still known.
async fn disconnect(app: &App, event: &WsRequest) -> Result<WsResponse, ApiError> {
    let id = connection_id(event)?;
    let removed = app.store.remove_connection(&id).await?;
    tracing::info!(removed, "disconnected");
    Ok(ws_response(200, None))
}

/// `$default`: one message in, one frame out; and the status the frame stands for.
async fn default(app: &App, event: &WsRequest) -> (WsResponse, u16) {
    let (reply, status) = match answer(app, event).await {
        Ok(reply) => (reply, 200),
        Err(error) => {
            let status = error.status();
            (error.into_reply(), status)
        }
    };
    match serde_json::to_string(&reply) {
        Ok(frame) => (ws_response(200, Some(Body::Text(frame))), status),
        Err(error) => {
            let error = ApiError::Internal(error.into());
            error.log_cause();
            (ws_response(500, None), 500)
        }
    }
}

async fn answer(app: &App, event: &WsRequest) -> Result<Reply, MessageError> {
    let message = message(event)?;
    let action = match message.get("action") {
        Some(Value::String(action)) => action.as_str(),
        _ => {
            return Err(ApiError::Validation(
                "a message is a JSON object with a string \"action\"".into(),
            )
            .into())
        }
    };
    match action {
        "ping" => Ok(Reply::Pong),
        "sync" => {
            let owner = ws_owner(event).ok_or(ApiError::Unauthorized)?;
            let cursor = match message.get("cursor") {
                None | Some(Value::Null) => None,
                Some(Value::String(raw)) => Some(Cursor::decode(raw).map_err(ApiError::from)?),
                Some(_) => {
                    return Err(ApiError::Validation("cursor must be a string".into()).into())
                }
            };
            let page = store::list_page(&*app.store, &owner, cursor, PageLimit::MAX).await?;
            Ok(Reply::Sync(page))
        }
        other => Err(MessageError::UnknownAction(
            other.chars().take(64).collect(),
        )),
    }
}

/// The message as a JSON object: its size checked before anything is parsed.
fn message(event: &WsRequest) -> Result<serde_json::Map<String, Value>, ApiError> {
    let raw = event.body.as_deref().unwrap_or_default();
    let bytes = if event.is_base64_encoded {
        STANDARD
            .decode(raw)
            .map_err(|_| ApiError::MalformedJson("the frame is not valid base64".into()))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_FRAME_BYTES,
        });
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(message)) => Ok(message),
        Ok(_) => Err(ApiError::Validation(
            "a message is a JSON object with a string \"action\"".into(),
        )),
        Err(error) => Err(ApiError::MalformedJson(format!(
            "the frame is not JSON: {error}"
        ))),
    }
}

/// The owner the authorizer named at `$connect`; API Gateway repeats it on every route.
fn ws_owner(event: &WsRequest) -> Option<Owner> {
    event
        .request_context
        .authorizer
        .fields
        .get("owner")
        .and_then(Value::as_str)
        .and_then(Owner::new)
}

fn connection_id(event: &WsRequest) -> Result<ConnectionId, ApiError> {
    event
        .request_context
        .connection_id
        .as_deref()
        .and_then(ConnectionId::new)
        .ok_or_else(|| ApiError::Internal("the event has no connection id".into()))
}

fn ws_response(status: u16, body: Option<Body>) -> WsResponse {
    let mut response = WsResponse::default();
    response.status_code = i64::from(status);
    response.body = body.filter(|body| !matches!(body, Body::Empty));
    response
}
