//! The PostgreSQL store, correct behind a transaction-pooling proxy (RDS Proxy, PgBouncer),
//! in as few round trips as the protocol allows.
//!
//! Such a proxy hands each transaction to whichever server connection is free, so nothing may
//! be left on a server connection between two of them. Every query is therefore one statement
//! sent whole with the simple query protocol ([`sql`](super::sql) says why and how): one round
//! trip, its own implicit transaction, nothing prepared. No `BEGIN`/`COMMIT` around it, no ping
//! before it: [`PostgresStore::round_trip`] is the one way a query reaches the database.
//!
//! A connection is not handed back to sqlx's pool after its statement but parked in the store
//! for the next one: sqlx pings every connection it takes back, one more round trip per
//! request. A parked connection stays checked out of the pool, so the pool's size limit and
//! timeouts still bound how many there are and how long opening one may take.
//!
//! A connection that died while parked (the database or the proxy restarted, or closed it for
//! being idle) fails its next statement; that statement is sent once more on a fresh
//! connection, under the rule of [`died_while_idle`].
//!
//! When its credentials come from a rotating secret, a connection the database refuses makes
//! the store read the secret again (at most every [`REREAD_INTERVAL`]) and retry once: after
//! RDS rotates the password, a warm function keeps working instead of failing until recycled.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::{Either, FromRow, PgConnection, PgPool, Postgres};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::sql::{render, Param};
use super::{now, CredentialSource, GoalStore, KeyStore, Result, ACQUIRE_TIMEOUT};
use crate::domain::{Goal, GoalId, GoalPatch, NewGoal, Owner};
use crate::keys::{KeyHash, KeyId, KeyInfo};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

const GOAL_COLUMNS: &str = "id, name, completed, created_at, updated_at";
const KEY_COLUMNS: &str = "id, owner, prefix, created_at, revoked_at";

/// How often, at most, a refused connection makes the store read its credentials again.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(30);

/// Goals in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
    /// Connections checked out of `pool`, ready for the next statement, newest last.
    parked: Mutex<Vec<PoolConnection<Postgres>>>,
    /// One turn per connection the pool may open (see [`PostgresStore::slot`]).
    slots: Semaphore,
    credentials: Option<Credentials>,
}

/// Where fresh credentials come from, and when they were last read.
struct Credentials {
    source: Arc<dyn CredentialSource>,
    last_read: Mutex<Option<Instant>>,
}

/// What one statement returned: its rows, and how many rows it changed.
#[derive(Default)]
struct Answer {
    rows: Vec<PgRow>,
    rows_affected: u64,
}

/// Sends `sql` with the simple query protocol and reads the whole answer: one round trip.
async fn send(conn: &mut PgConnection, sql: &str) -> Result<Answer, sqlx::Error> {
    let mut answer = Answer::default();
    let mut stream = sqlx::raw_sql(sql).fetch_many(conn);
    while let Some(item) = stream.try_next().await? {
        match item {
            Either::Left(done) => answer.rows_affected += done.rows_affected(),
            Either::Right(row) => answer.rows.push(row),
        }
    }
    Ok(answer)
}

/// Whether `error` shows the connection was already closed when the statement went out, so
/// the statement may be sent again on a fresh connection. The rule: the connection had been
/// parked (idle) before this statement, and the failure is the server's own notice that it
/// ended the session (`57P01` admin shutdown, `57P02` crash shutdown, class `08` connection
/// exceptions, as PgBouncer sends) or an I/O failure (reset, broken pipe, end of stream)
/// before any answer. PostgreSQL, PgBouncer and RDS Proxy close connections while they are
/// idle (a restart, an idle timeout), and a statement written into such a socket never reached
/// a session. The one case an I/O failure cannot tell apart is the server dying during this
/// very statement, between its commit and its answer: a write could then be applied twice.
/// That window is the server's commit-to-reply time; the statement is never resent a second
/// time, and a client's own retries of `POST /goals` are what `Idempotency-Key` is for.
fn died_while_idle(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(error) => session_ended(error.as_ref()),
        _ => false,
    }
}

/// The server's notice that it ended the session, rather than an error in the statement.
fn session_ended(error: &dyn DatabaseError) -> bool {
    error
        .code()
        .is_some_and(|code| matches!(&*code, "57P01" | "57P02") || code.starts_with("08"))
}

/// Closes `conn` instead of handing it back to the pool (which would ping it first).
fn close(mut conn: PoolConnection<Postgres>) {
    conn.close_on_drop();
}

impl PostgresStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            slots: Semaphore::new(pool.options().get_max_connections() as usize),
            pool,
            parked: Mutex::new(Vec::new()),
            credentials: None,
        }
    }

    /// Reads the credentials again from `source` when the database refuses a connection.
    pub fn with_credentials(mut self, source: Arc<dyn CredentialSource>) -> Self {
        self.credentials = Some(Credentials {
            source,
            last_read: Mutex::new(None),
        });
        self
    }

    /// The rows of `template` with `params` (see [`render`]), each read as a `T`.
    pub(super) async fn fetch_all<T>(
        &self,
        template: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, PgRow>,
    {
        let answer = self.round_trip(&render(template, params)?).await?;
        answer.rows.iter().map(T::from_row).collect()
    }

    /// The first row of `template` with `params`, if any.
    pub(super) async fn fetch_optional<T>(
        &self,
        template: &str,
        params: &[Param<'_>],
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, PgRow>,
    {
        Ok(self.fetch_all(template, params).await?.into_iter().next())
    }

    /// The first row of `template` with `params`; no row is an error.
    pub(super) async fn fetch_one<T>(
        &self,
        template: &str,
        params: &[Param<'_>],
    ) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, PgRow>,
    {
        self.fetch_optional(template, params)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// How many rows `template` with `params` changed.
    pub(super) async fn execute(
        &self,
        template: &str,
        params: &[Param<'_>],
    ) -> Result<u64, sqlx::Error> {
        Ok(self
            .round_trip(&render(template, params)?)
            .await?
            .rows_affected)
    }

    /// Sends `sql` on a parked connection (or a new one), in one round trip; again, once, on a
    /// fresh connection if the first had died while idle.
    async fn round_trip(&self, sql: &str) -> Result<Answer, sqlx::Error> {
        // One bound for the whole wait, turn and connection together.
        let deadline = Instant::now() + ACQUIRE_TIMEOUT;
        let _slot = self.slot(deadline).await?;
        let (mut conn, was_parked) = match self.unpark() {
            Some(conn) => (conn, true),
            None => (self.connection(deadline).await?, false),
        };
        match send(&mut conn, sql).await {
            Err(error) if was_parked && died_while_idle(&error) => {
                tracing::info!(error = %error, "a connection had closed while idle: the statement is sent again on a fresh one");
                // Its siblings were opened as long ago, and likely closed with it.
                for stale in std::mem::take(&mut *self.parked_list())
                    .into_iter()
                    .chain([conn])
                {
                    close(stale);
                }
                let mut fresh = self.connection(deadline).await?;
                let result = send(&mut fresh, sql).await;
                self.park(fresh, &result);
                result
            }
            result => {
                self.park(conn, &result);
                result
            }
        }
    }

    /// A turn to run a statement. Parked connections stay checked out of the pool, so a
    /// statement waiting in `pool.acquire()` would never see them: it waits here instead, for
    /// one of as many turns as the pool has connections, so whoever holds a turn finds a parked
    /// connection or room in the pool.
    async fn slot(&self, deadline: Instant) -> Result<SemaphorePermit<'_>, sqlx::Error> {
        tokio::time::timeout_at(deadline, self.slots.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)
    }

    /// A new connection from the pool, after re-reading the credentials once if the database
    /// refused the login.
    async fn connection(&self, deadline: Instant) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        let acquire = || async {
            tokio::time::timeout_at(deadline, self.pool.acquire())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?
        };
        self.recovering(acquire).await
    }

    fn parked_list(&self) -> std::sync::MutexGuard<'_, Vec<PoolConnection<Postgres>>> {
        self.parked.lock().expect("not poisoned")
    }

    fn unpark(&self) -> Option<PoolConnection<Postgres>> {
        self.parked_list().pop()
    }

    /// Keeps `conn` for the next statement unless its statement broke it.
    fn park<T>(&self, conn: PoolConnection<Postgres>, result: &Result<T, sqlx::Error>) {
        match result {
            Ok(_) => self.parked_list().push(conn),
            // The statement failed, the session did not: the server is ready for the next.
            Err(sqlx::Error::Database(error)) if !session_ended(error.as_ref()) => {
                self.parked_list().push(conn)
            }
            Err(_) => close(conn),
        }
    }

    /// Runs `operation`; if the database refused it (not a network failure) and fresh
    /// credentials could be read, runs it once more with them.
    async fn recovering<T, F, Fut>(&self, operation: F) -> Result<T, sqlx::Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        match operation().await {
            Err(error @ sqlx::Error::Database(_)) => {
                if self.reread_credentials().await {
                    operation().await
                } else {
                    Err(error)
                }
            }
            result => result,
        }
    }

    /// `true` when new connection options were read and installed.
    async fn reread_credentials(&self) -> bool {
        let Some(credentials) = &self.credentials else {
            return false;
        };
        {
            let mut last_read = credentials.last_read.lock().expect("not poisoned");
            if last_read.is_some_and(|at| at.elapsed() < REREAD_INTERVAL) {
                return false;
            }
            *last_read = Some(Instant::now());
        }
        match credentials.source.connect_options().await {
            Ok(options) => {
                self.pool.set_connect_options(options);
                tracing::warn!("the database refused a connection: credentials read again");
                true
            }
            Err(error) => {
                tracing::error!(error = %error, "the database refused a connection, and its credentials could not be read again");
                false
            }
        }
    }
}

#[async_trait]
impl GoalStore for PostgresStore {
    async fn migrate(&self) -> Result<()> {
        // Through the pool, so parked connections go back to it first: in a pool of one, a
        // parked connection would leave the migrator none.
        drop(std::mem::take(&mut *self.parked_list()));
        MIGRATOR.run(&self.pool).await.map_err(sqlx::Error::from)?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn create(&self, owner: &Owner, goal: &NewGoal) -> Result<Goal> {
        let sql = format!(
            "INSERT INTO goals (owner, name, completed, created_at, updated_at) \
             VALUES ($1, $2, FALSE, $3, $3) RETURNING {GOAL_COLUMNS}"
        );
        let params = [
            owner.as_str().into(),
            goal.name.as_str().into(),
            now().into(),
        ];
        Ok(self.fetch_one(&sql, &params).await?)
    }

    async fn get(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let sql = format!("SELECT {GOAL_COLUMNS} FROM goals WHERE owner = $1 AND id = $2");
        Ok(self
            .fetch_optional(&sql, &[owner.as_str().into(), id.into()])
            .await?)
    }

    async fn list(&self, owner: &Owner, after: Option<GoalId>, limit: u32) -> Result<Vec<Goal>> {
        let sql = format!(
            "SELECT {GOAL_COLUMNS} FROM goals WHERE owner = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let params = [
            owner.as_str().into(),
            after.map_or(0, GoalId::get).into(),
            i64::from(limit).into(),
        ];
        Ok(self.fetch_all(&sql, &params).await?)
    }

    async fn update(&self, owner: &Owner, id: GoalId, patch: &GoalPatch) -> Result<Option<Goal>> {
        let sql = format!(
            "UPDATE goals SET name = COALESCE($1, name), completed = COALESCE($2, completed), \
             updated_at = $3 WHERE owner = $4 AND id = $5 RETURNING {GOAL_COLUMNS}"
        );
        let params = [
            patch.name.as_ref().map(|name| name.as_str()).into(),
            patch.completed.into(),
            now().into(),
            owner.as_str().into(),
            id.into(),
        ];
        Ok(self.fetch_optional(&sql, &params).await?)
    }

    async fn delete(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let sql =
            format!("DELETE FROM goals WHERE owner = $1 AND id = $2 RETURNING {GOAL_COLUMNS}");
        Ok(self
            .fetch_optional(&sql, &[owner.as_str().into(), id.into()])
            .await?)
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, owner: &Owner, hash: &KeyHash, prefix: &str) -> Result<KeyInfo> {
        let sql = format!(
            "INSERT INTO api_keys (owner, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {KEY_COLUMNS}"
        );
        let hash = hash.to_hex();
        let params = [
            owner.as_str().into(),
            prefix.into(),
            hash.as_str().into(),
            now().into(),
        ];
        Ok(self.fetch_one(&sql, &params).await?)
    }

    async fn key_owner(&self, hash: &KeyHash) -> Result<Option<Owner>> {
        let owner: Option<(String,)> = self
            .fetch_optional(
                "SELECT owner FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                &[hash.to_hex().as_str().into()],
            )
            .await?;
        Ok(owner.and_then(|(owner,)| Owner::new(&owner)))
    }

    async fn list_keys(&self, owner: Option<&Owner>) -> Result<Vec<KeyInfo>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR owner = $1) ORDER BY id"
        );
        Ok(self
            .fetch_all(&sql, &[owner.map(Owner::as_str).into()])
            .await?)
    }

    async fn revoke_key(&self, id: KeyId) -> Result<Option<KeyInfo>> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
             RETURNING {KEY_COLUMNS}"
        );
        Ok(self
            .fetch_optional(&sql, &[now().into(), id.into()])
            .await?)
    }

    async fn any_keys(&self) -> Result<bool> {
        let (any,): (bool,) = self
            .fetch_one("SELECT EXISTS (SELECT 1 FROM api_keys)", &[])
            .await?;
        Ok(any)
    }
}
