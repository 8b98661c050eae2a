//! Integration tests of the shared crate, one binary: store conformance on both engines (goals
//! and API keys), `Idempotency-Key` on both engines, the authorizer fed with its events,
//! handlers fed with `events/*.json`, bad input, the store behind PgBouncer, and the route
//! table against `functions/` and `template.yaml`; the connection store, the WebSocket
//! handlers, and the `migrate` function.

mod authorizer;
mod bad_input;
mod connections;
mod events;
mod helpers;
mod idempotency;
mod keys;
mod migrate;
mod openapi;
mod pgbouncer;
mod properties;
mod routes;
mod store_conformance;
mod template;
mod websocket;
