//! Registry bearer tokens (the Docker token flow): JWTs that name the repositories and
//! actions they grant, issued by `/service/token` and checked on every `/v2` request.
//!
//! Only berth verifies them, so they are signed with HMAC-SHA256 under a secret key that
//! every node shares (a file in the data directory).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `iss` of every token.
pub const ISSUER: &str = "berth-token-issuer";
/// The `aud` a token must carry: the service name clients pass to the token service.
pub const SERVICE: &str = "harbor-registry";

/// One granted scope: `type:name:actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Access {
    /// Whether this grant covers `action` on `kind:name` (`*` grants every action).
    pub fn allows(&self, kind: &str, name: &str, action: &str) -> bool {
        self.kind == kind
            && self.name == name
            && self.actions.iter().any(|a| a == action || a == "*")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    access: Vec<Access>,
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The user the token was issued to; empty for an anonymous caller.
    pub subject: String,
    pub access: Vec<Access>,
    /// When the token was issued, in Unix seconds.
    pub issued_at: u64,
}

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// A signed token and its lifetime.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_in: u64,
    pub issued_at: u64,
}

impl TokenKeys {
    /// `secret` is the shared signing key (at least 32 bytes).
    pub fn new(secret: &[u8]) -> Result<TokenKeys, String> {
        let bad = |e: jsonwebtoken::errors::Error| format!("token key: {e}");
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret).map_err(bad)?,
            decoding: DecodingKey::from_secret(secret).map_err(bad)?,
        })
    }

    /// A token for `subject` valid from `now` for `ttl` seconds.
    pub fn issue(
        &self,
        subject: &str,
        access: Vec<Access>,
        now: u64,
        ttl: u64,
    ) -> Result<Issued, String> {
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: subject.to_owned(),
            aud: SERVICE.to_owned(),
            exp: now + ttl,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            access,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| format!("signing a token: {e}"))?;
        Ok(Issued {
            token,
            expires_in: ttl,
            issued_at: now,
        })
    }

    /// Checks signature, issuer, audience and time (60 s of leeway); `None` when the token
    /// is not one of ours or not valid now.
    pub fn verify(&self, token: &str) -> Option<Grant> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[SERVICE]);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 60;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        Some(Grant {
            subject: data.claims.sub,
            access: data.claims.access,
            issued_at: data.claims.iat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = TokenKeys::new(&[7u8; 32]).expect("keys");
        let access = vec![Access {
            kind: "repository".into(),
            name: "library/app".into(),
            actions: vec!["pull".into()],
        }];
        let issued = keys
            .issue("alice", access.clone(), now(), 1800)
            .expect("issue");
        let grant = keys.verify(&issued.token).expect("valid");
        assert_eq!(grant.subject, "alice");
        assert!(grant.access[0].allows("repository", "library/app", "pull"));
        assert!(!grant.access[0].allows("repository", "library/app", "push"));
        assert!(!grant.access[0].allows("repository", "library/other", "pull"));

        let other = TokenKeys::new(&[8u8; 32]).expect("keys");
        assert!(other.verify(&issued.token).is_none(), "another key");
        let expired = keys
            .issue("alice", access, now() - 4000, 1800)
            .expect("issue");
        assert!(keys.verify(&expired.token).is_none(), "expired");
        assert!(keys.verify("not.a.token").is_none());
    }
}
