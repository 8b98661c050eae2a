//! Benchmark (run by `bench/ws_fanout.sh`): how long a goal change takes to reach every
//! WebSocket client of its owner, and what pushing costs the write.
//!
//! A gateway on a fresh database; `POST /goals` is timed with no client, with one client and
//! with `CLIENTS` clients (default 200) of the owner. For each write it records the write's
//! latency and the time from its response to the last client's receipt, and prints medians and
//! 95th percentiles, with ratios against the no-client and one-client runs of the same process.
//!
//! Variables: `DATABASE_URL` (default: a SQLite file in a temporary folder), `CLIENTS`, `ROUNDS`.

mod common;

use std::time::{Duration, Instant};

use common::{connect, env_or, is_goal_change, median, ms, percentile};
use futures_util::StreamExt;
use goal_tracker::config::Config;
use goal_tracker::handlers::App;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What one round measured, in milliseconds.
struct Round {
    write_ms: f64,
    /// From the response to the last client's receipt; negative when every client had the
    /// change before the response arrived (pushes finish before the write responds).
    response_to_last_ms: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients: usize = env_or("CLIENTS", 200)?;
    let rounds: usize = env_or("ROUNDS", 30)?;
    let scratch = tempfile::tempdir()?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", scratch.path().join("bench.db").display()));
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone()))?;
    let app = App::from_config(&config, 8).await?;
    app.store.migrate().await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (key, _) = goal_tracker::keys::issue(
        app.store.as_ref(),
        &goal_tracker::domain::Owner::new("bench").expect("an owner"),
    )
    .await?;
    let key = key.expose().to_owned();
    let options = local::Options {
        cors: local::cors::Cors::parse("")?,
        auth_cache_ttl: goal_tracker::authorizer::DEFAULT_CACHE_TTL,
        site: local::site::Site::from_env(),
    };
    tokio::spawn(local::serve(listener, app, options, std::future::pending()));
    println!(
        "gateway on {addr}, database {}, {rounds} writes per case",
        config.database
    );

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", key.parse()?);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let write = |n: usize| {
        let http = http.clone();
        async move {
            let started = Instant::now();
            let response = http
                .post(format!("http://{addr}/goals"))
                .json(&serde_json::json!({ "name": format!("bench {n}") }))
                .send()
                .await?;
            anyhow::ensure!(
                response.status() == 201,
                "POST /goals: {}",
                response.status()
            );
            Ok::<_, anyhow::Error>((started, Instant::now()))
        }
    };

    // Warm up the pool and the HTTP connection.
    for n in 0..5 {
        write(n).await?;
    }
    let mut no_client = Vec::new();
    for n in 0..rounds {
        let (started, answered) = write(n).await?;
        no_client.push(ms(answered - started));
    }

    let one = fan_out(addr, &key, 1, rounds, &write).await?;
    let many = fan_out(addr, &key, clients, rounds, &write).await?;

    let write_none = median(&no_client);
    let write_one = median(&one.iter().map(|r| r.write_ms).collect::<Vec<_>>());
    let write_many = median(&many.iter().map(|r| r.write_ms).collect::<Vec<_>>());
    let last_one: Vec<f64> = one.iter().map(|r| r.response_to_last_ms).collect();
    let last_many: Vec<f64> = many.iter().map(|r| r.response_to_last_ms).collect();
    println!();
    println!("POST /goals latency (median / p95):");
    println!(
        "  0 clients        {write_none:7.2} / {:7.2} ms   (baseline)",
        p95(&no_client)
    );
    println!(
        "  1 client         {write_one:7.2} / {:7.2} ms   ratio {:.2}",
        p95(&one.iter().map(|r| r.write_ms).collect::<Vec<_>>()),
        write_one / write_none
    );
    println!(
        "  {clients} clients      {write_many:7.2} / {:7.2} ms   ratio {:.2}",
        p95(&many.iter().map(|r| r.write_ms).collect::<Vec<_>>()),
        write_many / write_none
    );
    println!(
        "REST response -> last client's receipt (median / p95; negative: before the response):"
    );
    println!(
        "  1 client         {:7.2} / {:7.2} ms",
        median(&last_one),
        p95(&last_one)
    );
    println!(
        "  {clients} clients      {:7.2} / {:7.2} ms",
        median(&last_many),
        p95(&last_many)
    );
    println!(
        "write start -> last receipt, {clients} clients: median {:.2} ms ({:.2}x one client's)",
        median(
            &many
                .iter()
                .map(|r| r.write_ms + r.response_to_last_ms)
                .collect::<Vec<_>>()
        ),
        median(
            &many
                .iter()
                .map(|r| r.write_ms + r.response_to_last_ms)
                .collect::<Vec<_>>()
        ) / median(
            &one.iter()
                .map(|r| r.write_ms + r.response_to_last_ms)
                .collect::<Vec<_>>()
        )
    );
    Ok(())
}

/// Connects `clients` sockets, then times `rounds` writes, each until every socket has it.
async fn fan_out<F, Fut>(
    addr: std::net::SocketAddr,
    key: &str,
    clients: usize,
    rounds: usize,
    write: &F,
) -> anyhow::Result<Vec<Round>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Instant, Instant)>>,
{
    let (receipts, mut received) = mpsc::unbounded_channel::<Instant>();
    let mut sockets = Vec::new();
    for _ in 0..clients {
        let socket = connect(&addr.to_string(), key).await?;
        let receipts = receipts.clone();
        sockets.push(tokio::spawn(async move {
            let (_, mut stream) = socket.split();
            while let Some(Ok(message)) = stream.next().await {
                if is_goal_change(&message) && receipts.send(Instant::now()).is_err() {
                    break;
                }
            }
        }));
    }
    // `connect_async` returns after `$connect` has recorded the socket. Round 0 warms up.
    let mut results = Vec::new();
    for n in 0..=rounds {
        let (started, answered) = write(n).await?;
        let mut last: Option<Instant> = None;
        for _ in 0..clients {
            let at = tokio::time::timeout(Duration::from_secs(10), received.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("a client stopped"))?;
            last = Some(last.map_or(at, |last| last.max(at)));
        }
        if n > 0 {
            results.push(Round {
                write_ms: ms(answered - started),
                response_to_last_ms: signed_ms(answered, last.unwrap_or(answered)),
            });
        }
    }
    for socket in sockets {
        socket.abort();
    }
    Ok(results)
}

fn signed_ms(from: Instant, to: Instant) -> f64 {
    if to >= from {
        ms(to - from)
    } else {
        -ms(from - to)
    }
}

fn p95(values: &[f64]) -> f64 {
    percentile(values, 0.95)
}
