//! Data access: one `GoalStore` and one `KeyStore` interface, two engines.
//!
//! PostgreSQL is production; SQLite is the embedded default for local runs. Both pass the same
//! conformance suite (`shared/tests/api/store_conformance.rs`).

mod connections;
mod idempotency;
mod postgres;
mod sql;
mod sqlite;
mod timestamp;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::domain::{Cursor, Goal, GoalId, GoalPage, GoalPatch, NewGoal, Owner, PageLimit};
use crate::keys::{KeyHash, KeyId, KeyInfo};

pub use connections::ConnectionStore;
pub use idempotency::IdempotencyStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use timestamp::Timestamp;

/// What can go wrong in the store. Neither variant is the client's fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached in time: worth retrying.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// The database answered with an error.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Database(error)
        }
    }
}

/// Whether `error` means the database is away (unreachable, restarting, or its proxy cannot
/// reach it) rather than that it refused a statement: the first is worth a retry, a 503.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        // SQLSTATE class 08 (connection exception: also what PgBouncer answers when it cannot
        // reach the server), 57P01-57P03 (the server is shutting down, crashed, or starting up),
        // 53300 (no connection slot free).
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl StoreError {
    /// Any failure, counted as the database being away: what `/health` makes of a failed ping.
    pub fn unavailable(self) -> Self {
        match self {
            Self::Database(cause) => Self::Unavailable(cause),
            unavailable => unavailable,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Goals, always scoped by owner: no method can reach another owner's goal.
#[async_trait]
pub trait GoalStore: Send + Sync {
    /// Applies the embedded migrations of this engine.
    async fn migrate(&self) -> Result<()>;
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<()>;
    async fn create(&self, owner: &Owner, goal: &NewGoal) -> Result<Goal>;
    async fn get(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>>;
    /// At most `limit` goals with ids above `after`, in id order.
    async fn list(&self, owner: &Owner, after: Option<GoalId>, limit: u32) -> Result<Vec<Goal>>;
    /// `None` when the owner has no such goal.
    async fn update(&self, owner: &Owner, id: GoalId, patch: &GoalPatch) -> Result<Option<Goal>>;
    /// The deleted goal; `None` when the owner has no such goal.
    async fn delete(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>>;
}

/// API keys, by hash: the store never sees a key itself.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key's hash for `owner`.
    async fn insert_key(&self, owner: &Owner, hash: &KeyHash, prefix: &str) -> Result<KeyInfo>;
    /// The owner of the key with this hash, unless there is none or it is revoked.
    async fn key_owner(&self, hash: &KeyHash) -> Result<Option<Owner>>;
    /// Keys in id order, of one owner or of everyone.
    async fn list_keys(&self, owner: Option<&Owner>) -> Result<Vec<KeyInfo>>;
    /// Revokes a key; a key revoked before keeps its first revocation time. `None` if unknown.
    async fn revoke_key(&self, id: KeyId) -> Result<Option<KeyInfo>>;
    /// Whether any key was ever issued, revoked or not.
    async fn any_keys(&self) -> Result<bool>;
}

/// Everything one database keeps: goals (and the idempotency records of their creates), the
/// WebSocket connections their changes go to, and API keys. What the functions and the local
/// gateway hold.
pub trait Store: GoalStore + IdempotencyStore + ConnectionStore + KeyStore {}

impl<T: GoalStore + IdempotencyStore + ConnectionStore + KeyStore> Store for T {}

/// One page of an owner's goals: asks for one goal more than the page holds to learn whether
/// another page follows, without a count query.
pub async fn list_page(
    store: &dyn GoalStore,
    owner: &Owner,
    cursor: Option<Cursor>,
    limit: PageLimit,
) -> Result<GoalPage> {
    let page_size = limit.get() as usize;
    let mut goals = store
        .list(owner, cursor.map(|c| c.after), limit.get() + 1)
        .await?;
    let next_cursor = if goals.len() > page_size {
        goals.truncate(page_size);
        goals.last().map(|goal| Cursor { after: goal.id }.encode())
    } else {
        None
    };
    Ok(GoalPage { goals, next_cursor })
}

/// Where the store lives, with its connection options resolved.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgConnectOptions),
    /// PostgreSQL with credentials from a secret that rotates: when the database refuses a new
    /// connection, the store reads them again from `source`.
    RotatingPostgres(PgConnectOptions, Arc<dyn CredentialSource>),
    Sqlite(SqliteConnectOptions),
}

/// Where PostgreSQL's connection options come from when they can change under a running
/// function, as an RDS secret does when RDS rotates its password.
#[async_trait]
pub trait CredentialSource: Send + Sync + std::fmt::Debug {
    /// The connection options as they are now. The error is safe to log.
    async fn connect_options(&self) -> std::result::Result<PgConnectOptions, String>;
}

/// How long a request waits for a connection before the database counts as unavailable. It
/// bounds connecting too: sqlx retries a refused connect, with backoff, until this deadline.
/// Well under the functions' 10 s timeout (`template.yaml`), so a request while the database is
/// away ends in a 503 with time to spare, never in a Lambda timeout.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Builds the store. Connections open lazily, so a function still starts (and `/health`
/// answers 503) while the database is down.
pub fn connect(database: Database, max_connections: u32) -> Arc<dyn Store> {
    match database {
        Database::Postgres(options) => {
            Arc::new(PostgresStore::new(postgres_pool(options, max_connections)))
        }
        Database::RotatingPostgres(options, source) => Arc::new(
            PostgresStore::new(postgres_pool(options, max_connections)).with_credentials(source),
        ),
        Database::Sqlite(options) => {
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(options);
            Arc::new(SqliteStore::new(pool))
        }
    }
}

fn postgres_pool(options: PgConnectOptions, max_connections: u32) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // No ping before a connection is handed out: a round trip on every request. The store
        // resends a statement whose connection died while idle instead (see `postgres`).
        .test_before_acquire(false)
        .connect_lazy_with(options)
}

/// The time a change is stamped with, at the microsecond precision both engines keep, so a
/// goal reads back exactly as it was returned.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
