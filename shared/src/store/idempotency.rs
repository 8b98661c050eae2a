//! Idempotent creates, in both engines: the goal and its key's record commit together, so a
//! goal is created exactly once per key even when the process dies between the commit and the
//! answer (the retry finds the record and replays).
//!
//! PostgreSQL does it in one statement: an advisory transaction lock on the owner's key (taken
//! with `pg_try_advisory_xact_lock`, so it never waits), the goal's `INSERT` and the record's
//! `INSERT` from the goal's `RETURNING`, all in one transaction. Then:
//! - no lock: another request with the key is running right now → the record, if it has
//!   committed meanwhile, answers; otherwise `InProgress` (409). The lock is the in-progress
//!   mark: it ends with that transaction, so a request that died mid-way leaves nothing behind
//!   and its retry proceeds (well before the function's timeout).
//! - the record's primary key is taken: an earlier request finished → its record answers
//!   (replay or reuse); an expired record is deleted and the create tried again.
//!
//! SQLite runs one writer at a time: `BEGIN IMMEDIATE`, read the record, and create the goal
//! and the record in that transaction when there is none (or only an expired one).

use async_trait::async_trait;

use super::{now, PostgresStore, Result, SqliteStore};
use crate::domain::{Goal, NewGoal, Owner};
use crate::idempotency::{IdempotentOutcome, IdempotentRequest, StoredRecord};

/// Creates made with an `Idempotency-Key`.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Creates `goal` and records `request` under its key in one transaction, or answers as
    /// the key's earlier request decided.
    async fn create_idempotent(
        &self,
        owner: &Owner,
        goal: &NewGoal,
        request: &IdempotentRequest,
    ) -> Result<IdempotentOutcome>;
}

/// How often a create is tried when expired records, or requests finishing at the same
/// moment, are in the way; past that the key counts as in progress (the client retries).
const ATTEMPTS: usize = 3;

const RECORD_COLUMNS: &str = "fingerprint, expires_at, goal_id AS id, goal_name AS name, \
     goal_completed AS completed, goal_created_at AS created_at, goal_updated_at AS updated_at";

/// The constraint a second record for the same owner and key runs into.
const RECORD_KEY_CONSTRAINT: &str = "idempotency_records_pkey";

/// The lock, the goal and its record, in one statement. No row: the lock was not free.
const PG_CREATE: &str = "WITH lock AS (\
         SELECT pg_try_advisory_xact_lock(hashtextextended(length($1) || ':' || $1 || $2, 0)) AS held\
     ), goal AS (\
         INSERT INTO goals (owner, name, completed, created_at, updated_at) \
         SELECT $1, $3, FALSE, $5, $5 FROM lock WHERE held \
         RETURNING id, name, completed, created_at, updated_at\
     ), record AS (\
         INSERT INTO idempotency_records (owner, key, fingerprint, goal_id, goal_name, \
             goal_completed, goal_created_at, goal_updated_at, created_at, expires_at) \
         SELECT $1, $2, $4, id, name, completed, created_at, updated_at, $5, $6 FROM goal\
     ) SELECT id, name, completed, created_at, updated_at FROM goal";

/// What one PostgreSQL attempt came to.
enum Attempt {
    Created(Goal),
    /// Another transaction holds the key's lock.
    Locked,
    /// The key has a committed record.
    Taken,
}

impl PostgresStore {
    async fn try_create(
        &self,
        owner: &Owner,
        goal: &NewGoal,
        request: &IdempotentRequest,
    ) -> Result<Attempt> {
        let mut tx = self.begin().await?;
        let created = sqlx::query_as::<_, Goal>(PG_CREATE)
            .persistent(false)
            .bind(owner.as_str())
            .bind(request.key.as_str())
            .bind(goal.name.as_str())
            .bind(request.fingerprint.as_str())
            .bind(now())
            .bind(request.expires_at)
            .fetch_optional(&mut *tx)
            .await;
        match created {
            Ok(created) => {
                tx.commit().await?;
                Ok(created.map_or(Attempt::Locked, Attempt::Created))
            }
            Err(sqlx::Error::Database(error))
                if error.constraint() == Some(RECORD_KEY_CONSTRAINT) =>
            {
                tx.rollback().await?;
                Ok(Attempt::Taken)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn record(
        &self,
        owner: &Owner,
        request: &IdempotentRequest,
    ) -> Result<Option<StoredRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE owner = $1 AND key = $2"
        );
        let mut tx = self.begin().await?;
        let record = sqlx::query_as::<_, StoredRecord>(&sql)
            .persistent(false)
            .bind(owner.as_str())
            .bind(request.key.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Deletes the key's record if it is (still) the expired one seen.
    async fn delete_expired(
        &self,
        owner: &Owner,
        request: &IdempotentRequest,
        record: &StoredRecord,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "DELETE FROM idempotency_records WHERE owner = $1 AND key = $2 AND expires_at = $3",
        )
        .persistent(false)
        .bind(owner.as_str())
        .bind(request.key.as_str())
        .bind(record.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn create_idempotent(
        &self,
        owner: &Owner,
        goal: &NewGoal,
        request: &IdempotentRequest,
    ) -> Result<IdempotentOutcome> {
        for _ in 0..ATTEMPTS {
            let attempt = self.try_create(owner, goal, request).await?;
            let locked = match attempt {
                Attempt::Created(goal) => return Ok(IdempotentOutcome::Created(goal)),
                Attempt::Locked => true,
                Attempt::Taken => false,
            };
            match self.record(owner, request).await? {
                Some(record) => {
                    if let Some(outcome) = record.answer(request, now()) {
                        return Ok(outcome);
                    }
                    // Expired. While another request holds the lock, it is replacing it.
                    if locked {
                        return Ok(IdempotentOutcome::InProgress);
                    }
                    self.delete_expired(owner, request, &record).await?;
                }
                None if locked => return Ok(IdempotentOutcome::InProgress),
                // Deleted since the conflict (expired, replaced by another request): try again.
                None => {}
            }
        }
        Ok(IdempotentOutcome::InProgress)
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn create_idempotent(
        &self,
        owner: &Owner,
        goal: &NewGoal,
        request: &IdempotentRequest,
    ) -> Result<IdempotentOutcome> {
        // IMMEDIATE takes the write lock at once: a deferred transaction that reads and then
        // writes could fail to upgrade while another writer is busy.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = now();
        let record = sqlx::query_as::<_, StoredRecord>(&format!(
            "SELECT {RECORD_COLUMNS} FROM idempotency_records WHERE owner = ?1 AND key = ?2"
        ))
        .bind(owner.as_str())
        .bind(request.key.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(record) = record {
            if let Some(outcome) = record.answer(request, now) {
                tx.commit().await?;
                return Ok(outcome);
            }
            sqlx::query("DELETE FROM idempotency_records WHERE owner = ?1 AND key = ?2")
                .bind(owner.as_str())
                .bind(request.key.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let created = sqlx::query_as::<_, Goal>(
            "INSERT INTO goals (owner, name, completed, created_at, updated_at) \
             VALUES (?1, ?2, FALSE, ?3, ?3) RETURNING id, name, completed, created_at, updated_at",
        )
        .bind(owner.as_str())
        .bind(goal.name.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO idempotency_records (owner, key, fingerprint, goal_id, goal_name, \
                 goal_completed, goal_created_at, goal_updated_at, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?9)",
        )
        .bind(owner.as_str())
        .bind(request.key.as_str())
        .bind(request.fingerprint.as_str())
        .bind(created.id)
        .bind(&created.name)
        .bind(created.completed)
        .bind(created.created_at)
        .bind(created.updated_at)
        .bind(request.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(IdempotentOutcome::Created(created))
    }
}
