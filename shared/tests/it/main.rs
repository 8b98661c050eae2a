//! Integration tests of the shared crate, one binary: store conformance on both engines,
//! handlers fed with `events/*.json`, bad input, the store behind PgBouncer, and the route
//! table against `functions/`; the connection store and the WebSocket handlers.

mod bad_input;
mod connections;
mod events;
mod helpers;
mod pgbouncer;
mod routes;
mod store_conformance;
mod websocket;
