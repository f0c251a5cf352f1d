//! The system configuration, as JSON text per key.

use sqlx::Row;

use crate::{MetaError, MetaStore, now_ms};

impl MetaStore {
    /// Every key that was set, with its JSON value, and the latest change's time.
    pub async fn settings(&self) -> Result<Vec<(String, String)>, MetaError> {
        let rows = sqlx::query("SELECT name, value FROM settings ORDER BY name")
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Sets several keys in one transaction.
    pub async fn put_settings(&self, values: &[(String, String)]) -> Result<(), MetaError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        for (name, value) in values {
            sqlx::query(
                "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
            )
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many users exist besides the first administrator (Harbor lets `auth_mode` change
    /// only while that is zero).
    pub async fn count_other_users(&self) -> Result<i64, MetaError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users WHERE id <> 1 AND deleted = 0")
            .fetch_one(&self.read)
            .await?;
        Ok(row.get(0))
    }
}
