//! goal-tracker: the one library every Lambda binary, the local gateway and the tests link.
//!
//! Layers: [`domain`] (rules, no HTTP or SQL), [`store`] (the database), [`handlers`]
//! (API Gateway request in, response out) over [`request`] and [`error`]; [`routes`] is the
//! route table; [`config`], [`telemetry`] and [`lambda`] are what a binary needs at init;
//! [`metrics`] is what an operator watches; [`rfc3339`] writes the API's instants.
//! [`idempotency`] makes a retried create harmless.
//! [`keys`] issues and revokes API keys; [`authorizer`] checks them.
//! [`websocket`] serves the WebSocket routes; [`push`] sends goal changes to connections;
//! [`migrate`] is the function that applies the migrations in AWS.

pub mod authorizer;
pub mod config;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod idempotency;
pub mod keys;
pub mod lambda;
pub mod metrics;
pub mod migrate;
pub mod push;
pub mod request;
pub mod rfc3339;
pub mod routes;
pub mod store;
pub mod telemetry;
pub mod websocket;
