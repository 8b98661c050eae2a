//! WebSocket connections, in both engines: recorded at `$connect`, forgotten at `$disconnect`,
//! on a 410 from the Management API, or when they expire.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PostgresStore, Result, SqliteStore};
use crate::domain::{Connection, ConnectionId, Owner};

/// Open connections by owner. `$disconnect` is best-effort in API Gateway, so a row may
/// outlive its connection: readers pass a cutoff, and a 410 on push removes the row.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Records a connection; recording the same id again replaces it (a retried `$connect`).
    async fn add_connection(&self, connection: &Connection) -> Result<()>;
    /// `false` when there was no such connection.
    async fn remove_connection(&self, id: &ConnectionId) -> Result<bool>;
    /// The owner's connections opened after `since`, oldest first.
    async fn connections_of(
        &self,
        owner: &Owner,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectionId>>;
    /// Forgets every connection opened before `cutoff`; how many there were.
    async fn remove_connections_before(&self, cutoff: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
impl ConnectionStore for PostgresStore {
    async fn add_connection(&self, connection: &Connection) -> Result<()> {
        let params = [
            connection.id.as_str().into(),
            connection.owner.as_str().into(),
            connection.connected_at.into(),
        ];
        self.execute(
            "INSERT INTO connections (id, owner, connected_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, connected_at = EXCLUDED.connected_at",
            &params,
        )
        .await?;
        Ok(())
    }

    async fn remove_connection(&self, id: &ConnectionId) -> Result<bool> {
        let removed = self
            .execute(
                "DELETE FROM connections WHERE id = $1",
                &[id.as_str().into()],
            )
            .await?;
        Ok(removed > 0)
    }

    async fn connections_of(
        &self,
        owner: &Owner,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectionId>> {
        let ids: Vec<(ConnectionId,)> = self
            .fetch_all(
                "SELECT id FROM connections WHERE owner = $1 AND connected_at > $2 \
                 ORDER BY connected_at, id",
                &[owner.as_str().into(), since.into()],
            )
            .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    async fn remove_connections_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        Ok(self
            .execute(
                "DELETE FROM connections WHERE connected_at < $1",
                &[cutoff.into()],
            )
            .await?)
    }
}

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn add_connection(&self, connection: &Connection) -> Result<()> {
        sqlx::query(
            "INSERT INTO connections (id, owner, connected_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, connected_at = excluded.connected_at",
        )
        .bind(&connection.id)
        .bind(connection.owner.as_str())
        .bind(connection.connected_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn remove_connection(&self, id: &ConnectionId) -> Result<bool> {
        let removed = sqlx::query("DELETE FROM connections WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    async fn connections_of(
        &self,
        owner: &Owner,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConnectionId>> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM connections WHERE owner = ?1 AND connected_at > ?2 \
             ORDER BY connected_at, id",
        )
        .bind(owner.as_str())
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    async fn remove_connections_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let removed = sqlx::query("DELETE FROM connections WHERE connected_at < ?1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed)
    }
}
