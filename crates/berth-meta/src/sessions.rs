//! Portal sessions, by the SHA-256 of their token.

use berth_types::UserId;
use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

impl MetaStore {
    /// Records a session that ends at `expires_at` (Unix milliseconds); expired sessions are
    /// removed on the way.
    pub async fn create_session(
        &self,
        id: &str,
        user: UserId,
        expires_at: i64,
    ) -> Result<(), MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(user.0)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user of a session that has not expired, and when it expires.
    pub async fn session(&self, id: &str) -> Result<Option<(UserId, i64)>, MetaError> {
        let row = sqlx::query(
            "SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at >= $2 AND u.deleted = 0",
        )
        .bind(id)
        .bind(now_ms())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| (UserId(r.get(0)), r.get(1))))
    }

    /// Moves a session's end.
    pub async fn extend_session(&self, id: &str, expires_at: i64) -> Result<(), MetaError> {
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id = $2")
            .bind(expires_at)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), MetaError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Ends every session of a user (a password change or a deletion).
    pub async fn delete_user_sessions(&self, user: UserId) -> Result<(), MetaError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
