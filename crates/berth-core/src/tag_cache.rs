//! Tag lists cached per node, keyed by the repository's tag version.
//!
//! Every change to a repository's tags bumps its `tag_version` in the same transaction, so
//! a list read at version V is exact while the version is V. A request reads the version (one
//! indexed row) and serves the cached list when it matches; several nodes sharing one
//! database stay correct without telling each other anything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use berth_types::RepoId;

/// Lists shorter than this are read from the database each time: they are cheap anyway.
const MIN_CACHED: usize = 64;
/// Repositories whose lists are kept; past this the cache starts over.
const MAX_REPOS: usize = 256;

/// A repository's sorted tags as read at one tag version.
struct Entry {
    version: i64,
    names: Arc<[String]>,
}

#[derive(Default)]
pub(crate) struct TagCache {
    entries: Mutex<HashMap<RepoId, Entry>>,
}

impl TagCache {
    pub(crate) fn get(&self, repo: RepoId, version: i64) -> Option<Arc<[String]>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&repo)
            .filter(|e| e.version == version)
            .map(|e| e.names.clone())
    }

    pub(crate) fn put(&self, repo: RepoId, version: i64, names: &Arc<[String]>) {
        if names.len() < MIN_CACHED {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_REPOS && !entries.contains_key(&repo) {
            entries.clear();
        }
        entries.insert(
            repo,
            Entry {
                version,
                names: names.clone(),
            },
        );
    }
}
