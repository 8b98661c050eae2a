//! End-to-end tests of the local gateway over real HTTP and WebSocket: the API on SQLite and
//! PostgreSQL, API keys and isolation between owners, CORS and the OpenAPI document, what
//! reaches the log, live updates, the AWS configuration path (Secrets Manager on
//! moto_server, TLS to PostgreSQL), the built site, and the IaC's drift from the gateway.

mod auth;
mod gateway;
mod helpers;
mod iac;
mod secrets_manager;
mod site;
mod websocket;
