//! `list-goals`: GET /goals: one page of the caller's goals.
//! All logic lives in the `goal-tracker` crate; see `goal_tracker::routes`.

use goal_tracker::lambda::{serve, Error};
use goal_tracker::routes::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve(Endpoint::ListGoals).await
}
