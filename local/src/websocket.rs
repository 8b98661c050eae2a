//! The WebSocket side of the gateway: what API Gateway's WebSocket API does for a connection.
//!
//! `GET /ws?api_key=…` upgrades to a WebSocket once the authorizer has accepted the key (a 401
//! on the upgrade request otherwise). The gateway assigns a connection id, calls the `$connect`
//! handler (a refusal answers the upgrade request with the handler's status and body), then
//! turns every frame into a `$default` event, sending the handler's reply back as a frame, and
//! the end of the connection into a `$disconnect` event. Frames for the client, replies and
//! pushes alike, go through one outbox per connection, which the Management API
//! ([`crate::management`]) also writes to.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use goal_tracker::error::ApiError;
use goal_tracker::websocket::{handle_ws, WsRequest, WsResponse, WsRoute};
use tokio::sync::mpsc;

use crate::event::{api_gateway_websocket, WsConnection, WsEvent};
use crate::Gateway;

/// API Gateway's largest WebSocket message; `$default` refuses frames over 32 KB itself.
const MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// The close code of a connection that ended without a close frame.
const ABNORMAL_CLOSURE: u16 = 1006;
/// The close code of a close frame without one.
const NO_STATUS: u16 = 1005;
/// The close code the gateway closes a connection with.
const CLOSED_BY_SERVER: u16 = 1000;

/// What the writer of a connection sends.
pub enum Outgoing {
    Frame(Message),
    Close,
}

/// A connection the gateway holds open.
pub struct LiveConnection {
    pub outbox: mpsc::UnboundedSender<Outgoing>,
    pub connected_at: DateTime<Utc>,
    pub last_active_at: Mutex<DateTime<Utc>>,
    pub source_ip: String,
    pub user_agent: String,
    host: String,
    owner: String,
    peer: SocketAddr,
}

impl LiveConnection {
    fn describe<'a>(&'a self, id: &'a str) -> WsConnection<'a> {
        WsConnection {
            id,
            connected_at: self.connected_at,
            peer: self.peer,
            user_agent: &self.user_agent,
            host: &self.host,
            owner: &self.owner,
        }
    }

    fn touch(&self) {
        *self.last_active_at.lock().expect("not poisoned") = Utc::now();
    }
}

/// Open connections by id.
#[derive(Default)]
pub struct Connections(Mutex<HashMap<String, Arc<LiveConnection>>>);

impl Connections {
    pub fn get(&self, id: &str) -> Option<Arc<LiveConnection>> {
        self.0.lock().expect("not poisoned").get(id).cloned()
    }

    fn insert(&self, id: String, connection: Arc<LiveConnection>) {
        self.0.lock().expect("not poisoned").insert(id, connection);
    }

    fn remove(&self, id: &str) -> Option<Arc<LiveConnection>> {
        self.0.lock().expect("not poisoned").remove(id)
    }
}

/// `GET /ws`: `$connect`, then the upgrade.
pub async fn upgrade(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    request: axum::extract::Request,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return api_error(ApiError::Validation(
            "/ws accepts WebSocket upgrades only".into(),
        ));
    };
    let (parts, _) = request.into_parts();
    // The authorizer, where API Gateway runs it for `$connect`: the key in `api_key`.
    let owner = match crate::auth::owner_from_query(&gateway.authorizer, &parts).await {
        Ok(owner) => owner,
        Err(error) => return api_error(error),
    };
    let id = new_connection_id();
    let (outbox, inbox) = mpsc::unbounded_channel();
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let now = Utc::now();
    let connection = Arc::new(LiveConnection {
        outbox,
        connected_at: now,
        last_active_at: Mutex::new(now),
        source_ip: peer.ip().to_string(),
        user_agent: header(header::USER_AGENT),
        host: header(header::HOST),
        owner: owner.as_str().to_owned(),
        peer,
    });
    // Registered before `$connect` runs, so a push that races the upgrade is queued, not lost.
    gateway.connections.insert(id.clone(), connection.clone());
    let connected = invoke(
        &gateway,
        WsRoute::Connect,
        &connection,
        &id,
        &WsEvent::Connect { parts: &parts },
    )
    .await;
    if !(200..300).contains(&connected.status_code) {
        gateway.connections.remove(&id);
        return refusal(connected);
    }
    let failed = (gateway.clone(), id.clone());
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(move |error| {
            tracing::info!(error = %error, "WebSocket upgrade failed");
            let (gateway, id) = failed;
            tokio::spawn(async move {
                disconnect(&gateway, &id, ABNORMAL_CLOSURE, "upgrade failed").await
            });
        })
        .on_upgrade(move |socket| session(gateway, id, connection, socket, inbox))
}

/// One connection, from upgrade to `$disconnect`.
async fn session(
    gateway: Arc<Gateway>,
    id: String,
    connection: Arc<LiveConnection>,
    socket: WebSocket,
    mut inbox: mpsc::UnboundedReceiver<Outgoing>,
) {
    let (mut sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(async move {
        while let Some(outgoing) = inbox.recv().await {
            let (message, last) = match outgoing {
                Outgoing::Frame(message) => (message, false),
                Outgoing::Close => (
                    Message::Close(Some(CloseFrame {
                        code: CLOSED_BY_SERVER,
                        reason: "closed by the Management API".into(),
                    })),
                    true,
                ),
            };
            if sink.send(message).await.is_err() || last {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let (mut code, mut reason) = (ABNORMAL_CLOSURE, String::from("connection lost"));
    loop {
        let received = tokio::select! {
            received = stream.next() => received,
            // The writer stops on a Management API DELETE, or when the client cannot be written to.
            _ = &mut writer => {
                (code, reason) = (CLOSED_BY_SERVER, "closed by the Management API".into());
                break;
            }
        };
        let (frame, binary) = match received {
            None => break,
            Some(Ok(Message::Text(text))) => (text.as_str().as_bytes().to_vec(), false),
            Some(Ok(Message::Binary(bytes))) => (bytes.to_vec(), true),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(frame))) => {
                (code, reason) = frame.map_or((NO_STATUS, String::new()), |frame| {
                    (frame.code, frame.reason.to_string())
                });
                break;
            }
            Some(Err(error)) => {
                tracing::debug!(error = %error, "WebSocket read failed");
                break;
            }
        };
        connection.touch();
        let reply = invoke(
            &gateway,
            WsRoute::Default,
            &connection,
            &id,
            &WsEvent::Message {
                frame: &frame,
                binary,
            },
        )
        .await;
        if let Some(body) = reply.body {
            let _ = connection.outbox.send(Outgoing::Frame(Message::Text(
                String::from_utf8_lossy(body.as_ref()).into_owned().into(),
            )));
        }
    }
    disconnect(&gateway, &id, code, &reason).await;
    drop(connection);
    if !writer.is_finished() {
        let _ = writer.await;
    }
}

/// Forgets the connection and tells `$disconnect`.
async fn disconnect(gateway: &Gateway, id: &str, code: u16, reason: &str) {
    let Some(connection) = gateway.connections.remove(id) else {
        return;
    };
    invoke(
        gateway,
        WsRoute::Disconnect,
        &connection,
        id,
        &WsEvent::Disconnect { code, reason },
    )
    .await;
}

/// Builds the route's event, parses it as the Lambda runtime would, and calls the handler.
async fn invoke(
    gateway: &Gateway,
    route: WsRoute,
    connection: &LiveConnection,
    id: &str,
    what: &WsEvent<'_>,
) -> WsResponse {
    let event = api_gateway_websocket(&connection.describe(id), what);
    match serde_json::from_value::<WsRequest>(event) {
        Ok(event) => handle_ws(&gateway.app, route, event).await,
        Err(error) => {
            tracing::error!(error = %error, "the gateway built an event the handler cannot read");
            let mut response = WsResponse::default();
            response.status_code = 500;
            response
        }
    }
}

/// A refused `$connect`, answered on the upgrade request as API Gateway does.
fn refusal(response: WsResponse) -> Response {
    let status = u16::try_from(response.status_code)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = response
        .body
        .map(|body| body.as_ref().to_vec())
        .unwrap_or_default();
    // The function's headers (`Retry-After` on a 503), as API Gateway passes them on.
    let mut answer = (status, response.headers, body).into_response();
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    answer
}

fn api_error(error: ApiError) -> Response {
    let (parts, body) = error.into_response().into_parts();
    Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
}

/// An id shaped like API Gateway's (`L0SM9cOFvHcCIhw=`): 11 random bytes in base64, in the
/// URL-safe alphabet so that it can stand in a path unencoded.
fn new_connection_id() -> String {
    URL_SAFE.encode(&uuid::Uuid::new_v4().as_bytes()[..11])
}
