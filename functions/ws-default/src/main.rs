//! `ws-default`: the WebSocket API's `$default`: answers `ping` and `sync`, and errors.
//! All logic lives in the `goal-tracker` crate; see `goal_tracker::websocket`.

use goal_tracker::lambda::{serve_websocket, Error};
use goal_tracker::websocket::WsRoute;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve_websocket(WsRoute::Default).await
}
