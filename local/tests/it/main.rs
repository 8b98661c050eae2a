//! End-to-end tests of the local gateway over real HTTP and WebSocket: the API on SQLite and
//! PostgreSQL, API keys and isolation between owners, CORS and the OpenAPI document, what
//! reaches the log, live updates, and the AWS configuration path (Secrets Manager on
//! moto_server, TLS to PostgreSQL).

mod auth;
mod gateway;
mod helpers;
mod secrets_manager;
mod site;
mod websocket;
