//! A small map whose entries are trusted for a short time only: the per-node caches of
//! authorization facts (a project's id and visibility, a member's role). Changes made on
//! this node remove what they touch at once; changes made on another node show here within
//! `FRESH_FOR`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How long an entry is trusted.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 50_000;

pub(crate) struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        TtlCache {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V: Clone> TtlCache<K, V> {
    fn lock(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value, if it was stored less than `FRESH_FOR` ago.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
