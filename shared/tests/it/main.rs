//! Integration tests of the shared crate, one binary: store conformance on both engines,
//! handlers fed with `events/*.json`, bad input, and the store behind PgBouncer.

mod helpers;
mod pgbouncer;
mod store_conformance;
