//! Online garbage collection: deletes what nothing references, while clients push.
//!
//! A run (1) deletes untagged artifacts when asked, with the rules of an artifact deletion;
//! (2) withdraws from each repository the links older than the grace window that none of its
//! manifests names; (3) plans the candidates from one snapshot ([`plan`]); (4) marks them in
//! batches, each mark a compare-and-set that re-checks in the database that the blob is still
//! unreferenced, unpinned and unchanged since the snapshot; (5) deletes the marked blobs'
//! bytes, several at a time, and then their rows. A dry run stops after the plan and reports
//! what the run would free. Nothing here needs read-only mode: a push that takes a blob up
//! either comes first (and the mark fails) or sees the blob marked and writes it anew once it
//! is gone.

pub mod plan;

use std::collections::HashSet;
use std::time::Duration;

use berth_blob::{BlobError, BlobKey};
use berth_types::Digest;
use futures::StreamExt;

use crate::CoreError;
use crate::artifacts::Artifacts;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct GcOptions {
    pub dry_run: bool,
    pub delete_untagged: bool,
    /// Blob deletions in flight at once (1..=10, Harbor's `workers`).
    pub workers: usize,
    /// Blobs and links touched within this window are never collected.
    pub window: Duration,
    /// Upload sessions untouched for this long are abandoned: GC drops them and their parts.
    pub upload_max_age: Duration,
}

/// What a run freed (or, dry, would free).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub freed_space: i64,
    pub purged_blobs: u64,
    pub purged_manifests: u64,
    /// Links withdrawn from repositories whose manifests no longer name the blob.
    pub unlinked: u64,
    /// Abandoned upload sessions dropped.
    pub purged_uploads: u64,
}

/// Where a run reports to, and how it is told to stop.
pub trait GcObserver: Send + Sync {
    fn log(&self, line: &str);
    fn progress(&self, done: u64, total: u64);
    fn stop_requested(&self) -> bool {
        false
    }
}

/// Blobs marked per statement.
const MARK_BATCH: usize = 200;

impl Artifacts {
    /// Runs garbage collection over the whole registry.
    pub async fn collect_garbage(
        &self,
        opts: &GcOptions,
        obs: &dyn GcObserver,
    ) -> Result<GcReport, CoreError> {
        let dry = if opts.dry_run { "[DRYRUN] " } else { "" };
        if !opts.dry_run && self.accounts.settings().snapshot().await?.read_only() {
            return Err(CoreError::Refused(
                "The system is in read only mode. Any modification is prohibited.".into(),
            ));
        }
        let mut report = GcReport::default();
        let doomed = if opts.delete_untagged {
            self.purge_untagged(opts.dry_run, obs, &mut report).await?
        } else {
            HashSet::new()
        };
        let cutoff = crate::audit::now_ms() - opts.window.as_millis() as i64;
        let meta = self.meta();
        if !opts.dry_run {
            for repo in meta.repos_with_stale_links(cutoff).await? {
                report.unlinked += meta.unlink_stale(repo, cutoff).await?;
            }
        }
        let snapshot = meta.gc_snapshot().await?;
        let planned = plan::plan(&snapshot, &doomed, cutoff);
        if opts.dry_run {
            report.unlinked = planned.stale_links;
        }
        for b in &planned.candidates {
            obs.log(&format!("{dry}blob eligible for deletion: {}", b.digest));
        }
        obs.log(&format!(
            "{dry}{} blobs and {} manifests eligible for deletion",
            planned.candidates.len(),
            report.purged_manifests
        ));
        obs.log(&format!(
            "{dry}The GC could free up {} space.",
            crate::quotas::human_bytes(planned.bytes())
        ));
        if opts.dry_run {
            report.purged_blobs = planned.candidates.len() as u64;
            report.freed_space = planned.bytes();
            report.purged_uploads = self.purge_uploads(opts, obs).await?;
            return Ok(report);
        }
        let total = planned.candidates.len() as u64;
        let mut done = 0;
        obs.progress(0, total);
        for batch in planned.candidates.chunks(MARK_BATCH) {
            if obs.stop_requested() {
                obs.log("stopped on request");
                break;
            }
            if self.accounts.settings().snapshot().await?.read_only() {
                obs.log("the system turned read-only: the sweep stops");
                return Err(CoreError::Refused(
                    "The system is in read only mode. Any modification is prohibited.".into(),
                ));
            }
            let fresh: Vec<(String, i64)> = batch
                .iter()
                .filter(|b| !b.deleting)
                .map(|b| (b.digest.clone(), b.version))
                .collect();
            let mut marked = meta.gc_mark(&fresh, cutoff).await?;
            marked.extend(
                batch
                    .iter()
                    .filter(|b| b.deleting)
                    .map(|b| b.digest.clone()),
            );
            let gone = self.delete_bytes(&marked, opts.workers, obs).await?;
            report.freed_space += meta.gc_forget(&gone).await?;
            report.purged_blobs += gone.len() as u64;
            done += batch.len() as u64;
            obs.progress(done, total);
        }
        report.purged_uploads = self.purge_uploads(opts, obs).await?;
        obs.log(&format!(
            "{} blobs and {} manifests are actually deleted",
            report.purged_blobs, report.purged_manifests
        ));
        obs.log(&format!(
            "The GC job actual frees up {} space.",
            crate::quotas::human_bytes(report.freed_space)
        ));
        Ok(report)
    }

    /// Drops upload sessions untouched for `upload_max_age` (or, dry, counts them).
    async fn purge_uploads(
        &self,
        opts: &GcOptions,
        obs: &dyn GcObserver,
    ) -> Result<u64, CoreError> {
        const BATCH: i64 = 500;
        let before = crate::audit::now_ms() - opts.upload_max_age.as_millis() as i64;
        let mut purged = 0;
        loop {
            let stale = self.meta().stale_uploads(before, BATCH).await?;
            if opts.dry_run {
                let n = stale.len() as u64;
                if n > 0 {
                    obs.log(&format!(
                        "[DRYRUN] {n} abandoned upload sessions would be dropped"
                    ));
                }
                return Ok(n);
            }
            for id in &stale {
                self.registry.purge_upload(id).await?;
                purged += 1;
            }
            if (stale.len() as i64) < BATCH {
                if purged > 0 {
                    obs.log(&format!("dropped {purged} abandoned upload sessions"));
                }
                return Ok(purged);
            }
        }
    }

    /// Deletes untagged artifacts (or, dry, finds what would go); returns the manifests
    /// that go, for the plan.
    async fn purge_untagged(
        &self,
        dry_run: bool,
        obs: &dyn GcObserver,
        report: &mut GcReport,
    ) -> Result<HashSet<i64>, CoreError> {
        let meta = self.meta();
        let mut doomed = HashSet::new();
        for a in meta.untagged_artifacts().await? {
            let Some(repo) = meta.repository(&a.repository).await? else {
                continue;
            };
            let Ok(digest) = a.digest.parse::<Digest>() else {
                continue;
            };
            let Some(row) = meta.artifact_by_digest(repo.id, &digest).await? else {
                continue;
            };
            let tree = self.deletion_set(&repo, row).await?;
            if dry_run {
                doomed.extend(tree.iter().map(|(id, _)| id.0));
                report.purged_manifests += tree.len() as u64;
                continue;
            }
            if let Some(n) = meta
                .delete_artifact_tree(repo.id, berth_types::ManifestId(a.manifest_id), &tree[1..])
                .await?
            {
                obs.log(&format!(
                    "deleted untagged artifact {}@{}",
                    a.repository, a.digest
                ));
                report.purged_manifests += n;
            }
        }
        Ok(doomed)
    }

    /// Deletes marked blobs' bytes, `workers` at a time. Returns the digests whose bytes are
    /// gone; a blob whose bytes could not be deleted is unmarked (its bytes are intact).
    async fn delete_bytes(
        &self,
        marked: &[String],
        workers: usize,
        obs: &dyn GcObserver,
    ) -> Result<Vec<String>, CoreError> {
        let store = self.registry.blobs.clone();
        let results: Vec<(String, Result<(), BlobError>)> =
            futures::stream::iter(marked.iter().cloned())
                .map(|d| {
                    let store = store.clone();
                    async move {
                        let outcome = match d.parse::<Digest>() {
                            Ok(digest) => match store.delete(&BlobKey::Blob(digest)).await {
                                Err(BlobError::NotFound) => Ok(()),
                                other => other,
                            },
                            Err(_) => Err(BlobError::NotFound),
                        };
                        (d, outcome)
                    }
                })
                .buffer_unordered(workers.max(1))
                .collect()
                .await;
        let mut gone = Vec::with_capacity(results.len());
        for (digest, outcome) in results {
            match outcome {
                Ok(()) => gone.push(digest),
                Err(e) => {
                    obs.log(&format!("failed to delete blob {digest}: {e}"));
                    self.meta().gc_unmark(&digest).await?;
                }
            }
        }
        Ok(gone)
    }
}
