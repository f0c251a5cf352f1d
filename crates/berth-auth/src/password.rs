//! Password hashing: argon2id with a random salt, stored as a PHC string.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes a password for storage. Takes tens of milliseconds on purpose: run it off the
/// async workers (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, String> {
    // Salts must be unique, not secret: 16 random bytes.
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| format!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing: {e}"))
}

/// Whether `password` matches a stored hash. A hash that does not parse matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let stored = hash_password("Harbor12345").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password("Harbor12345", &stored));
        assert!(!verify_password("Harbor12346", &stored));
        assert!(!verify_password("Harbor12345", "not a hash"));
        // Salted: the same password hashes differently each time.
        assert_ne!(stored, hash_password("Harbor12345").expect("hash"));
    }
}
