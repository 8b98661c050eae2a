//! Benchmark (run by `bench/soak.sh`): a bounded soak of a running local gateway. `CLIENTS`
//! (default 32) HTTP clients loop over mixed operations for `SOAK_SECONDS` (default 60): create,
//! list, get, rename, complete, delete, while `WS_CLIENTS` (default 200) WebSocket clients,
//! spread over `OWNERS` (default 4) owners, stay attached. Prints the requests made, the errors
//! (anything but the expected status, or no answer), p50/p99 latency, the gateway's RSS at the
//! start of the load (after a warm-up) and at its end, the goal changes each WebSocket client
//! was owed and received, and last the push and status counts of the gateway's own `/metrics`.
//! Exits non-zero when any figure breaks the soak's promise: an error, a lost or extra push.
//!
//! Variables: `GATEWAY` (host:port of the gateway, required), `GATEWAY_PID` (its process, for
//! its RSS), `DATABASE_URL` (the gateway's database: the keys of the owners are issued there),
//! `CLIENTS`, `SOAK_SECONDS`, `WS_CLIENTS`, `OWNERS`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{connect, env_or, is_goal_change, median, ms, percentile};
use futures_util::StreamExt;
use goal_tracker::config::Config;
use goal_tracker::domain::Owner;
use goal_tracker::store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// How long the WebSocket clients may take, after the load, to receive the last changes.
const SETTLE: Duration = Duration::from_secs(10);
/// The first part of the load, after which the gateway's RSS counts as the start's: its pool
/// and buffers have grown to what the load needs.
const WARM_UP: Duration = Duration::from_secs(5);
/// How often the gateway's RSS is sampled during the load, to tell a plateau from a climb.
const RSS_SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// A request with no answer by then is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What one HTTP client measured.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let gateway = std::env::var("GATEWAY").map_err(|_| anyhow::anyhow!("set GATEWAY=host:port"))?;
    let pid = std::env::var("GATEWAY_PID").ok();
    let clients = env_or("CLIENTS", 32)?;
    let seconds = env_or("SOAK_SECONDS", 60)?;
    let ws_clients = env_or("WS_CLIENTS", 200)?;
    let owners = env_or("OWNERS", 4)?;

    let config = Config::from_env()?;
    let keys_store = store::connect(config.database().await?, 1);
    let mut keys = Vec::new();
    for n in 0..owners {
        let owner = Owner::new(&format!("soak-{n}")).expect("an owner");
        let (key, _) = goal_tracker::keys::issue(keys_store.as_ref(), &owner).await?;
        keys.push(key.expose().to_owned());
    }
    let idle_rss = rss_kib(pid.as_deref());

    // The WebSocket clients, round-robin over the owners; each counts the changes it receives.
    let received: Vec<Arc<AtomicU64>> = (0..ws_clients).map(|_| Arc::default()).collect();
    let mut sockets = Vec::new();
    for (n, count) in received.iter().enumerate() {
        let socket = connect(&gateway, &keys[n % owners]).await?;
        let count = count.clone();
        sockets.push(tokio::spawn(async move {
            let (_sink, mut stream) = socket.split();
            while let Some(Ok(message)) = stream.next().await {
                if is_goal_change(&message) {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let changes: Arc<Vec<AtomicU64>> = Arc::new((0..owners).map(|_| AtomicU64::new(0)).collect());
    let attached_rss = rss_kib(pid.as_deref());
    println!(
        "gateway {gateway}: {clients} HTTP clients for {seconds} s, {ws_clients} WebSocket clients over {owners} owners"
    );

    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let started = Instant::now();
    let mut workers = Vec::new();
    for n in 0..clients {
        let owner = n % owners;
        let client = Client::new(&gateway, &keys[owner])?;
        let changes = changes.clone();
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut round = 0;
            while Instant::now() < deadline {
                let changed = client.round(n, round, &mut tally).await;
                changes[owner].fetch_add(changed, Ordering::Relaxed);
                round += 1;
            }
            tally
        }));
    }
    let sampler = {
        let pid = pid.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() + RSS_SAMPLE_EVERY <= deadline {
                tokio::time::sleep(RSS_SAMPLE_EVERY).await;
                samples.extend(rss_kib(pid.as_deref()));
            }
            samples
        })
    };
    tokio::time::sleep(WARM_UP.min(Duration::from_secs(seconds as u64))).await;
    let start_rss = rss_kib(pid.as_deref());
    let mut tally = Tally::default();
    for worker in workers {
        let done = worker.await?;
        tally.latencies_ms.extend(done.latencies_ms);
        tally.errors.extend(done.errors);
    }
    let elapsed = started.elapsed();
    let end_rss = rss_kib(pid.as_deref());
    let rss_samples = sampler.await?;

    // Every WebSocket client is owed every change of its owner.
    let owed = |n: usize| changes[n % owners].load(Ordering::Relaxed);
    let settle_until = Instant::now() + SETTLE;
    while Instant::now() < settle_until
        && (0..ws_clients).any(|n| received[n].load(Ordering::Relaxed) < owed(n))
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: u64 = (0..ws_clients).map(owed).sum();
    let got: u64 = received.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    let short = (0..ws_clients)
        .filter(|&n| received[n].load(Ordering::Relaxed) != owed(n))
        .count();
    for socket in sockets {
        socket.abort();
    }

    let requests = tally.latencies_ms.len() + tally.errors.len();
    println!();
    println!(
        "requests        {requests} in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!("errors          {}", tally.errors.len());
    for error in tally.errors.iter().take(5) {
        println!("                {error}");
    }
    println!(
        "latency         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        median(&tally.latencies_ms),
        percentile(&tally.latencies_ms, 0.99),
        percentile(&tally.latencies_ms, 1.0)
    );
    let changes_made: u64 = changes.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    println!(
        "goal changes    {changes_made}, each pushed to the {} clients of its owner",
        ws_clients / owners
    );
    println!(
        "deliveries      expected {expected}, received {got}; clients not at their count: {short} of {ws_clients}"
    );
    match (idle_rss, attached_rss, start_rss, end_rss) {
        (Some(idle), Some(attached), Some(start), Some(end)) => println!(
            "gateway RSS     {:.1} MiB idle, {:.1} MiB with the clients attached, {:.1} MiB at the start ({} s into the load), {:.1} MiB at the end: end/start {:.2}",
            mib(idle),
            mib(attached),
            mib(start),
            WARM_UP.as_secs(),
            mib(end),
            end as f64 / start as f64
        ),
        _ => println!("gateway RSS     not measured (GATEWAY_PID unset or unreadable)"),
    }
    if !rss_samples.is_empty() {
        let series: Vec<String> = rss_samples
            .iter()
            .map(|kib| format!("{:.1}", mib(*kib)))
            .collect();
        println!(
            "                every {} s of the load: {} MiB",
            RSS_SAMPLE_EVERY.as_secs(),
            series.join(", ")
        );
    }
    // What the gateway itself counted: a push it gave up on is `Pushes{Outcome="failed"}`.
    let scraped = reqwest::get(format!("http://{gateway}/metrics"))
        .await?
        .text()
        .await?;
    for line in scraped
        .lines()
        .filter(|line| line.starts_with("Pushes{") || line.starts_with("RequestsByStatus{"))
    {
        println!("gateway metric  {line}");
    }
    anyhow::ensure!(tally.errors.is_empty(), "the soak saw errors");
    anyhow::ensure!(
        got == expected && short == 0,
        "WebSocket deliveries: expected {expected}, received {got}"
    );
    Ok(())
}

/// One HTTP client of the soak, with its owner's key.
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(gateway: &str, key: &str) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", key.parse()?);
        Ok(Self {
            http: reqwest::Client::builder()
                .default_headers(headers)
                .timeout(REQUEST_TIMEOUT)
                .build()?,
            base: format!("http://{gateway}"),
        })
    }

    /// One round of the mixed operations on a goal of its own; the goal changes it made.
    async fn round(&self, client: usize, round: usize, tally: &mut Tally) -> u64 {
        let name = format!("soak {client}-{round}");
        let Some(created) = self
            .call(
                tally,
                Method::POST,
                "/goals",
                Some(json!({ "name": name })),
                StatusCode::CREATED,
            )
            .await
        else {
            return 0;
        };
        let mut changes = 1;
        let Some(id) = created["id"].as_i64() else {
            tally
                .errors
                .push(format!("POST /goals: no id in {created}"));
            return changes;
        };
        let path = format!("/goals/{id}");
        self.call(tally, Method::GET, "/goals?limit=20", None, StatusCode::OK)
            .await;
        self.call(tally, Method::GET, &path, None, StatusCode::OK)
            .await;
        let steps = [
            (
                Method::PATCH,
                Some(json!({ "name": format!("{name} renamed") })),
                StatusCode::OK,
            ),
            (
                Method::PATCH,
                Some(json!({ "completed": true })),
                StatusCode::OK,
            ),
            (Method::DELETE, None, StatusCode::NO_CONTENT),
        ];
        for (method, body, expected) in steps {
            if self
                .call(tally, method, &path, body, expected)
                .await
                .is_some()
            {
                changes += 1;
            }
        }
        changes
    }

    /// One request, timed; its JSON body (`Null` when empty) when it had the expected status.
    async fn call(
        &self,
        tally: &mut Tally,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Option<Value> {
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = async {
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        match answer {
            Ok((status, bytes)) if status == expected => {
                tally.latencies_ms.push(ms(started.elapsed()));
                Some(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
            }
            Ok((status, bytes)) => {
                tally.errors.push(format!(
                    "{method} {path}: {status} {}",
                    String::from_utf8_lossy(&bytes)
                ));
                None
            }
            Err(error) => {
                tally.errors.push(format!("{method} {path}: {error}"));
                None
            }
        }
    }
}

/// The resident set of process `pid`, in KiB (`VmRSS` of `/proc/<pid>/status`).
fn rss_kib(pid: Option<&str>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
