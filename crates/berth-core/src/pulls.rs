//! Pull bookkeeping (a repository's pull count, an artifact's and a tag's pull time), kept
//! in memory by each pull and written in one transaction per second, as Harbor batches it:
//! a pull costs a map update, not a database write.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use berth_types::{ManifestId, RepoId};

use crate::{CoreError, Registry};

#[derive(Default)]
struct Pending {
    repos: HashMap<RepoId, i64>,
    manifests: HashMap<ManifestId, i64>,
    tags: HashMap<(RepoId, String), i64>,
}

/// Pulls not yet written.
#[derive(Default)]
pub(crate) struct PullLog {
    pending: Mutex<Pending>,
}

impl PullLog {
    pub(crate) fn record(&self, repo: RepoId, manifest: ManifestId, tag: Option<&str>, at: i64) {
        let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *p.repos.entry(repo).or_default() += 1;
        p.manifests.insert(manifest, at);
        if let Some(tag) = tag {
            p.tags.insert((repo, tag.to_owned()), at);
        }
    }

    fn take(&self) -> Pending {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts back what a failed write took, so the next flush writes it.
    fn restore(&self, taken: Pending) {
        let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        for (repo, n) in taken.repos {
            *p.repos.entry(repo).or_default() += n;
        }
        for (m, at) in taken.manifests {
            let e = p.manifests.entry(m).or_default();
            *e = (*e).max(at);
        }
        for (t, at) in taken.tags {
            let e = p.tags.entry(t).or_default();
            *e = (*e).max(at);
        }
    }
}

impl Registry {
    /// Writes the pulls recorded since the last call.
    pub async fn flush_pulls(&self) -> Result<(), CoreError> {
        let p = self.pulls.take();
        if p.repos.is_empty() {
            return Ok(());
        }
        let repos: Vec<_> = p.repos.iter().map(|(r, n)| (*r, *n)).collect();
        let manifests: Vec<_> = p.manifests.iter().map(|(m, at)| (m.0, *at)).collect();
        let tags: Vec<_> = p
            .tags
            .iter()
            .map(|((repo, tag), at)| (*repo, tag.clone(), *at))
            .collect();
        if let Err(e) = self.meta.record_pulls(&repos, &manifests, &tags).await {
            self.pulls.restore(p);
            return Err(e.into());
        }
        Ok(())
    }
}
