//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "berth-loadgen",
    version,
    about = "Load generator for any OCI / Docker Registry v2 endpoint (plain HTTP)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run scenarios against a registry and report the figures.
    Run(Box<RunArgs>),
    /// Compare result files of two registries as a markdown table.
    Compare(CompareArgs),
    /// Wait until GET /v2/ answers (200 or 401).
    Wait {
        #[arg(long)]
        url: String,
        /// Seconds to wait at most.
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
    },
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Every scenario below except `memory`.
    All,
    /// Blob upload MB/s: 1 MiB and big blobs, monolithic and chunked.
    Upload,
    /// Blob download MB/s: 1 MiB and big blobs.
    Download,
    /// Both manifest scenarios.
    Manifest,
    /// Manifest GET by tag at each concurrency.
    ManifestGet,
    /// Manifest HEAD by digest at each concurrency.
    ManifestHead,
    /// Small-image push rate.
    Push,
    /// Full tag list of a repository with many tags.
    Tags,
    /// Full catalog of many repositories.
    Catalog,
    /// Harbor's artifact listing: a page of 100 of many artifacts (berth and Harbor only).
    Artifacts,
    /// Garbage collection of many unreferenced blobs, by the command in --gc-command
    /// (not part of `all`).
    Gc,
    /// Only read the server's memory (needs --pid).
    Memory,
}

impl Scenario {
    /// The scenarios this one stands for, in run order.
    pub fn expand(self) -> Vec<Scenario> {
        use Scenario::*;
        match self {
            All => vec![
                Upload,
                Download,
                ManifestGet,
                ManifestHead,
                Push,
                Tags,
                Catalog,
                Artifacts,
            ],
            Manifest => vec![ManifestGet, ManifestHead],
            s => vec![s],
        }
    }

    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

#[derive(Args)]
pub struct RunArgs {
    /// Base URL of the registry, e.g. http://127.0.0.1:5000.
    #[arg(long, env = "BERTH_LOADGEN_URL")]
    pub url: String,
    /// Scenarios to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub scenario: Vec<Scenario>,
    /// Name for this registry in the results.
    #[arg(long, default_value = "registry")]
    pub label: String,
    /// Project segment of the repository names (`<namespace>/bench-...`).
    #[arg(long, default_value = "library")]
    pub namespace: String,
    /// Basic auth user.
    #[arg(long, env = "BERTH_LOADGEN_USER")]
    pub user: Option<String>,
    /// Basic auth password.
    #[arg(long, env = "BERTH_LOADGEN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Process id of the server, for its memory and CPU time (same machine only).
    #[arg(long)]
    pub pid: Option<u32>,
    /// Write every figure as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Smaller sizes and shorter durations (the defaults below in brackets).
    #[arg(long)]
    pub quick: bool,
    /// Seconds each manifest case is measured [10; quick 2].
    #[arg(long)]
    pub duration: Option<f64>,
    /// Seconds of warm-up before each manifest case [1; quick 0.5].
    #[arg(long)]
    pub warmup: Option<f64>,
    /// Concurrencies of the manifest scenarios.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    pub concurrency: Vec<usize>,
    /// Size of the big blobs in MiB [512; quick 64].
    #[arg(long)]
    pub big_mib: Option<usize>,
    /// Big blobs per upload/download case [2; quick 1].
    #[arg(long)]
    pub big_blobs: Option<usize>,
    /// 1 MiB blobs per upload/download case [100; quick 20].
    #[arg(long)]
    pub small_blobs: Option<usize>,
    /// Downloads of the 1 MiB blob in the download scenario [500; quick 100].
    #[arg(long)]
    pub small_downloads: Option<usize>,
    /// Chunk size of chunked uploads, in MiB.
    #[arg(long, default_value_t = 8)]
    pub chunk_mib: usize,
    /// Images pushed by the push scenario [400; quick 100].
    #[arg(long)]
    pub push_images: Option<usize>,
    /// Concurrent pushes in the push scenario.
    #[arg(long, default_value_t = 8)]
    pub push_concurrency: usize,
    /// Tags of the tag-list repository [10000; quick 1000].
    #[arg(long)]
    pub tags: Option<usize>,
    /// Artifacts of the artifact-listing repository [10000; quick 1000].
    #[arg(long)]
    pub artifacts: Option<usize>,
    /// Unreferenced blobs the gc scenario uploads [100000; quick 5000].
    #[arg(long)]
    pub gc_blobs: Option<usize>,
    /// The registry's garbage collector, run by `sh -c` in the gc scenario.
    #[arg(long)]
    pub gc_command: Option<String>,
    /// Repositories of the catalog scenario [2000; quick 200].
    #[arg(long)]
    pub repos: Option<usize>,
    /// Page size asked of the catalog (`?n=`).
    #[arg(long, default_value_t = 10000)]
    pub catalog_page: usize,
    /// Timed listings per listing scenario; the median is reported [11; quick 3].
    #[arg(long)]
    pub list_runs: Option<usize>,
    /// Concurrent requests of untimed setup work.
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    /// Worker threads of the generator.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Manifest reads through the general HTTP client (reqwest) rather than the bare
    /// HTTP/1.1 one used for http:// URLs.
    #[arg(long)]
    pub general_client: bool,
    /// Seconds before a single request is abandoned.
    #[arg(long, default_value_t = 600)]
    pub request_timeout: u64,
}

#[derive(Args)]
pub struct CompareArgs {
    /// The registry under test: LABEL=PATH, PATH a result file or a directory of them.
    pub candidate: String,
    /// The reference registry: LABEL=PATH.
    pub baseline: String,
    /// Also print a table of CPU use in each timed region.
    #[arg(long)]
    pub cpu: bool,
}
