//! End-to-end tests of the local gateway over real HTTP and WebSocket: the API on SQLite and
//! PostgreSQL, API keys and isolation between owners, CORS and the OpenAPI document, what
//! reaches the log, live updates, the metrics at `/metrics`, the AWS configuration path
//! (Secrets Manager on moto_server, TLS to PostgreSQL), `Idempotency-Key` over HTTP, the
//! database restarting under load (a private PostgreSQL, directly and behind PgBouncer), the
//! built site, and the IaC's drift from the gateway.

mod auth;
mod faults;
mod gateway;
mod helpers;
mod iac;
mod idempotency;
mod metrics;
mod secrets_manager;
mod site;
mod websocket;
