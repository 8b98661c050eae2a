//! `migrate`: applies the embedded migrations; the deploy pipeline and CodeDeploy's PreTraffic
//! hook invoke it. All logic lives in the `goal-tracker` crate; see `goal_tracker::migrate`.

use goal_tracker::migrate::{serve, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve().await
}
