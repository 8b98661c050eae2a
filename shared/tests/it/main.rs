//! Integration tests of the shared crate, one binary: store conformance on both engines,
//! handlers fed with `events/*.json`, bad input, the store behind PgBouncer, and the route
//! table against `functions/` and `template.yaml`; the connection store, the WebSocket
//! handlers, and the `migrate` function.

mod bad_input;
mod connections;
mod events;
mod helpers;
mod migrate;
mod pgbouncer;
mod routes;
mod store_conformance;
mod template;
mod websocket;
