//! `api-keys`: issues, lists and revokes API keys; invoked through IAM only, no API route.
//! All logic lives in the `goal-tracker` crate; see `goal_tracker::keys`.

use goal_tracker::lambda::{serve_api_keys, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    serve_api_keys().await
}
