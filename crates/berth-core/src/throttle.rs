//! Failed logins slow an attacker down: after too many failures in a window, for one user
//! name or from one address, further attempts are refused without checking the password
//! (and without spending a KDF run) until the window has passed. Counted per node.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(300);
/// Failures per user name within the window before attempts are refused.
const PER_USER: usize = 10;
/// Failures from one address within the window before attempts are refused.
const PER_ADDRESS: usize = 100;
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

#[derive(Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginThrottle {
    fn keys(user: &str, from: Option<IpAddr>) -> impl Iterator<Item = (Key, usize)> {
        [
            Some((Key::User(user.to_owned()), PER_USER)),
            from.map(|a| (Key::Address(a), PER_ADDRESS)),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether attempts for this user or from this address are refused now.
    pub(crate) fn blocked(&self, user: &str, from: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        Self::keys(user, from).any(|(key, limit)| {
            failures.get_mut(&key).is_some_and(|times| {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > WINDOW)
                {
                    times.pop_front();
                }
                times.len() >= limit
            })
        })
    }

    pub(crate) fn failed(&self, user: &str, from: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= WINDOW)
            });
        }
        for (key, limit) in Self::keys(user, from) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful login forgets the user's failures (not the address's).
    pub(crate) fn succeeded(&self, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&Key::User(user.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_per_key() {
        let t = LoginThrottle::default();
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        for _ in 0..PER_USER {
            assert!(!t.blocked("alice", Some(a)));
            t.failed("alice", Some(a));
        }
        assert!(t.blocked("alice", Some(a)));
        assert!(
            t.blocked("alice", None),
            "the user is blocked from anywhere"
        );
        assert!(!t.blocked("bob", Some(a)), "the address is not blocked yet");
        t.succeeded("alice");
        assert!(!t.blocked("alice", None));
        for i in 0..PER_ADDRESS {
            t.failed(&format!("u{i}"), Some(a));
        }
        assert!(
            t.blocked("carol", Some(a)),
            "too many failures from one address"
        );
        assert!(!t.blocked("carol", Some("10.0.0.2".parse().expect("ip"))));
    }
}
