//! The PostgreSQL store, correct behind a transaction-pooling proxy (RDS Proxy, PgBouncer).
//!
//! Such a proxy hands each transaction to whichever server connection is free, so a statement
//! prepared in one transaction may be gone in the next. Every query therefore runs inside an
//! explicit transaction, as an unnamed (non-persistent) statement.
//!
//! When its credentials come from a rotating secret, a connection the database refuses makes
//! the store read the secret again (at most every [`REREAD_INTERVAL`]) and retry once: after
//! RDS rotates the password, a warm function keeps working instead of failing until recycled.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::{PgPool, Postgres, Transaction};

use super::{now, CredentialSource, GoalStore, KeyStore, Result};
use crate::domain::{Goal, GoalId, GoalPatch, NewGoal, Owner};
use crate::keys::{KeyHash, KeyId, KeyInfo};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

const GOAL_COLUMNS: &str = "id, name, completed, created_at, updated_at";
const KEY_COLUMNS: &str = "id, owner, prefix, created_at, revoked_at";

/// How often, at most, a refused connection makes the store read its credentials again.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(30);

/// Goals in PostgreSQL.
pub struct PostgresStore {
    pub(super) pool: PgPool,
    credentials: Option<Credentials>,
}

/// Where fresh credentials come from, and when they were last read.
struct Credentials {
    source: Arc<dyn CredentialSource>,
    last_read: Mutex<Option<Instant>>,
}

impl PostgresStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
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

    /// A transaction, after re-reading the credentials once if the database refused them.
    pub(super) async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.recovering(|| self.pool.begin()).await
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
        MIGRATOR.run(&self.pool).await.map_err(sqlx::Error::from)?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        // The simple query protocol: one round trip, nothing prepared.
        self.recovering(|| sqlx::raw_sql("SELECT 1").execute(&self.pool))
            .await?;
        Ok(())
    }

    async fn create(&self, owner: &Owner, goal: &NewGoal) -> Result<Goal> {
        let sql = format!(
            "INSERT INTO goals (owner, name, completed, created_at, updated_at) \
             VALUES ($1, $2, FALSE, $3, $3) RETURNING {GOAL_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let created = sqlx::query_as::<_, Goal>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(goal.name.as_str())
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let sql = format!("SELECT {GOAL_COLUMNS} FROM goals WHERE owner = $1 AND id = $2");
        let mut tx = self.begin().await?;
        let goal = sqlx::query_as::<_, Goal>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(goal)
    }

    async fn list(&self, owner: &Owner, after: Option<GoalId>, limit: u32) -> Result<Vec<Goal>> {
        let sql = format!(
            "SELECT {GOAL_COLUMNS} FROM goals WHERE owner = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let mut tx = self.begin().await?;
        let goals = sqlx::query_as::<_, Goal>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(after.map_or(0, GoalId::get))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(goals)
    }

    async fn update(&self, owner: &Owner, id: GoalId, patch: &GoalPatch) -> Result<Option<Goal>> {
        let sql = format!(
            "UPDATE goals SET name = COALESCE($1, name), completed = COALESCE($2, completed), \
             updated_at = $3 WHERE owner = $4 AND id = $5 RETURNING {GOAL_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let goal = sqlx::query_as::<_, Goal>(&sql)
            .persistent(false)
            .bind(patch.name.as_ref().map(|name| name.as_str()))
            .bind(patch.completed)
            .bind(now())
            .bind(owner.as_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(goal)
    }

    async fn delete(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let sql =
            format!("DELETE FROM goals WHERE owner = $1 AND id = $2 RETURNING {GOAL_COLUMNS}");
        let mut tx = self.begin().await?;
        let deleted = sqlx::query_as::<_, Goal>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert_key(&self, owner: &Owner, hash: &KeyHash, prefix: &str) -> Result<KeyInfo> {
        let sql = format!(
            "INSERT INTO api_keys (owner, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {KEY_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let info = sqlx::query_as::<_, KeyInfo>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(prefix)
            .bind(hash.to_hex())
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn key_owner(&self, hash: &KeyHash) -> Result<Option<Owner>> {
        let mut tx = self.begin().await?;
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT owner FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .persistent(false)
        .bind(hash.to_hex())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(owner.as_deref().and_then(Owner::new))
    }

    async fn list_keys(&self, owner: Option<&Owner>) -> Result<Vec<KeyInfo>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR owner = $1) ORDER BY id"
        );
        let mut tx = self.begin().await?;
        let keys = sqlx::query_as::<_, KeyInfo>(&sql)
            .persistent(false)
            .bind(owner.map(Owner::as_str))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn revoke_key(&self, id: KeyId) -> Result<Option<KeyInfo>> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
             RETURNING {KEY_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let info = sqlx::query_as::<_, KeyInfo>(&sql)
            .persistent(false)
            .bind(now())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn any_keys(&self) -> Result<bool> {
        let mut tx = self.begin().await?;
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_keys)")
            .persistent(false)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(any)
    }
}
