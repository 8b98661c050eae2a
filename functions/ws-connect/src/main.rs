//! `ws-connect`: the WebSocket API's `$connect`: records the connection with its owner.
//! All logic lives in the `goal-tracker` crate; see `goal_tracker::websocket`.

use goal_tracker::lambda::{serve_websocket, Error};
use goal_tracker::websocket::WsRoute;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve_websocket(WsRoute::Connect).await
}
