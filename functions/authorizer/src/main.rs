//! `authorizer`: the Lambda REQUEST authorizer of the HTTP API and of the WebSocket `$connect`.
//! All logic lives in the `goal-tracker` crate; see `goal_tracker::authorizer`.

use goal_tracker::lambda::{serve_authorizer, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve_authorizer().await
}
