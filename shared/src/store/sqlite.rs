//! The SQLite store: the embedded default for local runs, no server needed.

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::SqlitePool;

use super::{now, GoalStore, KeyStore, Result};
use crate::domain::{Goal, GoalId, GoalPatch, NewGoal, Owner};
use crate::keys::{KeyHash, KeyId, KeyInfo};

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// Goals in a SQLite file (or in memory).
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl GoalStore for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(sqlx::Error::from)?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::raw_sql("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create(&self, owner: &Owner, goal: &NewGoal) -> Result<Goal> {
        let created = sqlx::query_as::<_, Goal>(
            "INSERT INTO goals (owner, name, completed, created_at, updated_at) \
             VALUES (?1, ?2, FALSE, ?3, ?3) RETURNING id, name, completed, created_at, updated_at",
        )
        .bind(owner.as_str())
        .bind(goal.name.as_str())
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        Ok(created)
    }

    async fn get(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let goal = sqlx::query_as::<_, Goal>(
            "SELECT id, name, completed, created_at, updated_at FROM goals WHERE owner = ?1 AND id = ?2",
        )
        .bind(owner.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(goal)
    }

    async fn list(&self, owner: &Owner, after: Option<GoalId>, limit: u32) -> Result<Vec<Goal>> {
        let goals = sqlx::query_as::<_, Goal>(
            "SELECT id, name, completed, created_at, updated_at FROM goals \
             WHERE owner = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )
        .bind(owner.as_str())
        .bind(after.map_or(0, GoalId::get))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(goals)
    }

    async fn update(&self, owner: &Owner, id: GoalId, patch: &GoalPatch) -> Result<Option<Goal>> {
        let goal = sqlx::query_as::<_, Goal>(
            "UPDATE goals SET name = COALESCE(?1, name), completed = COALESCE(?2, completed), \
             updated_at = ?3 WHERE owner = ?4 AND id = ?5 \
             RETURNING id, name, completed, created_at, updated_at",
        )
        .bind(patch.name.as_ref().map(|name| name.as_str()))
        .bind(patch.completed)
        .bind(now())
        .bind(owner.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(goal)
    }

    async fn delete(&self, owner: &Owner, id: GoalId) -> Result<Option<Goal>> {
        let deleted = sqlx::query_as::<_, Goal>(
            "DELETE FROM goals WHERE owner = ?1 AND id = ?2 \
             RETURNING id, name, completed, created_at, updated_at",
        )
        .bind(owner.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(deleted)
    }
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, owner: &Owner, hash: &KeyHash, prefix: &str) -> Result<KeyInfo> {
        let info = sqlx::query_as::<_, KeyInfo>(
            "INSERT INTO api_keys (owner, prefix, key_hash, created_at) VALUES (?1, ?2, ?3, ?4) \
             RETURNING id, owner, prefix, created_at, revoked_at",
        )
        .bind(owner.as_str())
        .bind(prefix)
        .bind(hash.to_hex())
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        Ok(info)
    }

    async fn key_owner(&self, hash: &KeyHash) -> Result<Option<Owner>> {
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT owner FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(hash.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        Ok(owner.as_deref().and_then(Owner::new))
    }

    async fn list_keys(&self, owner: Option<&Owner>) -> Result<Vec<KeyInfo>> {
        let keys = sqlx::query_as::<_, KeyInfo>(
            "SELECT id, owner, prefix, created_at, revoked_at FROM api_keys \
             WHERE ?1 IS NULL OR owner = ?1 ORDER BY id",
        )
        .bind(owner.map(Owner::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(keys)
    }

    async fn revoke_key(&self, id: KeyId) -> Result<Option<KeyInfo>> {
        let info = sqlx::query_as::<_, KeyInfo>(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 \
             RETURNING id, owner, prefix, created_at, revoked_at",
        )
        .bind(now())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(info)
    }

    async fn any_keys(&self) -> Result<bool> {
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_keys)")
            .fetch_one(&self.pool)
            .await?;
        Ok(any)
    }
}
