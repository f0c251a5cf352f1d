//! Concrete settings of a run: the command line with the full or quick defaults filled in.

use std::time::Duration;

use serde::Serialize;

use crate::cli::RunArgs;

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub namespace: String,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub concurrency: Vec<usize>,
    pub big_bytes: usize,
    pub big_blobs: usize,
    pub small_bytes: usize,
    pub small_blobs: usize,
    pub small_downloads: usize,
    pub chunk_bytes: usize,
    pub push_images: usize,
    pub push_concurrency: usize,
    pub push_layers: usize,
    pub push_layer_bytes: usize,
    pub tags: usize,
    pub repos: usize,
    pub artifacts: usize,
    pub gc_blobs: usize,
    pub gc_command: Option<String>,
    pub catalog_page: usize,
    pub list_runs: usize,
    pub setup_concurrency: usize,
    pub threads: usize,
    pub general_client: bool,
    #[serde(skip)]
    pub request_timeout: Duration,
}

impl Settings {
    pub fn from_args(a: &RunArgs) -> anyhow::Result<Settings> {
        let q = a.quick;
        let pick =
            |v: Option<usize>, full: usize, quick: usize| v.unwrap_or(if q { quick } else { full });
        let s = Settings {
            namespace: a.namespace.trim_matches('/').to_owned(),
            duration_s: a.duration.unwrap_or(if q { 2.0 } else { 10.0 }),
            warmup_s: a.warmup.unwrap_or(if q { 0.5 } else { 1.0 }),
            concurrency: a.concurrency.clone(),
            big_bytes: pick(a.big_mib, 512, 64) << 20,
            big_blobs: pick(a.big_blobs, 2, 1),
            small_bytes: 1 << 20,
            small_blobs: pick(a.small_blobs, 100, 20),
            small_downloads: pick(a.small_downloads, 500, 100),
            chunk_bytes: a.chunk_mib << 20,
            push_images: pick(a.push_images, 400, 100),
            push_concurrency: a.push_concurrency,
            push_layers: 2,
            push_layer_bytes: 16 << 10,
            tags: pick(a.tags, 10_000, 1000),
            repos: pick(a.repos, 2000, 200),
            artifacts: pick(a.artifacts, 10_000, 1000),
            gc_blobs: pick(a.gc_blobs, 100_000, 5000),
            gc_command: a.gc_command.clone(),
            catalog_page: a.catalog_page,
            list_runs: pick(a.list_runs, 11, 3),
            setup_concurrency: a.setup_concurrency,
            threads: a.threads,
            general_client: a.general_client,
            request_timeout: Duration::from_secs(a.request_timeout),
        };
        anyhow::ensure!(s.duration_s > 0.0, "--duration must be positive");
        anyhow::ensure!(s.big_bytes > 0, "--big-mib must be at least 1");
        anyhow::ensure!(s.chunk_bytes > 0, "--chunk-mib must be at least 1");
        anyhow::ensure!(
            s.concurrency.iter().all(|&c| c > 0)
                && s.push_concurrency > 0
                && s.setup_concurrency > 0
                && s.threads > 0,
            "concurrencies and --threads must be at least 1"
        );
        anyhow::ensure!(s.list_runs > 0, "--list-runs must be at least 1");
        anyhow::ensure!(!s.namespace.is_empty(), "--namespace must not be empty");
        Ok(s)
    }
}
