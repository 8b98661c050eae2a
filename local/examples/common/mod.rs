//! What the benchmark programs under `local/examples/` share: their settings from the
//! environment, WebSocket clients of the gateway, and the arithmetic of their figures.

use std::time::Duration;

use tokio_tungstenite::tungstenite::Message;

/// A WebSocket client of the gateway at `addr` (host:port), with `key` in `api_key`.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `/ws` at `addr`; returns once `$connect` has recorded the connection.
pub async fn connect(addr: &str, key: &str) -> anyhow::Result<Socket> {
    let (socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?api_key={key}")).await?;
    Ok(socket)
}

/// Whether `message` is a pushed goal change (`{"type":"goal.created"|…}`).
pub fn is_goal_change(message: &Message) -> bool {
    matches!(message, Message::Text(text) if text.contains("\"type\":\"goal."))
}

/// The variable `name` as a positive integer, or `default` when it is unset.
pub fn env_or(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(raw) => raw
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| anyhow::anyhow!("{name} must be a positive integer")),
        Err(_) => Ok(default),
    }
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// The value at rank `p` (0 to 1) of `values`, nearest rank; 0 for no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
