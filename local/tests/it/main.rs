//! End-to-end tests of the local gateway over real HTTP and WebSocket: the API on SQLite and
//! PostgreSQL, live updates, and the AWS configuration path (Secrets Manager on moto_server, TLS
//! to PostgreSQL).

mod gateway;
mod secrets_manager;
mod websocket;
