//! `berth gc`: a garbage collection run from the command line, against the configured
//! database and storage (the server may be running: the sweep is safe beside it).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use berth_core::accounts::Accounts;
use berth_core::artifacts::Artifacts;
use berth_core::gc::{GcObserver, GcOptions};
use berth_core::{Registry, RegistryOptions};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

#[derive(Args)]
pub struct GcArgs {
    /// Report what would be freed, delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep untagged artifacts (by default they are deleted first, as in Harbor).
    #[arg(long)]
    keep_untagged: bool,
    /// Blob deletions in flight at once (1 to 10).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=10))]
    workers: u8,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Prints log lines above a progress bar.
struct Console {
    bar: ProgressBar,
}

impl GcObserver for Console {
    fn log(&self, line: &str) {
        self.bar.println(line);
    }

    fn progress(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
    }
}

pub async fn run(config: Config, args: GcArgs) -> anyhow::Result<()> {
    let blobs = crate::storage_url::open(&config.storage_url(), config.storage_fsync)?;
    let meta = berth_meta::MetaStore::connect(&config.database_url(), 4)
        .await
        .context("opening the metadata database")?;
    let (audit, writer) = berth_core::audit::Audit::start(meta.clone());
    let settings = berth_core::settings::Settings::new(meta.clone(), audit.clone(), &[])?;
    let registry = Arc::new(Registry::new(
        meta.clone(),
        blobs,
        RegistryOptions::default(),
        audit.clone(),
    ));
    let accounts = Accounts::new(meta.clone(), audit, settings);
    let artifacts = Artifacts::new(accounts, registry);
    let opts = GcOptions {
        dry_run: args.dry_run,
        delete_untagged: !args.keep_untagged,
        workers: usize::from(args.workers),
        window: Duration::from_secs(config.gc_time_window_hours * 3600),
        upload_max_age: Duration::from_secs(config.upload_max_age_hours * 3600),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} blobs {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let console = Console { bar };
    let result = artifacts.collect_garbage(&opts, &console).await;
    console.bar.finish_and_clear();
    drop(artifacts);
    let _ = writer.await;
    meta.close().await;
    let report = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "dry_run": args.dry_run,
                "freed_space": report.freed_space,
                "purged_blobs": report.purged_blobs,
                "purged_manifests": report.purged_manifests,
                "unlinked": report.unlinked,
                "purged_uploads": report.purged_uploads,
            })
        );
    } else {
        let verb = if args.dry_run { "would free" } else { "freed" };
        println!(
            "berth gc: {verb} {} ({} blobs, {} manifests)",
            berth_core::quotas::human_bytes(report.freed_space),
            report.purged_blobs,
            report.purged_manifests
        );
    }
    Ok(())
}
