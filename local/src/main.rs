//! `cargo run -p local`: the whole API on http://127.0.0.1:3000, on a SQLite file by default.
//! `cargo run -p local -- keys create|list|revoke …`: manage API keys (see `local::cli`).
//! Variables: `LOCAL_ADDR`, `DEV_OWNER`, `CORS_ALLOWED_ORIGINS`, and the functions' own.

/// The gateway serves many requests at once on a few threads: mimalloc's per-thread heaps spend
/// less on allocation than glibc's arenas there (measured in bench/gateway_rps.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, rest)) if command == "keys" => local::cli::keys(rest).await,
        Some((other, _)) => {
            anyhow::bail!("unknown command {other:?}; try `keys`, or no argument to serve")
        }
        None => {
            goal_tracker::telemetry::init();
            local::run(local::Settings::from_env()?).await
        }
    }
}
