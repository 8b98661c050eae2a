//! `cargo run -p local`: the whole API on http://127.0.0.1:3000, on a SQLite file by default.
//! Variables: `LOCAL_ADDR`, `DEV_OWNER`, and the functions' own (`DATABASE_URL`, …).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    goal_tracker::telemetry::init();
    local::run(local::Settings::from_env()?).await
}
