//! Logins verified recently, so that a client sending its password with every request
//! costs one KDF run, and within `FRESH_FOR` no database read either.
//!
//! An entry holds the user row and a keyed SHA-256 of the password (the key is random per
//! process, so the entry is useless outside it). Within `FRESH_FOR` a matching password is
//! taken as is; after that the user row is read again and the entry counts only while the
//! stored hash is the one it was verified against. Password and flag changes made on this
//! node forget the user at once; made on another node, they show within `FRESH_FOR`.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use berth_meta::UserRow;
use sha2::{Digest, Sha256};

use crate::ttl_cache::FRESH_FOR;

const MAX_ENTRIES: usize = 10_000;

struct Verified {
    user: UserRow,
    /// The identity a fresh login yields, built once.
    identity: berth_auth::Identity,
    print: [u8; 32],
    checked: Instant,
}

pub(crate) struct VerifiedLogins {
    key: [u8; 32],
    entries: RwLock<HashMap<String, Verified>>,
    robots: RwLock<HashMap<String, VerifiedRobot>>,
}

/// A robot's verified login, keyed by its full name.
struct VerifiedRobot {
    identity: berth_auth::Identity,
    secret_hash: String,
    print: [u8; 32],
    checked: Instant,
}

impl VerifiedLogins {
    pub(crate) fn new() -> VerifiedLogins {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        VerifiedLogins {
            key,
            entries: RwLock::new(HashMap::new()),
            robots: RwLock::new(HashMap::new()),
        }
    }

    fn robot_print(&self, name: &str, secret: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(b"robot\0");
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(secret.as_bytes());
        h.finalize().into()
    }

    fn robots(&self) -> RwLockWriteGuard<'_, HashMap<String, VerifiedRobot>> {
        self.robots.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn robots_read(&self) -> RwLockReadGuard<'_, HashMap<String, VerifiedRobot>> {
        self.robots.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The robot, when this name and secret were verified less than `FRESH_FOR` ago.
    pub(crate) fn robot_fresh(&self, name: &str, secret: &str) -> Option<berth_auth::Identity> {
        let print = self.robot_print(name, secret);
        self.robots_read()
            .get(name)
            .filter(|v| v.checked.elapsed() < FRESH_FOR && v.print == print)
            .map(|v| v.identity.clone())
    }

    /// Whether `secret` was verified for the robot against the hash it has now.
    pub(crate) fn robot_matches(&self, name: &str, secret_hash: &str, secret: &str) -> bool {
        let print = self.robot_print(name, secret);
        self.robots_read()
            .get(name)
            .is_some_and(|v| v.secret_hash == secret_hash && v.print == print)
    }

    pub(crate) fn robot_remember(
        &self,
        name: &str,
        secret_hash: &str,
        secret: &str,
        identity: berth_auth::Identity,
    ) {
        let print = self.robot_print(name, secret);
        let mut robots = self.robots();
        if robots.len() >= MAX_ENTRIES && !robots.contains_key(name) {
            robots.clear();
        }
        robots.insert(
            name.to_owned(),
            VerifiedRobot {
                identity,
                secret_hash: secret_hash.to_owned(),
                print,
                checked: Instant::now(),
            },
        );
    }

    pub(crate) fn robot_forget(&self, name: &str) {
        self.robots().remove(name);
    }

    fn fingerprint(&self, user: &UserRow, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(user.id.0.to_be_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn lock(&self) -> RwLockWriteGuard<'_, HashMap<String, Verified>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Verified>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's identity, when this name and password were verified less than
    /// `FRESH_FOR` ago.
    pub(crate) fn fresh(&self, username: &str, password: &str) -> Option<berth_auth::Identity> {
        let entries = self.read();
        let v = entries.get(username)?;
        (v.checked.elapsed() < FRESH_FOR && v.print == self.fingerprint(&v.user, password))
            .then(|| v.identity.clone())
    }

    /// Whether `password` was verified for `user` against the hash it has now.
    pub(crate) fn matches(&self, user: &UserRow, password: &str) -> bool {
        self.read().get(&user.username).is_some_and(|v| {
            v.user.id == user.id
                && v.user.password_hash == user.password_hash
                && v.print == self.fingerprint(user, password)
        })
    }

    pub(crate) fn remember(&self, user: &UserRow, password: &str) {
        let print = self.fingerprint(user, password);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&user.username) {
            entries.clear();
        }
        entries.insert(
            user.username.clone(),
            Verified {
                user: user.clone(),
                identity: crate::accounts::Accounts::identity(user),
                print,
                checked: Instant::now(),
            },
        );
    }

    pub(crate) fn forget(&self, username: &str) {
        self.lock().remove(username);
    }
}
