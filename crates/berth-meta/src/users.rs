//! Users of the access model.

use berth_types::{UserId, Username};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{MetaError, MetaStore, now_ms};

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub realname: String,
    pub comment: String,
    /// The PHC string of the password hash; `None` when the user has no password.
    pub password_hash: Option<String>,
    pub sysadmin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: &'a str,
    pub realname: &'a str,
    pub comment: &'a str,
    pub password_hash: Option<&'a str>,
    pub sysadmin: bool,
}

const USER_COLUMNS: &str =
    "id, username, email, realname, comment, password_hash, sysadmin, created_at, updated_at";

fn user_row(r: &AnyRow) -> UserRow {
    UserRow {
        id: UserId(r.get(0)),
        username: r.get(1),
        email: r.get(2),
        realname: r.get(3),
        comment: r.get(4),
        password_hash: r.get(5),
        sysadmin: r.get::<i64, _>(6) != 0,
        created_at: r.get(7),
        updated_at: r.get(8),
    }
}

impl MetaStore {
    /// Creates a user. [`MetaError::Conflict`] when the name or the email is taken.
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<UserId, MetaError> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO users (username, email, realname, comment, password_hash, sysadmin, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(user.username.as_str())
        .bind(user.email)
        .bind(user.realname)
        .bind(user.comment)
        .bind(user.password_hash)
        .bind(i64::from(user.sysadmin))
        .bind(now)
        .bind(now)
        .fetch_one(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "user name or email already exists"))?;
        Ok(UserId(row.get(0)))
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRow>, MetaError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1 AND deleted = 0");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(user_row))
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRow>, MetaError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND deleted = 0");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(user_row))
    }

    /// A page of users in name order, and how many there are in all.
    pub async fn list_users(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserRow>, i64), MetaError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE deleted = 0 ORDER BY username LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM users WHERE deleted = 0")
            .fetch_one(&self.read)
            .await?
            .get(0);
        Ok((rows.iter().map(user_row).collect(), total))
    }

    /// Sets or clears a user's system administrator flag. False when the user does not exist.
    pub async fn set_sysadmin(&self, id: UserId, sysadmin: bool) -> Result<bool, MetaError> {
        let done = sqlx::query("UPDATE users SET sysadmin = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(sysadmin))
            .bind(now_ms())
            .bind(id.0)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Users whose name contains `part` (case-insensitively), in name order.
    pub async fn search_users(&self, part: &str, limit: i64) -> Result<Vec<UserRow>, MetaError> {
        let pattern = format!("%{}%", part.to_lowercase().replace(['%', '_', '\\'], ""));
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE LOWER(username) LIKE $1 AND deleted = 0 \
             ORDER BY username LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(pattern)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(user_row).collect())
    }

    /// Replaces a user's password hash. False when the user does not exist.
    pub async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<bool, MetaError> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now_ms())
                .bind(id.0)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Changes a user's email, real name and comment. False when the user does not exist;
    /// [`MetaError::Conflict`] when the email belongs to another user.
    pub async fn update_user_profile(
        &self,
        id: UserId,
        email: &str,
        realname: &str,
        comment: &str,
    ) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "UPDATE users SET email = $1, realname = $2, comment = $3, updated_at = $4 \
             WHERE id = $5 AND deleted = 0",
        )
        .bind(email)
        .bind(realname)
        .bind(comment)
        .bind(now_ms())
        .bind(id.0)
        .execute(&self.write)
        .await
        .map_err(|e| MetaError::conflict_or(e, "the email belongs to another user"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a user: the row stays, renamed `<name>#<id>`, without password, memberships or
    /// administrator flag. False when the user does not exist.
    pub async fn delete_user(&self, id: UserId) -> Result<bool, MetaError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET deleted = 1, sysadmin = 0, password_hash = NULL, \
             username = username || '#' || CAST(id AS TEXT), email = email || '#' || CAST(id AS TEXT), \
             updated_at = $1 WHERE id = $2 AND deleted = 0",
        )
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM project_members WHERE entity_type = 'u' AND entity_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether a live user has this email (compared case-insensitively).
    pub async fn email_taken(&self, email: &str) -> Result<bool, MetaError> {
        let row = sqlx::query("SELECT 1 FROM users WHERE LOWER(email) = LOWER($1) AND deleted = 0")
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }
}
