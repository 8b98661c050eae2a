//! Benchmark: what the authorizer's in-process cache saves on the warm path. On a fresh
//! database (`DATABASE_URL`, default a SQLite file in a temporary folder), one key is checked
//! `ROUNDS` times (default 2000) with the cache off (every check is a query) and on (the first
//! check is a query, the rest hit the cache); prints median and p95 per check, and the ratio.
//!
//! `cargo run -p goal-tracker --example authorizer_cache` (add `--release` for figures).

use std::sync::Arc;
use std::time::{Duration, Instant};

use goal_tracker::authorizer::Authorizer;
use goal_tracker::config::Config;
use goal_tracker::domain::Owner;
use goal_tracker::handlers::App;
use goal_tracker::store::Store;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::var("ROUNDS").map_or(Ok(2000), |r| r.parse())?;
    let scratch = std::env::temp_dir().join(format!("authorizer-cache-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", scratch.join("bench.db").display()));
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone()))?;
    let app = App::from_config(&config, 1).await?;
    app.store.migrate().await?;
    let (key, _) =
        goal_tracker::keys::issue(app.store.as_ref(), &Owner::new("bench").unwrap()).await?;
    let store: Arc<dyn Store> = app.store.clone();
    println!(
        "database {}, {rounds} checks of one key each way",
        config.database
    );

    let mut results = Vec::new();
    for (label, ttl) in [
        ("cache off (AUTH_CACHE_TTL_SECONDS=0)", Duration::ZERO),
        ("cache on (30 s)", Duration::from_secs(30)),
    ] {
        let authorizer = Authorizer::new(store.clone(), ttl);
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            let owner = authorizer.authorize(Some(key.expose())).await?;
            times.push(started.elapsed().as_secs_f64() * 1e6);
            assert!(owner.is_some());
        }
        times.sort_by(f64::total_cmp);
        let (median, p95) = (times[rounds / 2], times[rounds * 95 / 100]);
        println!("{label:40} median {median:9.1} µs   p95 {p95:9.1} µs");
        results.push(median);
    }
    println!("median ratio, off / on: {:.0}x", results[0] / results[1]);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
