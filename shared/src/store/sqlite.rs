//! The SQLite store: the embedded default for local runs, no server needed.

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::SqlitePool;

use super::{now, GoalStore, Result};
use crate::domain::{Goal, GoalId, GoalPatch, NewGoal, Owner};

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
