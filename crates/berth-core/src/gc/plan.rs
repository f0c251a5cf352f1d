//! Which blobs a sweep would delete, computed from one snapshot of the metadata.
//!
//! The rule, in one place for the dry run and the real run: a link survives when it is
//! younger than the grace window or a manifest of its repository (one not about to be
//! deleted) names the blob; a blob is a candidate when no link survives, no remaining
//! manifest names it, no write of it is pinned, and it was last taken up before the window;
//! a blob left marked by an interrupted sweep is a candidate as it is. The real run
//! re-checks every condition in the statement that marks the blob.

use std::collections::HashSet;

use berth_meta::{GcBlob, GcSnapshot};

/// The plan: candidates, with what the links step would withdraw.
#[derive(Debug, Default)]
pub struct Plan {
    pub candidates: Vec<GcBlob>,
    /// Links the sweep would withdraw (stale and unreferenced).
    pub stale_links: u64,
}

impl Plan {
    pub fn bytes(&self) -> i64 {
        self.candidates.iter().map(|b| b.size).sum()
    }
}

/// Plans a sweep over `snap`, as if the manifests in `doomed` were already deleted.
pub fn plan(snap: &GcSnapshot, doomed: &HashSet<i64>, cutoff: i64) -> Plan {
    let mut named_in_repo: HashSet<(i64, &str)> = HashSet::new();
    let mut named: HashSet<&str> = HashSet::new();
    for (repo, manifest, digest) in &snap.references {
        if doomed.contains(manifest) {
            continue;
        }
        named_in_repo.insert((*repo, digest.as_str()));
        named.insert(digest.as_str());
    }
    let mut linked: HashSet<&str> = HashSet::new();
    let mut stale_links = 0;
    for (repo, digest, at) in &snap.links {
        if *at >= cutoff || named_in_repo.contains(&(*repo, digest.as_str())) {
            linked.insert(digest.as_str());
        } else {
            stale_links += 1;
        }
    }
    let pinned: HashSet<&str> = snap.pinned.iter().map(String::as_str).collect();
    let candidates = snap
        .blobs
        .iter()
        .filter(|b| {
            let d = b.digest.as_str();
            b.deleting
                || (b.updated_at < cutoff
                    && !linked.contains(d)
                    && !named.contains(d)
                    && !pinned.contains(d))
        })
        .cloned()
        .collect();
    Plan {
        candidates,
        stale_links,
    }
}
