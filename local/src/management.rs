//! The API Gateway Management API, served by the gateway for its own WebSocket connections:
//! `POST` (send a frame), `GET` (describe) and `DELETE` (close) on `/@connections/{id}`, with
//! 410 `GoneException` for a connection that is not open. The handlers reach it with the real
//! AWS SDK, as they reach API Gateway in AWS; only the endpoint URL differs.

use std::net::SocketAddr;
use std::sync::Arc;

use aws_sdk_apigatewaymanagement::config::{Credentials, Region};
use axum::body::Bytes;
use axum::extract::ws::Message;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use goal_tracker::config::aws_config_loader;
use goal_tracker::push::Notifier;
use serde_json::json;

use crate::websocket::Outgoing;
use crate::Gateway;

/// The largest frame the Management API takes, as in API Gateway.
const MAX_DATA_BYTES: usize = 128 * 1024;

/// The routes of the Management API.
pub fn routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route(
            "/@connections/{id}",
            post(post_to_connection)
                .get(get_connection)
                .delete(delete_connection),
        )
        .route_layer(middleware::from_fn(require_signature))
}

/// An SDK client of the Management API of the gateway at `addr`. The gateway checks that a
/// request is signed, not by whom, so any static credentials do.
pub async fn local_client(addr: SocketAddr) -> aws_sdk_apigatewaymanagement::Client {
    let config = aws_config_loader()
        .endpoint_url(format!("http://{addr}"))
        .region(Region::new("local"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "local-gateway",
        ))
        .load()
        .await;
    aws_sdk_apigatewaymanagement::Client::new(&config)
}

/// The notifier of the gateway at `addr`: pushes go through its own Management API.
pub async fn local_notifier(addr: SocketAddr) -> Notifier {
    Notifier::new(local_client(addr).await)
}

async fn post_to_connection(
    State(gateway): State<Arc<Gateway>>,
    Path(id): Path<String>,
    data: Bytes,
) -> Response {
    if data.len() > MAX_DATA_BYTES {
        return aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            "the data is larger than 128 KB",
        );
    }
    let Some(connection) = gateway.connections.get(&id) else {
        return gone();
    };
    let frame = match String::from_utf8(data.to_vec()) {
        Ok(text) => Message::Text(text.into()),
        Err(_) => Message::Binary(data),
    };
    if connection.outbox.send(Outgoing::Frame(frame)).is_err() {
        return gone();
    }
    StatusCode::OK.into_response()
}

async fn get_connection(State(gateway): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
    let Some(connection) = gateway.connections.get(&id) else {
        return gone();
    };
    let last_active_at = *connection.last_active_at.lock().expect("not poisoned");
    axum::Json(json!({
        "connectedAt": connection.connected_at.to_rfc3339(),
        "identity": {
            "sourceIp": connection.source_ip,
            "userAgent": connection.user_agent,
        },
        "lastActiveAt": last_active_at.to_rfc3339(),
    }))
    .into_response()
}

async fn delete_connection(
    State(gateway): State<Arc<Gateway>>,
    Path(id): Path<String>,
) -> Response {
    match gateway.connections.get(&id) {
        Some(connection) if connection.outbox.send(Outgoing::Close).is_ok() => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => gone(),
    }
}

/// API Gateway refuses an unsigned call before anything else.
async fn require_signature(request: Request, next: Next) -> Response {
    let signed = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256 "));
    if signed {
        next.run(request).await
    } else {
        aws_error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Missing Authentication Token",
        )
    }
}

fn gone() -> Response {
    aws_error(
        StatusCode::GONE,
        "GoneException",
        "the connection is not open",
    )
}

/// An error as the SDK reads it: the type in `x-amzn-ErrorType`, the message in the body.
fn aws_error(status: StatusCode, error_type: &'static str, message: &str) -> Response {
    (
        status,
        [("x-amzn-errortype", error_type)],
        axum::Json(json!({ "message": message })),
    )
        .into_response()
}
