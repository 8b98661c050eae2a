//! End-to-end tests of the local gateway over real HTTP: the API on SQLite and PostgreSQL, and
//! the AWS configuration path (Secrets Manager on moto_server, TLS to PostgreSQL).

mod gateway;
mod secrets_manager;
