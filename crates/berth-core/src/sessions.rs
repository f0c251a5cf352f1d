//! Portal sessions: a login with a user name and password gives a random token (the `sid`
//! cookie); the database keeps only its SHA-256, so a stolen database holds no usable
//! session. A session lasts `session_timeout` minutes from its last use (extended at most
//! once per half of that), and ends at logout, password change or deletion of its user.

use berth_auth::Identity;
use berth_types::UserId;
use sha2::{Digest as _, Sha256};

use crate::CoreError;
use crate::accounts::Accounts;
use crate::audit::now_ms;

/// A new session's token, for the cookie (never stored or logged).
pub struct SessionToken(pub String);

fn session_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Accounts {
    async fn session_ms(&self) -> Result<i64, CoreError> {
        Ok(self
            .settings()
            .snapshot()
            .await?
            .number("session_timeout")
            .max(1)
            .saturating_mul(60_000))
    }

    /// Logs a user in for the portal. `None` when the credentials do not match a user (robots
    /// cannot log in to the portal), with the login throttle of every other login.
    pub async fn start_session(
        &self,
        username: &str,
        password: &str,
        from: Option<std::net::IpAddr>,
    ) -> Result<Option<(SessionToken, Identity)>, CoreError> {
        let Some(who @ Identity::User { id, .. }) = self.login(username, password, from).await?
        else {
            return Ok(None);
        };
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let expires = now_ms().saturating_add(self.session_ms().await?);
        self.meta()
            .create_session(&session_id(&token), id, expires)
            .await?;
        self.audit().record(
            &who,
            crate::audit::Operation::Login,
            "user",
            username,
            None,
            true,
        );
        Ok(Some((SessionToken(token), who)))
    }

    /// The user a session token belongs to, if the session is live.
    pub async fn session_identity(&self, token: &str) -> Result<Option<Identity>, CoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let id = session_id(token);
        let Some((user, expires)) = self.meta().session(&id).await? else {
            return Ok(None);
        };
        let span = self.session_ms().await?;
        let now = now_ms();
        if expires - now < span / 2 {
            self.meta()
                .extend_session(&id, now.saturating_add(span))
                .await?;
        }
        Ok(self.user(user).await?.map(|u| Accounts::identity(&u)))
    }

    /// Ends a session (logout); unknown tokens are ignored.
    pub async fn end_session(&self, token: &str) -> Result<(), CoreError> {
        self.meta().delete_session(&session_id(token)).await?;
        Ok(())
    }

    /// Whether a user has this name (for the portal's sign-up form).
    pub async fn username_taken(&self, name: &str) -> Result<bool, CoreError> {
        Ok(self.meta().user_by_name(name).await?.is_some())
    }

    /// Whether a user has this email.
    pub async fn email_taken(&self, email: &str) -> Result<bool, CoreError> {
        Ok(self.meta().email_taken(email).await?)
    }

    /// Ends every session of a user.
    pub(crate) async fn end_sessions_of(&self, user: UserId) -> Result<(), CoreError> {
        self.meta().delete_user_sessions(user).await?;
        Ok(())
    }
}
